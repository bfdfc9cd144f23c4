import Console
import Foundation
import MigrationCore
import Testing

/// The Progress line and the job lines near the end of a backfill and after it (issue 17):
/// the rate the job published over the last 30 s and the ETA at it, `backfill paused` when
/// paused, `backfill done` with no rate and no ETA when done, one word (`copied`) throughout,
/// and the operator's words before the first batch.
struct ProgressLineTests {
    let now = Fixtures.now

    /// The migration in `backfill`, the backfill's run at `done` of 8,115 (finished if asked),
    /// its control, and the rate it published `rateAge` seconds ago.
    func data(done: Int64, finished: Bool = false, paused: Bool = false, rate: Double? = 1300, rateAge: TimeInterval = 1,
              reportedAgo: TimeInterval = 1, run: Bool = true) -> ConsoleData {
        var data = Fixtures.data(phase: "backfill", rollout: 10_000, gauges: rate.map {
            [Gauge(name: CounterName.backfillRate, value: $0, updatedAt: now.addingTimeInterval(-rateAge))]
        } ?? [])
        var progress = JobProgress(cursor: "user-\(done)", done: done, total: 8115, startedAt: now.addingTimeInterval(-120),
                                   finishedAt: finished ? now.addingTimeInterval(-reportedAgo) : nil, instance: "svc-1-ABCDEFGH")
        progress.updatedAt = now.addingTimeInterval(-reportedAgo)
        let control = JobControl(paused: paused, rate: 0, batch: 500, changedAt: paused ? now : nil, changedBy: paused ? "bo" : nil)
        data.jobs = [ConsoleData.JobSnapshot(job: .backfill, control: control, progress: run ? progress : nil),
                     ConsoleData.JobSnapshot(job: .verify, control: .standard, progress: nil)]
        return data
    }

    func line(_ prefix: String, _ screen: Screen) -> String {
        screen.lines.first { $0.hasPrefix(" \(prefix)") }?.trimmingCharacters(in: .whitespaces) ?? "no \(prefix) line in\n\(screen.text)"
    }

    /// The run said `migrated 5,500/8,115 67.8% · 6.7/s · ETA 6m 31s` two seconds before
    /// the copy finished, then `100.0% · 10.0/s · ETA 0s` for ever.
    @Test func nearTheEndThenPausedThenDone() {
        var state = ConsoleState()
        let ending = data(done: 5500)
        var screen = frame(ending, state: state, width: 120, height: 40)
        #expect(line("Progress", screen) == "Progress copied 5,500/8,115 67.8% · 1.3k/s · ETA 3s · hit ratio 87.3% over 1h")
        #expect(line("Backfill", screen) == "Backfill running · 5,500/8,115 copied · 67.8% · 1.3k/s · ETA 3s")

        #expect(state.handle(.character("p"), data: ending) == .changeJob(.backfill, .pause))
        state.finishJobChange(.backfill, .pause, .success(()))
        let paused = data(done: 5500, paused: true, rateAge: 40, reportedAgo: 40)
        screen = frame(paused, state: state, width: 120, height: 40)
        #expect(line("Progress", screen) == "Progress copied 5,500/8,115 67.8% · backfill paused · hit ratio 87.3% over 1h",
                "paused: no ETA, whatever the rate said")
        #expect(line("Backfill", screen) == "Backfill paused by bo · 5,500/8,115 copied · 67.8%")

        #expect(state.handle(.character("p"), data: paused) == .changeJob(.backfill, .resume))
        state.finishJobChange(.backfill, .resume, .success(()))
        let done = data(done: 8115, finished: true, rate: 0)
        screen = frame(done, state: state, width: 120, height: 40)
        #expect(line("Progress", screen) == "Progress copied 8,115/8,115 · backfill done · hit ratio 87.3% over 1h")
        #expect(line("Backfill", screen) == "Backfill done 08:59 · 8,115/8,115 copied", "finished a second ago, at 08:59:59")
        let hourLater = data(done: 8115, finished: true, rate: 1300, rateAge: 3600, reportedAgo: 3600)
        #expect(line("Progress", frame(hourLater, width: 120, height: 40)) == "Progress copied 8,115/8,115 · backfill done · hit ratio 87.3% over 1h",
                "done stays done: no stale rate, no 'ETA 0s', no 'no progress'")
    }

    @Test func aBackfillThatStoppedReportingSaysForHowLong() {
        let silent = frame(data(done: 5500, rateAge: 150, reportedAgo: 150), width: 120, height: 40)
        #expect(line("Progress", silent) == "Progress copied 5,500/8,115 67.8% · no progress for 2m 30s · hit ratio 87.3% over 1h")
        #expect(line("Backfill", silent) == "Backfill running · 5,500/8,115 copied · 67.8% · no progress for 2m 30s")
    }

    @Test func beforeTheFirstBatchTheOperatorsWords() {
        let waiting = frame(data(done: 0, rate: nil, run: false), width: 120, height: 40)
        #expect(line("Progress", waiting) == "Progress copied 48,210 · waiting for the backfill's first batch · hit ratio 87.3% over 1h")
        #expect(line("Backfill", waiting) == "Backfill running · not started")
        let earlier = frame(Fixtures.data(), width: 120, height: 40)
        #expect(line("Progress", earlier).hasPrefix("Progress copied 48,210 · backfill not started · "))
        #expect(!earlier.text.contains("gauge yet") && !earlier.text.contains("migrated"))
    }

    @Test func snapshotsNearTheEndAndAfter() {
        assertSnapshot(frame(data(done: 5500), width: 80, height: 24), named: "dashboard-backfill-ending-80x24")
        assertSnapshot(frame(data(done: 8115, finished: true, rate: 0), width: 80, height: 24), named: "dashboard-backfill-done-80x24")
    }
}
