import Foundation
import MigrationClient
import MigrationCore
import Synchronization
import Testing

/// The full verification through the client library: every judging rule, the run's record in
/// the store, resuming, operators' control, and a write racing the walk.
struct VerifierTests {
    let fixture: ControlFixture
    let client: MigrationClient
    let stores = InMemoryStores()
    var migrator: Migrator<String> { Migrator(client: client, old: stores.old, new: stores.new) }

    init() throws {
        fixture = try ControlFixture()
        client = try MigrationClient(store: fixture.store, refreshInterval: .milliseconds(20), flushInterval: .milliseconds(50))
    }

    func at(_ phase: String) throws {
        try fixture.move(to: phase)
        client.refresh()
        #expect(client.current.state.phase == phase)
    }

    func seed(_ count: Int) {
        stores.oldRecords.withLock { records in for i in 0..<count { records[String(format: "k%02d", i)] = "v\(i)" } }
        stores.newRecords.withLock { records in for i in 0..<count { records[String(format: "k%02d", i)] = (.value("v\(i)"), .backfill) } }
    }

    func verifier(batch: Int = 10, supersedes: (@Sendable (String, String) -> Bool)? = nil) -> Verifier<String> {
        Verifier(migrator: migrator, batchSize: batch, supersedes: supersedes)
    }

    func totals() throws -> [String: Int64] {
        client.flush()
        return try fixture.store.counterTotals()
    }

    @Test func theVerdictOfEachCase() {
        typealias V = Verifier<String>.Verdict
        #expect(V.judge(old: "a", new: nil, writesOld: false, supersedes: nil) == .mismatch, "absent: a new-only read would lose it")
        #expect(V.judge(old: "a", new: .tombstone, writesOld: false, supersedes: nil) == .match, "deleted after the old store froze")
        #expect(V.judge(old: "a", new: .tombstone, writesOld: true, supersedes: nil) == .mismatch, "the delete should have reached old")
        #expect(V.judge(old: "a", new: .value("a"), writesOld: true, supersedes: nil) == .match)
        #expect(V.judge(old: "a", new: .value("b"), writesOld: true, supersedes: { _, _ in true }) == .mismatch, "both written: must agree")
        #expect(V.judge(old: "a", new: .value("b"), writesOld: false, supersedes: nil) == .mismatch, "no way to tell a newer write")
        #expect(V.judge(old: "a", new: .value("b"), writesOld: false, supersedes: { $1 > $0 }) == .match)
        #expect(V.judge(old: "b", new: .value("a"), writesOld: false, supersedes: { $1 > $0 }) == .mismatch)
    }

    @Test func aCleanRunIsRecordedWithThePhaseItStartedIn() throws {
        seed(25)
        try at("backfill")
        let verifier = verifier()
        while try verifier.step() {}
        let run = try #require(try fixture.store.jobProgress(.verify))
        #expect(run.finishedAt != nil && run.done == 25 && run.total == 25 && run.mismatches == 0 && run.cursor == "k24")
        let entered = Timestamp.string(try fixture.store.state().phaseSince)
        #expect(run.sincePhase == "backfill" && run.phaseEnteredAt.map { Timestamp.string($0) } == entered)
        let counted = try totals()
        #expect(counted[CounterName.verifyFullMatch] == 25 && counted[CounterName.verifyFullMismatch] == nil)
        let gauges = Dictionary(try fixture.store.gauges().map { ($0.name, $0.value) }) { $1 }
        #expect(gauges[CounterName.verifyFullDone] == 25 && gauges[CounterName.verifyFullRemaining] == 0)
        #expect(try !verifier.step(), "a finished run does nothing more")
    }

    @Test func missingCorruptedAndDeletedKeysAreRecordedWithDigests() throws {
        seed(12)
        stores.newRecords.withLock { records in
            records["k03"] = nil                                  // never copied
            records["k05"] = (.value("garbage"), .backfill)       // corrupted
            records["k07"] = (.tombstone, .write)                 // deleted after the old store froze: fine
            records["k09"] = (.value("v9-newer"), .write)         // written since: fine with supersedes
        }
        try at("backfill")
        let verifier = verifier(supersedes: { _, new in new.hasSuffix("-newer") })
        while try verifier.step() {}
        let run = try #require(try fixture.store.jobProgress(.verify))
        #expect(run.mismatches == 2 && run.finishedAt != nil)
        let found = try fixture.store.verifyMismatches(runStartedAt: run.startedAt, limit: 10)
        #expect(found.map(\.key) == ["k03", "k05"])
        #expect(found[0].newDigest == VerifyMismatch.absent && found[0].oldDigest == SHA256.hex(Array("\"v3\"".utf8)))
        #expect(found[1].newDigest == SHA256.hex(Array("\"garbage\"".utf8)))
        let counted = try totals()
        #expect(counted[CounterName.verifyFullMismatch] == 2 && counted[CounterName.verifyFullMatch] == 10)
    }

    @Test func whileTheOldStoreIsWrittenATombstoneOrAChangeIsAMismatch() throws {
        seed(4)
        stores.newRecords.withLock { records in
            records["k01"] = (.tombstone, .write)
            records["k02"] = (.value("other"), .write)
        }
        try at("new-primary")   // writes new, then old: both must agree
        let verifier = verifier(supersedes: { _, _ in true })
        while try verifier.step() {}
        let run = try #require(try fixture.store.jobProgress(.verify))
        let found = try fixture.store.verifyMismatches(runStartedAt: run.startedAt, limit: 10)
        #expect(found.map(\.key) == ["k01", "k02"] && found[0].newDigest == VerifyMismatch.tombstone)
    }

    /// The application writes both stores between the verifier's read of the old one and its
    /// read of the new one: judged again after a second read, it is not reported.
    @Test func aWriteRacingTheWalkIsNotReported() throws {
        seed(5)
        try at("dual-write")
        let migrator = migrator
        let once = Mutex(false)
        stores.betweenScanAndCopy.withLock { hook in
            hook = { if !once.withLock({ fired in defer { fired = true }; return fired }) { try? migrator.write("k02", "v2-racing") } }
        }
        let verifier = verifier()
        while try verifier.step() {}
        #expect(try fixture.store.jobProgress(.verify)?.mismatches == 0)
        #expect(stores.oldRecords.withLock { $0["k02"] } == "v2-racing", "the racing write happened")
    }

    @Test func anUnfinishedRunResumesInTheSameVisitAndANewOneStartsAfterAMove() throws {
        seed(30)
        try at("new-only")
        let first = verifier()
        try first.step()
        let stored = try #require(try fixture.store.jobProgress(.verify))
        #expect(stored.cursor == "k09" && stored.finishedAt == nil)
        let restarted = verifier()   // the process started again
        #expect(try restarted.step() && restarted.progress?.cursor == "k19" && restarted.progress?.startedAt == stored.startedAt)
        try at("backfill")
        let later = verifier()
        try later.step()
        #expect(later.progress?.cursor == "k09" && later.progress?.sincePhase == "backfill" && later.progress?.startedAt != stored.startedAt,
                "a run from another phase is not resumed: a new one starts")
    }

    /// After mending what a run found, an operator asks for a new run (`migctl verify restart`).
    @Test func aFinishedRunStartsAgainWhenAnOperatorAsks() throws {
        seed(6)
        stores.newRecords.withLock { $0["k02"] = nil }
        try at("backfill")
        let verifier = verifier()
        while try verifier.step() {}
        let first = try #require(verifier.progress)
        #expect(first.mismatches == 1 && first.finishedAt != nil)
        stores.newRecords.withLock { $0["k02"] = (.value("v2"), .backfill) }   // mended
        #expect(try !verifier.step(), "nothing new until asked")
        Thread.sleep(forTimeInterval: 0.002)   // the request must come after the run finished, to the millisecond
        try fixture.store.changeJobControl(.verify, .restart, event: AuditEvent(at: Date(), actor: "ops", host: "h", action: AuditAction.verify.rawValue))
        while try verifier.step() {}
        let second = try #require(verifier.progress)
        #expect(second.startedAt > first.startedAt && second.mismatches == 0 && second.done == 6 && second.finishedAt != nil)
        #expect(try fixture.store.jobControl(.verify).batch == JobControl.standard.batch, "a restart changes no setting")
    }

    @Test func operatorsPauseAndResizeTheVerifierFromTheStore() throws {
        seed(30)
        try at("backfill")
        func change(_ change: JobControlChange) throws {
            try fixture.store.changeJobControl(.verify, change, event: AuditEvent(at: Date(), actor: "ops", host: "h", action: AuditAction.verify.rawValue))
        }
        let verifier = verifier()
        try change(.pause)
        #expect(try !verifier.step() && verifier.progress == nil && verifier.control.paused)
        try change(.resume)
        try change(.batch(4))
        #expect(try verifier.step() && verifier.progress?.cursor == "k03")
        #expect(try fixture.store.backfillUntouched())
    }

    /// A scan written with `>=` for `>` returns the cursor again: with batches of one the jobs
    /// walked the same key forever (the hostile probe saw done = 51 of 3). Both refuse it now.
    @Test func aScanThatReturnsTheCursorAgainIsRefusedNotLoopedOn() throws {
        seed(3)
        try at("backfill")
        var careless = stores.old
        let stores = stores
        careless.scan = { after, limit in
            stores.oldRecords.withLock { all in all.filter { $0.key >= (after ?? "") }.sorted { $0.key < $1.key }.prefix(limit).map { (key: $0.key, value: $0.value) } }
        }
        let migrator = Migrator(client: client, old: careless, new: stores.new)
        let verifier = Verifier(migrator: migrator, batchSize: 1)
        #expect(try verifier.step())
        #expect(throws: ScanOrderError.self) { try verifier.step() }
        #expect(verifier.progress?.done == 1, "nothing counted from the refused batch")
        let backfill = Backfill(migrator: migrator, batchSize: 1)
        #expect(try backfill.step())
        #expect(throws: ScanOrderError.self) { try backfill.step() }
    }

    /// Keys in code point order, as SQLite and PostgreSQL's "C" collation return them, are walked
    /// even where Swift's own `<` (canonical equivalence) disagrees: the Angstrom sign U+212B
    /// sorts after Æ U+00C6 by code point, but before it in Swift (it is canonically Å U+00C5).
    /// (The order check first compared with Swift's `<` and refused such a batch every time.)
    @Test func keysInCodePointOrderAreWalkedWhereSwiftsOrderDisagrees() throws {
        let keys = ["a", "\u{C6}", "\u{212B}", "z\u{301}"]   // code point order
        stores.oldRecords.withLock { records in for key in keys { records[key] = "v" } }
        try at("backfill")
        var inOrder = stores.old
        let stores = stores
        inOrder.scan = { after, limit in
            stores.oldRecords.withLock { all in
                all.filter { record in after.map { $0.unicodeScalars.lexicographicallyPrecedes(record.key.unicodeScalars) } ?? true }
                    .sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
                    .prefix(limit).map { (key: $0.key, value: $0.value) }
            }
        }
        let migrator = Migrator(client: client, old: inOrder, new: stores.new)
        let backfill = Backfill(migrator: migrator, batchSize: 10)
        while try backfill.step() {}
        #expect("\u{212B}" < "\u{C6}", "Swift's order disagrees, or this test proves nothing")
        #expect(stores.newRecords.withLock { $0.count } == 4)
    }

    /// A key longer than the store keeps in a cursor or a record: the jobs go on, the stored
    /// cursor stays at the last key that fits, and the mismatch is recorded with its key cut.
    @Test func aKeyTooLongForTheStoreIsCutNotFatal() throws {
        let long = String(repeating: "x", count: 70_000)
        stores.oldRecords.withLock { $0[long] = "v"; $0["a"] = "v" }
        try at("backfill")
        let backfill = Backfill(migrator: migrator, batchSize: 10)
        while try backfill.step() {}
        #expect(try fixture.store.jobProgress(.backfill)?.cursor == "a" && backfill.cursor == long)
        stores.newRecords.withLock { $0[long] = nil }
        let verifier = verifier()
        while try verifier.step() {}
        let run = try #require(try fixture.store.jobProgress(.verify))
        let found = try fixture.store.verifyMismatches(runStartedAt: run.startedAt, limit: 1)
        #expect(found.first?.key.count == VerifyMismatch.keyLimit && found.first?.key.hasSuffix("…") == true)
    }
}

/// The plan's health throttle slows and pauses the backfill by itself, says why in its
/// progress row, and lets it run again when the gauge recovers.
struct ThrottledBackfillTests {
    let fixture: ControlFixture
    let client: MigrationClient
    let stores = InMemoryStores()

    init() throws {
        let lag = JobThrottle(gauge: "replication.lag_seconds", slowAbove: 5, slowRate: 100, pauseAbove: 30, maxAgeSeconds: 60)
        fixture = try ControlFixture { phase in
            if phase.id == "backfill" { phase.automation.throttle = [lag] }
        }
        client = try MigrationClient(store: fixture.store, refreshInterval: .milliseconds(20), flushInterval: .milliseconds(50))
    }

    @Test func aLaggingReplicaSlowsThenPausesTheBackfillUntilItRecovers() throws {
        stores.oldRecords.withLock { records in for i in 0..<40 { records[String(format: "k%02d", i)] = "v" } }
        try fixture.move(to: "backfill")
        client.refresh()
        let backfill = Backfill(migrator: Migrator(client: client, old: stores.old, new: stores.new), batchSize: 10)

        #expect(try !backfill.step(), "no lag reported yet: paused")
        #expect(try fixture.store.jobProgress(.backfill)?.throttled == "paused: replication.lag_seconds has never been reported, and the plan throttles on it")

        try fixture.store.setGauge("replication.lag_seconds", to: 45, at: Date())
        #expect(try !backfill.step() && backfill.cursor == nil)
        #expect(try fixture.store.jobProgress(.backfill)?.throttled == "paused: replication.lag_seconds is 45, above 30")

        try fixture.store.setGauge("replication.lag_seconds", to: 10, at: Date())
        let started = ContinuousClock.now
        #expect(try backfill.step() && backfill.step() && backfill.cursor == "k19")
        #expect(ContinuousClock.now - started >= .milliseconds(90), "10 rows a batch at 100 rows a second: 0.1 s between batches")
        #expect(try fixture.store.jobProgress(.backfill)?.throttled?.hasPrefix("slowed to 100 rows a second") == true)

        try fixture.store.setGauge("replication.lag_seconds", to: 1, at: Date())
        while try backfill.step() {}
        let done = try #require(try fixture.store.jobProgress(.backfill))
        #expect(done.finishedAt != nil && done.throttled == nil && backfill.throttled == nil, "full speed again, and it says so")
    }
}

extension SQLiteControlStore {
    /// The verifier's control is its own: the backfill's row was never written.
    func backfillUntouched() throws -> Bool { try jobControl(.backfill) == .standard }
}
