import Foundation

/// How the client's background threads wait for their next turn: a condition they sleep on
/// for at most their interval, which ``stop()`` signals, so shutdown never waits out a sleep.
final class Wakeup: @unchecked Sendable {
    /// Guards `stopped`; its wait releases it while asleep.
    private let condition = NSCondition()
    private var stopped = false
    private var poked = false
    private var lastWake = Date.distantPast
    /// The least time between two wakes by ``poke()``: anyone on a server may send
    /// notifications, and a flood of them must not turn into a flood of reads.
    private let minimumGap: TimeInterval

    init(minimumGap: Duration = .zero) {
        self.minimumGap = minimumGap.seconds
    }

    /// Sleeps for `duration`, until ``poke()`` (but not sooner than the minimum gap after the
    /// last wake) or until ``stop()``.
    /// - Returns: false once stopped.
    func sleep(for duration: Duration) -> Bool {
        let deadline = Date(timeIntervalSinceNow: duration.seconds)
        condition.lock()
        defer { condition.unlock() }
        while !stopped {
            let pokedAt = poked ? max(Date(), lastWake.addingTimeInterval(minimumGap)) : nil
            let until = min(deadline, pokedAt ?? deadline)
            if Date() >= until { break }
            _ = condition.wait(until: until)
        }
        poked = false
        lastWake = Date()
        return !stopped
    }

    /// Ends the current sleep, or the next one at once: there is work now (a notification).
    func poke() {
        condition.lock()
        poked = true
        condition.broadcast()
        condition.unlock()
    }

    /// Wakes every sleeper for good.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}

extension Duration {
    /// The duration in seconds, for the APIs that take a `TimeInterval`.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
