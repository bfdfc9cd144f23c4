import Foundation
import MigrationCore
import Testing

/// What every reader says of a job (``JobFigures``), pure: the recent rate and its ETA while it
/// runs, and in their place done, paused, throttled or how long it has been silent; hostile
/// rows give figures, never a trap.
struct JobFiguresTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func progress(done: Int64, total: Int64?, startedAgo: TimeInterval = 60, reportedAgo: TimeInterval = 1, finished: Bool = false,
                  throttled: String? = nil) -> JobProgress {
        var progress = JobProgress(cursor: "k", done: done, total: total, startedAt: now.addingTimeInterval(-startedAgo),
                                   finishedAt: finished ? now.addingTimeInterval(-reportedAgo) : nil, instance: "svc-1", throttled: throttled)
        progress.updatedAt = now.addingTimeInterval(-reportedAgo)
        return progress
    }

    func rate(_ value: Double, age: TimeInterval = 1) -> Gauge {
        Gauge(name: CounterName.backfillRate, value: value, updatedAt: now.addingTimeInterval(-age))
    }

    /// The run: `migrated 5,500/8,115 67.8% · 6.7/s · ETA 6m 31s` two seconds before the
    /// copy finished. The job published 1,300/s: the ETA says 3 s.
    @Test func aRunningJobGivesItsRecentRateAndTheETAAtIt() {
        let figures = JobFigures(progress(done: 5500, total: 8115), control: .standard, rate: rate(1300), now: now)
        #expect(figures.pace == .running && figures.rowsPerSecond == 1300 && figures.etaSeconds == 3)
        #expect(figures.remaining == 2615 && figures.percent.map { abs($0 - 67.776) < 0.01 } == true)
    }

    /// Afterwards the console said `100.0% · 10.0/s · ETA 0s`: done is done, with no rate and no ETA.
    @Test func aFinishedRunIsDoneWithNoRateAndNoETA() {
        let figures = JobFigures(progress(done: 8115, total: 8115, finished: true), control: .standard, rate: rate(1300), now: now)
        #expect(figures.pace == .done && figures.finished && figures.rowsPerSecond == nil && figures.etaSeconds == nil)
        #expect(figures.remaining == 0 && figures.percent == 100)
        let weeksLater = JobFigures(progress(done: 8115, total: 8115, reportedAgo: 1_000_000, finished: true), control: .standard, rate: nil, now: now)
        #expect(weeksLater.pace == .done && weeksLater.silentSeconds == nil, "a finished job is not stalled")
    }

    @Test func pausedAndThrottledSaySoInsteadOfAnETA() {
        var control = JobControl.standard
        control.paused = true
        let paused = JobFigures(progress(done: 10, total: 100), control: control, rate: rate(50), now: now)
        #expect(paused.pace == .paused && paused.rowsPerSecond == nil && paused.etaSeconds == nil)
        let reason = "paused: replication.lag_seconds is 45, above 30"
        let throttled = JobFigures(progress(done: 10, total: 100, throttled: reason), control: .standard, rate: rate(50), now: now)
        #expect(throttled.pace == .throttled && throttled.throttled == reason && throttled.etaSeconds == nil)
        let pausedLongAgo = JobFigures(progress(done: 10, total: 100, reportedAgo: 3600), control: control, rate: nil, now: now)
        #expect(pausedLongAgo.pace == .paused, "a paused job is silent on purpose, not stalled")
    }

    /// A burst then a stop: the process was killed (or stopped stepping the job) after a fast
    /// minute. The rate it published goes on looking current for a minute, no longer.
    @Test func aJobThatStoppedReportingIsStalledNotFast() {
        let fresh = JobFigures(progress(done: 500, total: 1000, reportedAgo: 30), control: .standard, rate: rate(5000, age: 30), now: now)
        #expect(fresh.pace == .running && fresh.rowsPerSecond == 5000)
        let silent = JobFigures(progress(done: 500, total: 1000, reportedAgo: 90), control: .standard, rate: rate(5000, age: 90), now: now)
        #expect(silent.pace == .stalled && silent.silentSeconds == 90 && silent.rowsPerSecond == nil && silent.etaSeconds == nil)
    }

    @Test func aJobHeldToASlowRateIsNotStalledBetweenItsBatches() {
        var control = JobControl.standard
        control.rate = 5   // 500 rows every 100 s
        let between = JobFigures(progress(done: 500, total: 1000, startedAgo: 600, reportedAgo: 95), control: control, rate: rate(5, age: 95),
                                 now: now)
        #expect(between.pace == .running && between.rowsPerSecond == 5 && between.etaSeconds == 100)
        let unpublished = JobFigures(progress(done: 500, total: 1000, startedAgo: 600, reportedAgo: 95), control: control, rate: nil, now: now)
        #expect(unpublished.pace == .running, "the operators' limit tells the reader too")
    }

    @Test func aRunWithoutAPublishedRateRunsWithoutAnETA() {
        let figures = JobFigures(progress(done: 10, total: 100), control: .standard, rate: nil, now: now)
        #expect(figures.pace == .running && figures.rowsPerSecond == nil && figures.etaSeconds == nil && figures.remaining == 90)
    }

    @Test func aClockGoneBackwardsIsNeitherStalledNorNegative() {
        let ahead = JobFigures(progress(done: 10, total: 100, reportedAgo: -30), control: .standard, rate: rate(45, age: -30), now: now)
        #expect(ahead.pace == .running && ahead.rowsPerSecond == 45 && ahead.etaSeconds == 2)
    }

    /// Rows the store's rules accept but no honest job writes.
    @Test func hostileRowsGiveFiguresNotTraps() {
        let negative = JobFigures(progress(done: -5, total: -1), control: .standard, rate: rate(10), now: now)
        #expect(negative.done == 0 && negative.total == 0 && negative.remaining == 0 && negative.percent == 100)
        let beyond = JobFigures(progress(done: 200, total: 100), control: .standard, rate: rate(10), now: now)
        #expect(beyond.remaining == 0 && beyond.percent == 100 && beyond.etaSeconds == 0)
        let endless = JobFigures(progress(done: 1, total: .max), control: .standard, rate: rate(0.5), now: now)
        #expect(endless.etaSeconds == .max, "an ETA beyond Int64 is the largest one, not a trap")
        for value in [Double.nan, .infinity, -3, 1e300] {
            let figures = JobFigures(progress(done: 1, total: 10), control: .standard, rate: rate(value), now: now)
            #expect(figures.rowsPerSecond == nil && figures.etaSeconds == nil && figures.pace == .running, "\(value)")
        }
    }

    @Test func aJobKnownByItsGaugesAloneGetsTheSameRule() {
        let figures = JobFigures(done: 40, total: 100, finished: false, reportedAt: now.addingTimeInterval(-2), throttled: nil,
                                 control: .standard, rate: rate(20), now: now)
        #expect(figures.pace == .running && figures.etaSeconds == 3)
        let stopped = JobFigures(done: 40, total: 100, finished: false, reportedAt: now.addingTimeInterval(-600), throttled: nil,
                                 control: .standard, rate: nil, now: now)
        #expect(stopped.pace == .stalled && stopped.silentSeconds == 600)
    }

    @Test func eachJobHasOneWordForItsRows() {
        #expect(Job.backfill.walkedWord == "copied" && Job.verify.walkedWord == "checked")
        #expect(Job.backfill.rateGauge == "backfill.rate" && Job.verify.rateGauge == "verify.full.rate")
    }
}
