import CGateSpawn
import Foundation
import Synchronization

/// Runs a command check's program: no shell, the control database and the phases in its
/// environment, its last lines kept, and a timeout that holds whatever the program does.
///
/// The program runs in a process group of its own. At the timeout (or on cancellation)
/// the whole group is killed, children it left in the background included, and the
/// runner stops waiting even if some descendant still holds the output pipe. When the
/// program exits by itself, anything it left running in its group is killed too. Output
/// goes through a pipe, never a file, and only its tail is kept in memory. If migctl is
/// killed while a gate runs, the kernel kills the gate program with it.
///
/// Its stdin is /dev/null, or the bytes given as `stdin` through a pipe that is written
/// without blocking: a program that never reads them, or exits early, only loses them.
public struct CommandRunner: Sendable {
    /// How many trailing output lines a result keeps.
    public static let keptLines = 5
    /// How many trailing bytes of output are kept while reading.
    static let keptBytes = 16 * 1024
    /// How long output is still read after the program exited, for its last lines.
    static let drainMilliseconds = 100
    /// How long a program has to exit after SIGTERM before SIGKILL.
    static let termGraceMilliseconds = 2000

    public init() {}

    /// Runs `check.argv` and waits at most `check.timeoutSeconds`.
    ///
    /// ```swift
    /// let outcome = CommandRunner().run(CommandCheck(argv: ["notify.sh"], timeoutSeconds: 10), environment: [:],
    ///                                   stdin: Array(event.json.utf8))
    /// ```
    /// - Parameters:
    ///   - cancel: set it from another thread to kill the program and return at once.
    ///   - stdin: the bytes the program reads on its stdin, then end of file; nil gives it /dev/null.
    ///     They are written as the program reads them, never blocking the runner: whatever
    ///     is unread when the program exits (or closes its stdin) is dropped.
    public func run(_ check: CommandCheck, environment extra: [String: String], cancel: CancelFlag? = nil,
                    stdin: [UInt8]? = nil) -> CommandOutcome {
        let environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let program = check.argv[0]
        guard let path = Self.resolve(program, path: environment["PATH"] ?? "/usr/bin:/bin") else {
            let why = program.contains("/") ? "'\(program)' does not exist or is not executable" : "'\(program)' was not found on PATH"
            return CommandOutcome(ending: .couldNotStart(why), lastLines: [])
        }
        var fds: [Int32] = [-1, -1]
        guard mg_pipe_cloexec(&fds) == 0 else {
            return CommandOutcome(ending: .couldNotStart(String(cString: strerror(errno))), lastLines: [])
        }
        var input: [Int32] = [-1, -1]
        if stdin != nil {
            guard mg_pipe_cloexec(&input) == 0, mg_set_nonblocking(input[1]) == 0 else {
                let why = String(cString: strerror(errno))
                for fd in fds + input where fd >= 0 { close(fd) }
                return CommandOutcome(ending: .couldNotStart(why), lastLines: [])
            }
        }
        let pid = Self.spawn(path, check.argv, environment.map { "\($0.key)=\($0.value)" }, input: input[0], output: fds[1])
        close(fds[1])
        if input[0] >= 0 { close(input[0]) }
        guard pid > 0 else {
            close(fds[0])
            if input[1] >= 0 { close(input[1]) }
            return CommandOutcome(ending: .couldNotStart(String(cString: strerror(-pid))), lastLines: [])
        }
        var watch = Watch(pid: pid, output: fds[0], input: input[1], stdin: stdin ?? [])
        defer {
            close(fds[0])
            watch.closeInput()
        }
        let deadline = ContinuousClock.now + .seconds(check.timeoutSeconds)
        while watch.status == nil {
            if cancel?.isSet == true {
                watch.killGroup(SIGKILL, waitMilliseconds: nil)
                return CommandOutcome(ending: .cancelled, lastLines: watch.lastLines)
            }
            let left = deadline - ContinuousClock.now
            if left <= .zero {
                watch.killGroup(SIGTERM, waitMilliseconds: Self.termGraceMilliseconds)
                watch.killGroup(SIGKILL, waitMilliseconds: nil)
                return CommandOutcome(ending: .timedOut, lastLines: watch.lastLines)
            }
            watch.read(forMilliseconds: min(50, left.wholeMilliseconds + 1))
            watch.reap()
        }
        watch.read(forMilliseconds: Self.drainMilliseconds)
        // Whatever the program left behind in its group goes with it.
        kill(-pid, SIGKILL)
        return CommandOutcome(ending: .exited(watch.status ?? 0), lastLines: watch.lastLines)
    }

    /// The program's path: as given when it contains a slash, else the first executable of
    /// that name on `path`.
    static func resolve(_ program: String, path: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    private static func spawn(_ path: String, _ argv: [String], _ environment: [String], input: Int32, output: Int32) -> pid_t {
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        return mg_spawn_gate_input(path, cArguments, cEnvironment, input, output)
    }

    /// A running gate program: its exit status once reaped, the tail of its output, and what
    /// is still to be written to its stdin.
    private struct Watch {
        let pid: pid_t
        let output: Int32
        var status: Int32?
        var tail: [UInt8] = []
        var outputOpen = true
        /// The non-blocking write end of the program's stdin, or -1 once it is closed.
        private(set) var input: Int32
        private let stdin: [UInt8]
        private var written = 0

        init(pid: pid_t, output: Int32, input: Int32, stdin: [UInt8]) {
            self.pid = pid
            self.output = output
            self.input = input
            self.stdin = stdin
            if stdin.isEmpty { closeInput() }
        }

        /// Reads what the program writes for at most `milliseconds`, or until the pipe closes,
        /// feeding its stdin meanwhile.
        mutating func read(forMilliseconds milliseconds: Int) {
            let until = ContinuousClock.now + .milliseconds(milliseconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while outputOpen || input >= 0 {
                let left = until - ContinuousClock.now
                guard left > .zero else { return }
                var pollers: [pollfd] = []
                if outputOpen { pollers.append(pollfd(fd: output, events: Int16(POLLIN), revents: 0)) }
                if input >= 0 { pollers.append(pollfd(fd: input, events: Int16(POLLOUT), revents: 0)) }
                let wait = Int32(max(1, min(milliseconds, left.wholeMilliseconds)))
                guard poll(&pollers, nfds_t(pollers.count), wait) > 0 else { return }
                if input >= 0, pollers.last?.revents != 0 { feed() }
                guard outputOpen, pollers[0].revents != 0 else { continue }
                let count = buffer.withUnsafeMutableBytes { Glibc.read(output, $0.baseAddress, $0.count) }
                if count <= 0 {
                    if count < 0, errno == EINTR || errno == EAGAIN { continue }
                    outputOpen = false
                    if input < 0 { return }
                    continue
                }
                tail.append(contentsOf: buffer[0..<count])
                if tail.count > CommandRunner.keptBytes { tail.removeFirst(tail.count - CommandRunner.keptBytes) }
            }
            // The pipe closed: nothing more to read; wait out the slice so the loop does not spin.
            let left = until - ContinuousClock.now
            if left > .zero { usleep(useconds_t(min(50, max(1, left.wholeMilliseconds)) * 1000)) }
        }

        /// Writes as much of the rest of stdin as the pipe takes now; closes it when all is
        /// written, or when the program no longer reads it (EPIPE, never a SIGPIPE).
        private mutating func feed() {
            let count = stdin.withUnsafeBytes { bytes in
                mg_write_nosigpipe(input, bytes.baseAddress! + written, bytes.count - written)
            }
            if count > 0 {
                written += count
                if written == stdin.count { closeInput() }
            } else if count != -Int(EAGAIN), count != -Int(EINTR) {
                closeInput()
            }
        }

        /// Ends the program's stdin (end of file), if it is still open.
        mutating func closeInput() {
            if input >= 0 { close(input) }
            input = -1
        }

        /// Notes the exit status if the program has ended.
        mutating func reap() {
            guard status == nil else { return }
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid { status = Self.exitCode(raw) }
        }

        /// Signals the whole group; with `waitMilliseconds`, waits that long for the program
        /// to end, else waits until it has.
        mutating func killGroup(_ signal: Int32, waitMilliseconds: Int?) {
            kill(-pid, signal)
            if let waitMilliseconds {
                let until = ContinuousClock.now + .milliseconds(waitMilliseconds)
                while status == nil, ContinuousClock.now < until {
                    read(forMilliseconds: 20)
                    reap()
                }
            } else if status == nil {
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) < 0, errno == EINTR {}
                status = Self.exitCode(raw)
            }
        }

        var lastLines: [String] {
            String(decoding: tail, as: UTF8.self).split(separator: "\n").suffix(CommandRunner.keptLines).map { String($0).terminalSafe }
        }

        /// The shell's convention: the exit code, or 128 + the signal that ended it.
        static func exitCode(_ raw: Int32) -> Int32 {
            let signal = raw & 0x7F
            return signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
        }
    }
}

/// A flag one thread sets to ask work on another to stop.
public final class CancelFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    /// Asks the work to stop.
    public func set() { flag.store(true, ordering: .releasing) }

    public var isSet: Bool { flag.load(ordering: .acquiring) }
}
