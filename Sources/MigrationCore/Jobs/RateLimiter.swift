/// Spaces a job's batches so that it copies at most `rate` rows a second on average: a batch of
/// `n` rows may start `n / rate` seconds after the previous batch started. Pure: the caller
/// passes the clock's reading and sleeps for what ``delay(rows:rate:now:)`` returns.
///
/// ```swift
/// var limiter = RateLimiter()
/// let wait = limiter.delay(rows: 500, rate: 1000, now: .now)   // .zero, then 0.5 s for the next 500
/// ```
public struct RateLimiter: Sendable {
    /// When the next batch may start; nil before the first one.
    private var nextStart: ContinuousClock.Instant?

    public init() {}

    /// How long to wait before a batch of `rows` starts at `now`, at most `rate` rows a second
    /// (0: no limit), and books that batch.
    public mutating func delay(rows: Int, rate: Int64, now: ContinuousClock.Instant) -> Duration {
        guard rate > 0 else {
            nextStart = nil
            return .zero
        }
        let start = max(now, nextStart ?? now)
        nextStart = start + .seconds(Double(max(0, rows)) / Double(rate))
        return start - now
    }
}
