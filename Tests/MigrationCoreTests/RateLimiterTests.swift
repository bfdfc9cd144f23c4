import MigrationCore
import Testing

struct RateLimiterTests {
    let start = ContinuousClock.now

    @Test func batchesAreSpacedByTheirRowsOverTheRate() {
        var limiter = RateLimiter()
        #expect(limiter.delay(rows: 500, rate: 1000, now: start) == .zero, "the first batch starts at once")
        #expect(limiter.delay(rows: 500, rate: 1000, now: start) == .milliseconds(500))
        #expect(limiter.delay(rows: 100, rate: 1000, now: start + .milliseconds(600)) == .milliseconds(400),
                "booked until 1 s: the second batch started at 0.5 s and took its 0.5 s")
    }

    @Test func aSlowBatchOwesNothing() {
        var limiter = RateLimiter()
        _ = limiter.delay(rows: 10, rate: 100, now: start)
        #expect(limiter.delay(rows: 10, rate: 100, now: start + .seconds(5)) == .zero)
    }

    @Test func noRateMeansNoWaitAndForgetsTheBooking() {
        var limiter = RateLimiter()
        _ = limiter.delay(rows: 1000, rate: 1, now: start)
        #expect(limiter.delay(rows: 1000, rate: 0, now: start) == .zero)
        #expect(limiter.delay(rows: 10, rate: 10, now: start) == .zero, "a limit set again starts afresh")
    }
}
