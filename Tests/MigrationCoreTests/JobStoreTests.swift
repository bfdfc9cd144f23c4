import Foundation
import MigrationCore
import Testing
import TestSupport

/// Job control and progress through the ``ControlStore`` API, on both stores.
struct JobStoreTests {
    let start = Date(timeIntervalSince1970: 1_790_000_000)

    func create(_ under: StoreUnderTest) throws -> any ControlStore {
        try under.create(name: "users-v2", plan: .default, runbooks: Plan.defaultRunbooks, checklists: [:],
                         by: under.signer("ana", host: "ops-1"), at: start)
    }

    @Test(arguments: StoreKind.allCases)
    func progressIsSavedAndReadBackAndControlStartsStandard(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        #expect(try store.jobControl(.backfill) == .standard && store.jobProgress(.backfill) == nil)
        let started = Date(timeIntervalSince1970: 1_790_000_100.125)
        var progress = JobProgress(cursor: "user-0000500 é\t漢", done: 500, total: 8115, startedAt: started, instance: "host-1-ABCD1234")
        try store.saveJobProgress(.backfill, progress)
        #expect(try store.jobProgress(.backfill) == progress)
        progress.cursor = "user-0008115"
        progress.done = 8115
        progress.finishedAt = Date(timeIntervalSince1970: 1_790_000_200.5)
        progress.throttled = "replication.lag_seconds 31 above 30"
        try store.saveJobProgress(.backfill, progress)
        #expect(try store.jobProgress(.backfill) == progress)
        #expect(try store.jobProgress(.verify) == nil, "one row per job")
    }

    /// On PostgreSQL the columns' types hold whatever is written; on a file a person with the
    /// sqlite3 shell can put text where a count goes.
    @Test func aHostileProgressRowIsReportedNotFatal() throws {
        let under = try StoreUnderTest(.sqlite)
        let store = try create(under)
        try store.saveJobProgress(.backfill, JobProgress(cursor: "k", done: 1, total: 2, startedAt: start, instance: "i"))
        try under.sqlAsAttacker("UPDATE job_progress SET done = 'many'")
        #expect(try store.jobProgress(.backfill) == nil)
        #expect(store.takeRowProblems().contains { $0.table == "job_progress" && $0.column == "done" })
    }
}
