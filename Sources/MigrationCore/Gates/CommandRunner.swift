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
    /// - Parameter cancel: set it from another thread to kill the program and return at once.
    public func run(_ check: CommandCheck, environment extra: [String: String], cancel: CancelFlag? = nil) -> CommandOutcome {
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
        let pid = Self.spawn(path, check.argv, environment.map { "\($0.key)=\($0.value)" }, output: fds[1])
        close(fds[1])
        guard pid > 0 else {
            close(fds[0])
            return CommandOutcome(ending: .couldNotStart(String(cString: strerror(-pid))), lastLines: [])
        }
        var watch = Watch(pid: pid, output: fds[0])
        defer { close(fds[0]) }
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

    private static func spawn(_ path: String, _ argv: [String], _ environment: [String], output: Int32) -> pid_t {
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        return mg_spawn_gate(path, cArguments, cEnvironment, output)
    }

    /// A running gate program: its exit status once reaped, and the tail of its output.
    private struct Watch {
        let pid: pid_t
        let output: Int32
        var status: Int32?
        var tail: [UInt8] = []
        var outputOpen = true

        init(pid: pid_t, output: Int32) {
            self.pid = pid
            self.output = output
        }

        /// Reads what the program writes for at most `milliseconds`, or until the pipe closes.
        mutating func read(forMilliseconds milliseconds: Int) {
            let until = ContinuousClock.now + .milliseconds(milliseconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while outputOpen {
                let left = until - ContinuousClock.now
                guard left > .zero else { return }
                var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
                let wait = Int32(max(1, min(milliseconds, left.wholeMilliseconds)))
                guard poll(&poller, 1, wait) > 0 else { return }
                let count = buffer.withUnsafeMutableBytes { Glibc.read(output, $0.baseAddress, $0.count) }
                if count <= 0 {
                    if count < 0, errno == EINTR { continue }
                    outputOpen = false
                    return
                }
                tail.append(contentsOf: buffer[0..<count])
                if tail.count > CommandRunner.keptBytes { tail.removeFirst(tail.count - CommandRunner.keptBytes) }
            }
            // The pipe closed: nothing more to read; wait out the slice so the loop does not spin.
            let left = until - ContinuousClock.now
            if left > .zero { usleep(useconds_t(min(50, max(1, left.wholeMilliseconds)) * 1000)) }
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
