import Console
import Foundation
import MigrationCore
import Testing

/// The console steers the backfill and the verification (`p`, `R`) and lists the verification's
/// mismatches (`m`): keys from the one binding table, each change an audited effect, and every
/// key from the store drawn safe.
struct JobKeyTests {
    let now = Fixtures.now

    func data(backfill: JobProgress? = nil, verify: JobProgress? = nil, paused: Bool = false, mismatches: [VerifyMismatch] = []) -> ConsoleData {
        var data = Fixtures.data(phase: "backfill", rollout: 10_000)
        let control = JobControl(paused: paused, rate: 0, batch: 500, changedAt: paused ? now : nil, changedBy: paused ? "bo" : nil)
        data.jobs = [ConsoleData.JobSnapshot(job: .backfill, control: control, progress: backfill),
                     ConsoleData.JobSnapshot(job: .verify, control: .standard, progress: verify)]
        data.mismatches = mismatches
        return data
    }

    func progress(done: Int64, total: Int64, finished: Bool = false, mismatches: Int64 = 0, throttled: String? = nil) -> JobProgress {
        JobProgress(cursor: "k", done: done, total: total, startedAt: now.addingTimeInterval(-100), finishedAt: finished ? now : nil,
                    instance: "svc-1-ABCDEFGH", throttled: throttled, sincePhase: "backfill", phaseEnteredAt: now.addingTimeInterval(-200),
                    mismatches: mismatches)
    }

    @Test func pPausesAndResumesTheJobOfThePhase() {
        var state = ConsoleState()
        #expect(state.handle(.character("p"), data: data(backfill: progress(done: 10, total: 100))) == .changeJob(.backfill, .pause))
        #expect(state.handle(.character("p"), data: data(backfill: progress(done: 10, total: 100), paused: true)) == .changeJob(.backfill, .resume))
        let verifying = data(backfill: progress(done: 100, total: 100, finished: true), verify: progress(done: 5, total: 100))
        #expect(state.handle(.character("p"), data: verifying) == .changeJob(.verify, .pause), "the backfill is done: the verification")
        #expect(state.handle(.character("p"), data: Fixtures.data()) == Effect.none)
        #expect(state.message?.text == "p does nothing now: no backfill or verification runs")
        var readOnly = ConsoleState(readOnly: true)
        #expect(readOnly.handle(.character("p"), data: data()) == Effect.none && readOnly.message?.isError == true)
    }

    @Test func capitalRTakesARateAndRefusesNonsense() {
        var state = ConsoleState()
        let data = data(backfill: progress(done: 10, total: 100))
        _ = state.handle(.character("R"), data: data)
        #expect(frame(data, state: state).text.contains("Rows a second (0 lifts the limit)"))
        for key in "fast" { _ = state.handle(.character(key), data: data) }
        #expect(state.handle(.enter, data: data) == Effect.none && state.dialog?.error?.contains("whole number") == true)
        for _ in 0..<4 { _ = state.handle(.backspace, data: data) }
        for key in "2000000000" { _ = state.handle(.character(key), data: data) }
        #expect(state.handle(.enter, data: data) == Effect.none && state.dialog?.error?.contains("not 2000000000") == true)
        for _ in 0..<10 { _ = state.handle(.backspace, data: data) }
        for key in "250" { _ = state.handle(.character(key), data: data) }
        #expect(state.handle(.enter, data: data) == .changeJob(.backfill, .rate(250)))
        state.finishJobChange(.backfill, .rate(250), .success(()))
        #expect(state.dialog == nil && state.message?.text == "backfill rate limited to 250 rows a second (audited)")
    }

    @Test func theDashboardShowsEachJobWithItsThrottleAndMismatches() {
        let shown = data(backfill: progress(done: 100, total: 100, finished: true),
                         verify: progress(done: 40, total: 100, mismatches: 2, throttled: "paused: replication.lag_seconds is 45, above 30"))
        let text = frame(shown, width: 160, height: 40).text
        #expect(text.contains("Backfill done 09:00 · 100/100 copied") && !text.contains("100.0%"), "done, with no rate, no ETA: \(text)")
        #expect(text.contains("Verify   running · 40/100 checked · 40.0% · 2 mismatches (m lists them)"), "\(text)")
        #expect(text.contains("paused: replication.lag_seconds is 45, above 30"), "\(text)")
        #expect(!frame(Fixtures.data(), width: 160, height: 40).text.contains("Backfill running"), "no job line outside the jobs' phases")
        let one = data(verify: progress(done: 40, total: 100, mismatches: 1))
        #expect(frame(one, width: 160, height: 40).text.contains("· 1 mismatch (m lists them)"), "one mismatch, not '1 mismatches'")
    }

    @Test func mListsTheMismatchesWithHostileKeysMadeSafe() {
        let hostile = "user-7\u{1B}]0;owned\u{07}\u{1B}[2J"
        let found = [VerifyMismatch(runStartedAt: now, key: "user-3", oldDigest: String(repeating: "ab", count: 32), newDigest: VerifyMismatch.absent, foundAt: now),
                     VerifyMismatch(runStartedAt: now, key: hostile, oldDigest: "cd", newDigest: VerifyMismatch.tombstone, foundAt: now)]
        let data = data(verify: progress(done: 100, total: 100, finished: true, mismatches: 2), mismatches: found)
        var state = ConsoleState()
        _ = state.handle(.character("m"), data: data)
        #expect(state.view == .mismatches)
        let screen = frame(data, state: state, width: 120, height: 30)
        #expect(screen.text.contains("2 mismatches") && screen.text.contains("user-3  old abababababab  new absent"), "\(screen.text)")
        #expect(!screen.text.contains("\u{1B}") && !screen.text.contains("\u{07}") && screen.text.contains("new tombstone"))
        _ = state.handle(.escape, data: data)
        #expect(state.view == .dashboard)
    }
}
