import Foundation
import MigrationCore
import Testing

/// The job's recent rate (``RecentRate``) and the one rule readers apply to it, pure: a burst
/// then a stop, a pause, the first second, a clock that goes backwards, a hostile gauge.
struct RecentRateTests {
    let start = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { start + .seconds(seconds) }

    /// Batches of `rows` every `every` seconds from `from` to `to`, into `recent`.
    func walk(_ recent: inout RecentRate, rows: Int, every: Double, from: Double, to: Double) {
        recent.resume(at: at(from))
        var t = from + every
        while t <= to + 1e-9 {
            recent.walked(rows, at: at(t))
            t += every
        }
    }

    @Test func aSteadyJobReadsItsRate() {
        var recent = RecentRate()
        walk(&recent, rows: 100, every: 0.1, from: 0, to: 20)
        #expect(abs((recent.rowsPerSecond ?? 0) - 1000) < 1e-6)
    }

    @Test func theFirstSecondGivesNoRateThenThePlainAverage() {
        var recent = RecentRate()
        recent.resume(at: at(0))
        recent.walked(500, at: at(0.02))
        #expect(recent.rowsPerSecond == nil, "one fast batch says little: 25,000/s would be a lie")
        recent.walked(500, at: at(0.5))
        recent.walked(500, at: at(1.0))
        #expect(abs((recent.rowsPerSecond ?? 0) - 1500) < 30, "about the 1,500 rows of the first second, not a figure pulled towards zero")
    }

    /// The old rate (the misses and copies over a quarter of the chart window) said `ETA 1h 45m`
    /// for a backfill that finished in 3 s: a recent rate follows the job within seconds.
    @Test func aBurstThenAStopFollowsTheJobNotTheWindow() {
        var recent = RecentRate()
        walk(&recent, rows: 10, every: 1, from: 0, to: 60)     // 10/s for a minute
        walk(&recent, rows: 500, every: 0.1, from: 60, to: 63)  // then 5,000/s
        #expect((recent.rowsPerSecond ?? 0) > 800, "three seconds of a burst already weigh: \(recent.rowsPerSecond ?? 0)")
        walk(&recent, rows: 500, every: 0.1, from: 63, to: 120)
        #expect((recent.rowsPerSecond ?? 0) > 4800, "after a minute the burst is the rate: \(recent.rowsPerSecond ?? 0)")
        recent.walked(10, at: at(150))                          // then it stalls 30 s for 10 rows
        #expect((recent.rowsPerSecond ?? .infinity) < 5000 * 0.2, "30 s standing still pulls it down: \(recent.rowsPerSecond ?? 0)")
    }

    @Test func aPauseIsNotMeasured() {
        var paused = RecentRate(), unpaused = RecentRate()
        walk(&paused, rows: 100, every: 0.1, from: 0, to: 10)
        walk(&unpaused, rows: 100, every: 0.1, from: 0, to: 10)
        paused.pause()
        walk(&paused, rows: 100, every: 0.1, from: 300, to: 301)
        walk(&unpaused, rows: 100, every: 0.1, from: 10, to: 10)  // nothing: still measuring since 10 s
        unpaused.walked(100, at: at(300.1))
        #expect(abs((paused.rowsPerSecond ?? 0) - 1000) < 1e-6, "a five-minute pause leaves the rate as it was")
        #expect((unpaused.rowsPerSecond ?? .infinity) < 10, "without the pause the same wall time is a standstill")
    }

    @Test func aClockThatGoesBackwardsLosesNoRowsAndDividesByNothing() {
        var recent = RecentRate()
        walk(&recent, rows: 100, every: 0.1, from: 0, to: 10)
        recent.walked(100, at: at(5))     // back 5 s: not measured, carried
        #expect(abs((recent.rowsPerSecond ?? 0) - 1000) < 1e-6)
        recent.walked(100, at: at(5))     // the same instant again
        recent.walked(100, at: at(5.3))   // 300 rows in 0.3 s
        #expect(abs((recent.rowsPerSecond ?? 0) - 1000) < 1e-6, "the carried rows count in the next interval")
        #expect(recent.rowsPerSecond?.isFinite == true)
    }

    @Test func resetForgetsTheLastRun() {
        var recent = RecentRate()
        walk(&recent, rows: 100, every: 0.1, from: 0, to: 10)
        recent.reset()
        #expect(recent.rowsPerSecond == nil && recent == RecentRate())
    }

    /// The same walk as `test_the_recent_rate_is_the_swift_clients` in the Python client's tests:
    /// both clients publish the same figure.
    @Test func theFiguresThePythonClientAgreesWith() {
        var recent = RecentRate()
        recent.resume(at: at(0))
        recent.walked(500, at: at(0.5))
        #expect(recent.rowsPerSecond == nil)
        recent.walked(500, at: at(1))
        #expect(abs((recent.rowsPerSecond ?? 0) - 1000) < 1e-9)
        recent.walked(0, at: at(2))
        #expect(abs((recent.rowsPerSecond ?? 0) - 483.3395034305888) < 1e-6)
        recent.pause()
        recent.resume(at: at(10))
        recent.walked(1000, at: at(11))
        #expect(abs((recent.rowsPerSecond ?? 0) - 667.1599456987552) < 1e-6)
    }

    // MARK: - What readers believe

    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func gauge(_ value: Double, age: TimeInterval) -> Gauge {
        Gauge(name: CounterName.backfillRate, value: value, updatedAt: now.addingTimeInterval(-age))
    }

    @Test func aReaderBelievesAFreshFigureOnly() {
        #expect(RecentRate.published(gauge(420, age: 2), batch: 500, now: now) == 420)
        #expect(RecentRate.published(gauge(420, age: 61), batch: 500, now: now) == nil, "a minute of silence")
        #expect(RecentRate.published(nil, batch: 500, now: now) == nil)
        #expect(RecentRate.published(gauge(0, age: 2), batch: 500, now: now) == nil, "a finished job publishes 0: no rate")
    }

    @Test func aSlowJobIsGivenTimeForItsNextBatch() {
        #expect(RecentRate.staleAfter(rate: 5, batch: 500) == 300, "500 rows at 5/s: a batch every 100 s")
        #expect(RecentRate.published(gauge(5, age: 120), batch: 500, now: now) == 5)
        #expect(RecentRate.staleAfter(rate: 1e-300, batch: 500) == 3600, "at most an hour")
        #expect(RecentRate.staleAfter(rate: nil, batch: 500) == 60)
    }

    @Test(arguments: [Double.nan, -5, 0, 1e300, .infinity, -.infinity])
    func aHostileFigureIsNoFigure(_ value: Double) {
        #expect(RecentRate.published(gauge(value, age: 1), batch: 500, now: now) == nil)
    }

    @Test func aClockThatDisagreesIsBelievedWithinTheSameBound() {
        #expect(RecentRate.published(gauge(420, age: -10), batch: 500, now: now) == 420, "10 s ahead")
        #expect(RecentRate.published(gauge(420, age: -7200), batch: 500, now: now) == nil, "two hours ahead")
    }
}
