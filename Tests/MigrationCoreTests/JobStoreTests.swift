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
        #expect(try read(.backfill, store) == progress)
        #expect(try store.jobProgress(.backfill)?.updatedAt != nil, "the store says when the row was written")
        progress.cursor = "user-0008115"
        progress.done = 8115
        progress.finishedAt = Date(timeIntervalSince1970: 1_790_000_200.5)
        progress.throttled = "replication.lag_seconds 31 above 30"
        try store.saveJobProgress(.backfill, progress)
        #expect(try read(.backfill, store) == progress)
        #expect(try store.jobProgress(.verify) == nil, "one row per job")
    }

    /// The stored row without the store's own `updated_at`, to compare with what was saved.
    func read(_ job: Job, _ store: any ControlStore) throws -> JobProgress? {
        var progress = try store.jobProgress(job)
        progress?.updatedAt = nil
        return progress
    }

    /// A verify run's mismatches land with its progress in one transaction, and are read back by run.
    @Test(arguments: StoreKind.allCases)
    func mismatchesAreRecordedWithTheRunsProgress(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        let run = Date(timeIntervalSince1970: 1_790_000_300.457)
        var progress = JobProgress(cursor: "user-9", done: 10, total: 40, startedAt: run, instance: "host-1-ABCD1234",
                                   sincePhase: "backfill", phaseEnteredAt: Date(timeIntervalSince1970: 1_790_000_000.001), mismatches: 2)
        let found = [
            VerifyMismatch(runStartedAt: run, key: "user-3 \u{1B}[2J", oldDigest: String(repeating: "a", count: 64), newDigest: VerifyMismatch.absent,
                           foundAt: run.addingTimeInterval(1)),
            VerifyMismatch(runStartedAt: run, key: "user-7", oldDigest: String(repeating: "b", count: 64), newDigest: String(repeating: "c", count: 64),
                           foundAt: run.addingTimeInterval(2)),
        ]
        try store.saveJobProgress(.verify, progress, mismatches: found)
        #expect(try read(.verify, store) == progress)
        #expect(try store.verifyMismatches(runStartedAt: run, limit: 10) == found)
        #expect(try store.verifyMismatches(runStartedAt: run, limit: 1) == [found[0]])
        #expect(try store.verifyMismatches(runStartedAt: run.addingTimeInterval(0.002), limit: 10).isEmpty, "another run's")

        // A mismatch the store refuses (a key past the limit) leaves the progress as it was: both or neither.
        progress.done = 20
        progress.mismatches = 3
        let tooLong = VerifyMismatch(runStartedAt: run, key: String(repeating: "k", count: 70_000), oldDigest: "d", newDigest: "e", foundAt: run)
        #expect(throws: ControlStoreError.self) { try store.saveJobProgress(.verify, progress, mismatches: [tooLong]) }
        #expect(try read(.verify, store)?.done == 10 && store.verifyMismatches(runStartedAt: run, limit: 10).count == 2)
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
