/// How a notifier retries a failed delivery: waits that double from `first` up to `cap`, each
/// shortened or stretched at random by up to `jitter`, for at most `attempts` attempts in all.
///
/// The standard schedule waits about 1, 2, 4, 8 and 16 s between its 6 attempts, then gives up
/// on the event. Tests pass a fast one:
///
/// ```swift
/// Notifier(targets: targets, retry: RetrySchedule(first: .milliseconds(5), cap: .milliseconds(20), attempts: 3, jitter: 0),
///          logger: logger)
/// ```
public struct RetrySchedule: Sendable, Equatable {
    /// The wait after the first failed attempt.
    public var first: Duration
    /// The longest wait between two attempts.
    public var cap: Duration
    /// Attempts per event, the first included; at least 1.
    public var attempts: Int
    /// 0 to 1: each wait is multiplied by a random factor in `1 - jitter ... 1 + jitter` (then capped).
    public var jitter: Double

    /// 1 s, 2 s, 4 s, … capped at 60 s, 6 attempts, ±25%.
    public static let standard = RetrySchedule(first: .seconds(1), cap: .seconds(60), attempts: 6, jitter: 0.25)

    public init(first: Duration, cap: Duration, attempts: Int, jitter: Double) {
        self.first = max(.zero, first)
        self.cap = max(self.first, cap)
        self.attempts = max(1, attempts)
        self.jitter = min(1, max(0, jitter.isFinite ? jitter : 0))
    }

    /// The wait after failed attempt `attempt` (1-based) before the next one.
    /// - Parameter random: a number in `0..<1`; the factor is `1 - jitter + 2 × jitter × random`.
    public func delay(afterAttempt attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        var base = first
        for _ in 1..<max(1, attempt) where base < cap { base *= 2 }
        base = min(base, cap)
        let factor = 1 - jitter + 2 * jitter * min(1, max(0, random))
        return min(cap, base * factor)
    }
}
