import Foundation
import MigrationCore
import Testing
import TestSupport

/// `migctl backfill status` with the rate the job published (issue 17): the recent rate and
/// the ETA at it while it runs; `paused`, `stalled` (for how long) and `done` in their place,
/// with no rate and no ETA; one word (`copied`) in the text; a hostile rate is no rate.
struct JobRateStatusTests {
    /// The backfill's run as the application records it: 5,500 of 8,115 walked, started 2 minutes ago.
    func record(_ store: any ControlStore, done: Int64 = 5500, finished: Bool = false) throws {
        try store.saveJobProgress(.backfill, JobProgress(cursor: "user-\(done)", done: done, total: 8115,
                                                         startedAt: Date().addingTimeInterval(-120), finishedAt: finished ? Date() : nil,
                                                         instance: "svc-1-ABCDEFGH"), mismatches: [])
    }

    func status(_ migctl: MigctlProcess) throws -> [String: Any] {
        try #require(try migctl.json(["backfill", "status", "--json"]) as? [String: Any])
    }

    @Test(arguments: StoreKind.allCases)
    func statusShowsTheRecentRateAndWhatStandsInItsPlace(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Plan.ungatedYAML)
        let store = try under.open()
        try record(store)
        var json = try status(migctl)
        #expect(json["pace"] as? String == "running" && json["rowsPerSecond"] == nil && json["etaSeconds"] == nil,
                "no rate published yet, so no ETA: \(json)")

        #expect(try migctl.run(["gauge", "backfill.rate", "1300"]).status == 0)
        json = try status(migctl)
        #expect(json["pace"] as? String == "running" && json["rowsPerSecond"] as? Double == 1300 && json["etaSeconds"] as? Int == 3,
                "2,615 left at 1,300 a second: \(json)")
        let text = try migctl.run(["backfill", "status"])
        #expect(text.stdout.contains("progress: 5500 of 8115 rows copied (67.8%), 2615 remaining, 1300 rows/s over the last 30s, about 3s left;"),
                "\(text.stdout)\(text.stderr)")

        #expect(try migctl.run(["backfill", "pause", "--reason", "peak hours"]).status == 0)
        json = try status(migctl)
        #expect(json["pace"] as? String == "paused" && json["rowsPerSecond"] == nil && json["etaSeconds"] == nil, "\(json)")
        #expect(try migctl.run(["backfill", "status"]).stdout.contains("2615 remaining, paused;"))
        #expect(try migctl.run(["backfill", "resume"]).status == 0)

        // The process died five minutes ago: the rate it published then is no longer believed.
        // (Both rows as the store stamped them then; PostgreSQL stamps them with its own clock.)
        let then = kind == .sqlite ? "'\(Timestamp.string(Date().addingTimeInterval(-300)))'" : "now() - interval '300 seconds'"
        try under.sqlAsAttacker("UPDATE job_progress SET updated_at = \(then); UPDATE gauges SET updated_at = \(then) WHERE name = 'backfill.rate';")
        json = try status(migctl)
        #expect(json["pace"] as? String == "stalled" && json["rowsPerSecond"] == nil && json["etaSeconds"] == nil, "\(json)")
        #expect(((json["silentSeconds"] as? Double) ?? 0) >= 300, "\(json)")
        let stalled = try migctl.run(["backfill", "status"]).stdout
        #expect(stalled.contains("2615 remaining, no progress for 5m"), "300 s or a little more: \(stalled)")

        try record(store, done: 8115, finished: true)
        try store.setGauge(CounterName.backfillRate, to: 0, at: Date())
        json = try status(migctl)
        #expect(json["pace"] as? String == "done" && json["rowsPerSecond"] == nil && json["etaSeconds"] == nil && json["remaining"] as? Int == 0,
                "done: no rate, no 'ETA 0s': \(json)")
        #expect(try migctl.run(["backfill", "status"]).stdout.contains("progress: 8115 of 8115 rows copied (100.0%), done at "))
    }

    @Test func aHostileRateIsNoRate() throws {
        let under = try StoreUnderTest(.sqlite)
        let migctl = try under.initialized(plan: Plan.ungatedYAML)
        try record(try under.open())
        for value in ["1e300", "-5", "0"] {
            #expect(try migctl.run(["gauge", "backfill.rate", "--", value]).status == 0)
            let json = try status(migctl)
            #expect(json["pace"] as? String == "running" && json["rowsPerSecond"] == nil && json["etaSeconds"] == nil, "\(value): \(json)")
        }
    }
}
