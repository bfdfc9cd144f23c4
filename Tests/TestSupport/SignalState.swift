import Foundation

/// The signals a process blocks and ignores, as Linux shows them in `/proc/PID/status`
/// (`SigBlk`, `SigIgn`): what a test reads to prove that a program started with none blocked
/// and every signal at its default action, whatever its starter blocked or ignored.
///
/// ```swift
/// let state = try #require(SignalState(pid: server))
/// #expect(state.isDefault, "\(state)")
/// ```
public struct SignalState: Equatable, Sendable, CustomStringConvertible {
    public let blocked: Set<Int32>
    public let ignored: Set<Int32>

    /// The C library's own signals (glibc's SIGCANCEL and SIGSETXID, 32 and 33, below the
    /// SIGRTMIN it reports): glibc's posix_spawn sets them to "ignored" in every child it
    /// starts, whatever it is asked, and no program can use them, so they do not count.
    public static let reservedByTheCLibrary: Set<Int32> = [32, 33]

    /// Reads the `SigBlk` and `SigIgn` lines of a status file's text; nil when one is missing.
    public init?(status: String) {
        func mask(_ name: String) -> Set<Int32>? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }),
                  let bits = UInt64(line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
            return Set((1...64).filter { bits & (UInt64(1) << ($0 - 1)) != 0 }.map(Int32.init))
        }
        guard let blocked = mask("SigBlk"), let ignored = mask("SigIgn") else { return nil }
        self.blocked = blocked
        self.ignored = ignored
    }

    /// The state of process `pid` (its main thread's mask); nil when it is gone.
    public init?(pid: pid_t) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        self.init(status: status)
    }

    /// Nothing blocked, nothing ignored but the C library's own.
    public var isDefault: Bool { blocked.isEmpty && ignored.subtracting(Self.reservedByTheCLibrary).isEmpty }

    public var description: String {
        func names(_ signals: Set<Int32>) -> String {
            signals.isEmpty ? "none" : signals.sorted().map { "\($0) (\(String(cString: strsignal($0))))" }.joined(separator: ", ")
        }
        return "blocked: \(names(blocked)); ignored: \(names(ignored))"
    }
}

/// Runs `body` with `signals` blocked on the calling thread, as a thread that handles signals
/// elsewhere does (a libdispatch worker, where tests run, blocks nearly all already), then
/// restores the thread's mask.
public func withSignalsBlocked<T>(_ signals: [Int32], _ body: () throws -> T) rethrows -> T {
    var set = sigset_t(), previous = sigset_t()
    sigemptyset(&set)
    for signal in signals { sigaddset(&set, signal) }
    pthread_sigmask(SIG_BLOCK, &set, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    return try body()
}
