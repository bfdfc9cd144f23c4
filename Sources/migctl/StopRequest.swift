import Foundation
import Synchronization

/// What asks a long-running command to stop: SIGINT, SIGTERM or SIGHUP, and optionally its
/// parent process going away. Handled from the moment it is created, so a stop asked during
/// start-up is seen too (poll ``isRequested``).
///
/// A process may start with these signals blocked (it inherits its parent's mask: a test
/// runner's, a supervisor's); they are unblocked here, or a stop would never arrive.
///
/// ```swift
/// let stop = StopRequest(parent: nil)
/// while !stop.isRequested { seedSomeMore() }
/// stop.wait(seconds: nil)
/// ```
final class StopRequest: Sendable {
    private static let signals = [SIGINT, SIGTERM, SIGHUP]
    private let flag = Flag()
    private let parent: pid_t?
    /// Set once here, cancelled once in deinit; the sources themselves are thread-safe.
    private nonisolated(unsafe) let sources: [any DispatchSourceSignal]

    /// The request itself, shared with the signal handlers.
    private final class Flag: Sendable {
        let requested = Atomic<Bool>(false)
        let wakeUp = DispatchSemaphore(value: 0)

        func raise() {
            if !requested.exchange(true, ordering: .relaxed) { wakeUp.signal() }
        }
    }

    /// - Parameter parent: stop too when this process is no longer the parent (it exited).
    init(parent: pid_t?) {
        self.parent = parent
        var set = sigset_t()
        sigemptyset(&set)
        for signal in Self.signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        let flag = flag
        sources = Self.signals.map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { flag.raise() }
            source.resume()
            return source
        }
    }

    deinit { sources.forEach { $0.cancel() } }

    /// Whether a signal arrived or the parent went away.
    var isRequested: Bool {
        if let parent, getppid() != parent { flag.raise() }
        return flag.requested.load(ordering: .relaxed)
    }

    /// Waits until a stop is requested, or `seconds` pass (nil: no limit).
    func wait(seconds: Double?) {
        let deadline = seconds.map { Date().addingTimeInterval($0) }
        while !isRequested {
            let slice = min(0.5, deadline.map { $0.timeIntervalSinceNow } ?? 0.5)
            guard slice > 0 else { return }
            _ = flag.wakeUp.wait(timeout: .now() + slice)
        }
    }
}
