import Foundation

/// Foundation's `Process`, for the tests that configure one themselves (pipes, several raced
/// at once), whose program starts with no signal blocked and every signal at its default action.
///
/// Foundation passes the starting thread's signal mask on to the program, and a test runs on
/// a libdispatch worker thread, which blocks nearly every signal: a `migctl simulate` started
/// that way would have SIGCHLD, SIGWINCH, SIGUSR1… blocked for its whole life. So the calling
/// thread's mask is emptied for the moment of the spawn, then restored. Dispositions pass on
/// on too, and the test process's are not all its own (swift-nio ignores SIGPIPE in the whole
/// process once it opens a socket), so the program is started through `env --default-signal`,
/// which resets them all and execs it in the same process. A long-lived child should rather be a `ChildProcess`, which also
/// shares no descriptor and is reaped without Foundation's monitoring thread.
///
/// ```swift
/// let process = UnblockedProcess()
/// process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
/// try process.run()
/// ```
public final class UnblockedProcess: Process, @unchecked Sendable {
    override public func run() throws {
        if let program = executableURL?.path {
            executableURL = URL(fileURLWithPath: "/usr/bin/env")
            arguments = ["--default-signal", "--", program] + (arguments ?? [])
        }
        var none = sigset_t(), previous = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try super.run()
    }
}
