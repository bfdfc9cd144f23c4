import CGateSpawn
import Foundation
import Synchronization

/// A program started and waited for without Foundation's `Process`: the demo's service, the
/// benchmark's helpers, and the tests' own children. It starts with no signal blocked, every
/// signal at its default action, descriptors 0, 1 and 2 and no other, in a process group of
/// its own (``mg_spawn_program``), and it is reaped by `waitpid` alone.
///
/// Foundation's `Process` does neither on Linux (swift-corelibs-foundation 6.3 gives
/// posix_spawn only POSIX_SPAWN_SETPGROUP). Its child inherits the starting thread's signal
/// mask, and a libdispatch worker thread (where Swift concurrency, every Swift Testing test
/// included, runs) blocks nearly every signal: a tmux server started that way ignored its own
/// `kill-server`. Ignored signals pass on too, and swift-nio ignores SIGPIPE in the whole
/// process once it opens a socket (PostgreSQL, webhooks, /metrics). And it closes in the child only the descriptors it saw open just before the
/// spawn, so a pipe another thread opens meanwhile leaks into the child, whose reader then
/// waits for an end of file until that child exits.
///
/// Its members are named as `Process`'s, so code written for one reads the same with the other.
///
/// ```swift
/// let service = try ChildProcess("/usr/bin/env", ["python3", "server.py"], stdout: .file(log))
/// service.terminate()
/// service.waitUntilExit()
/// ```
package final class ChildProcess: Sendable {
    /// Where one of the child's standard streams comes from or goes.
    package enum Stream: Sendable {
        /// /dev/null.
        case null
        /// This open descriptor (a pipe's end, a log already open), which the child shares.
        case descriptor(Int32)
        /// This file: read for stdin; for output created, truncated unless `append`.
        case file(String, append: Bool = false)
    }

    package let processIdentifier: pid_t
    /// Its wait status, once reaped.
    private let status = Mutex<Int32?>(nil)

    /// Starts `executable` (a path; no PATH search) with `arguments`.
    /// - Parameters:
    ///   - environment: the child's whole environment; nil passes this process's on.
    ///   - directory: where it starts; nil: this process's current directory.
    /// - Throws: ``ChildProcessError`` when a file cannot be opened or the program cannot start.
    package init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
                 stdin: Stream = .null, stdout: Stream = .null, stderr: Stream = .null) throws(ChildProcessError) {
        var opened: [Int32] = []
        defer { opened.forEach { close($0) } }
        func descriptor(_ stream: Stream, input: Bool) throws(ChildProcessError) -> Int32 {
            switch stream {
            case .null: return -1
            case .descriptor(let fd): return fd
            case .file(let path, let append):
                let flags = input ? O_RDONLY : O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
                let fd = open(path, flags | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw .couldNotOpen(path, reason: String(cString: strerror(errno))) }
                opened.append(fd)
                return fd
            }
        }
        let input = try descriptor(stdin, input: true)
        let output = try descriptor(stdout, input: false)
        let errors = try descriptor(stderr, input: false)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer {
            argv.forEach { free($0) }
            envp?.forEach { free($0) }
        }
        let pid = envp.map { mg_spawn_program(executable, argv, $0, directory, input, output, errors) }
            ?? mg_spawn_program(executable, argv, environ, directory, input, output, errors)
        guard pid > 0 else { throw .couldNotStart(executable, reason: String(cString: strerror(-pid))) }
        processIdentifier = pid
    }

    /// A pipe neither of whose ends any program started meanwhile inherits (both close-on-exec):
    /// give one end to a child as ``Stream/descriptor(_:)``, and close it here once it started.
    package static func pipe() throws(ChildProcessError) -> (read: FileHandle, write: FileHandle) {
        var fds: [Int32] = [-1, -1]
        guard mg_pipe_cloexec(&fds) == 0 else { throw .couldNotOpen("a pipe", reason: String(cString: strerror(errno))) }
        return (FileHandle(fileDescriptor: fds[0], closeOnDealloc: true), FileHandle(fileDescriptor: fds[1], closeOnDealloc: true))
    }

    /// Whether it still runs; reaps it once it has ended.
    package var isRunning: Bool { reaped() == nil }

    /// Waits until it has ended, and reaps it.
    package func waitUntilExit() {
        // Waits without reaping, outside the lock, so `isRunning` can still be asked meanwhile.
        var info = siginfo_t()
        while reaped() == nil {
            if waitid(P_PID, id_t(processIdentifier), &info, WEXITED | WNOWAIT) != 0, errno != EINTR {
                _ = reaped()
                return
            }
        }
    }

    /// `.exit` or `.uncaughtSignal`, as `Process` says; only once it has ended.
    package var terminationReason: Process.TerminationReason {
        let raw = ended()
        return raw & 0x7F == 0 ? .exit : .uncaughtSignal
    }

    /// Its exit code, or the signal that ended it; only once it has ended.
    package var terminationStatus: Int32 {
        let raw = ended()
        return raw & 0x7F == 0 ? (raw >> 8) & 0xFF : raw & 0x7F
    }

    /// Sends `signal`, unless it has ended and been reaped (its pid may be another's by then).
    package func signal(_ signal: Int32) {
        status.withLock { status in
            if status == nil { kill(processIdentifier, signal) }
        }
    }

    /// Asks it to stop (SIGTERM).
    package func terminate() { signal(SIGTERM) }

    /// Reaps it if it has ended, without waiting: a child dropped while running stays a zombie
    /// until this process ends, so owners stop what they start (``signal(_:)``, then ``waitUntilExit()``).
    deinit { _ = reaped() }

    /// The wait status, reaping it now if it just ended; nil while it runs. A child someone
    /// else reaped (no child of that pid any more) counts as ended with status 255.
    private func reaped() -> Int32? {
        status.withLock { status in
            guard status == nil else { return status }
            var raw: Int32 = 0
            let result = waitpid(processIdentifier, &raw, WNOHANG)
            if result == processIdentifier {
                status = raw
            } else if result < 0, errno == ECHILD {
                status = 255 << 8
            }
            return status
        }
    }

    private func ended() -> Int32 {
        guard let raw = reaped() else { preconditionFailure("process \(processIdentifier) is still running") }
        return raw
    }
}

/// Why a ``ChildProcess`` did not start.
package enum ChildProcessError: Error, CustomStringConvertible {
    case couldNotOpen(String, reason: String)
    case couldNotStart(String, reason: String)

    package var description: String {
        switch self {
        case .couldNotOpen(let path, let reason): "could not open \(path) for a program to start: \(reason)"
        case .couldNotStart(let executable, let reason): "could not start \(executable): \(reason)"
        }
    }
}
