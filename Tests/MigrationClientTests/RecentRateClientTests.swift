import Foundation
import MigrationClient
import MigrationCore
import Testing

/// The Swift `Backfill` and `Verifier` publish their recent rate (`backfill.rate`,
/// `verify.full.rate`) after each batch, paused time left out and 0 once finished, and
/// ``JobFigures`` read from the store gives the ETA at it (issue 17).
struct RecentRateClientTests {
    let fixture: ControlFixture
    let client: MigrationClient
    let stores = InMemoryStores()
    var migrator: Migrator<String> { Migrator(client: client, old: stores.old, new: stores.new) }

    init() throws {
        fixture = try ControlFixture()
        client = try MigrationClient(store: fixture.store, refreshInterval: .milliseconds(20), flushInterval: .milliseconds(50))
    }

    func change(_ job: Job, _ change: JobControlChange) throws {
        try fixture.store.changeJobControl(job, change, event: AuditEvent(at: Date(), actor: "ops", host: "h", action: job.auditAction.rawValue))
    }

    func published(_ job: Job) throws -> Gauge? {
        try fixture.store.gauges().first { $0.name == job.rateGauge }
    }

    /// Steps `step` for `seconds`, each step expected to walk.
    func run(for seconds: Double, _ step: () throws -> Bool) throws {
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end { #expect(try step()) }
    }

    @Test func theBackfillPublishesItsRateLeavesPausesOutAndSaysZeroWhenDone() throws {
        stores.oldRecords.withLock { records in for i in 0..<1000 { records[String(format: "k%04d", i)] = "v" } }
        try fixture.move(to: "backfill", percent: "100")
        client.refresh()
        try change(.backfill, .rate(200))   // 20 rows every 0.1 s
        try change(.backfill, .batch(20))
        let backfill = Backfill(migrator: migrator)
        try run(for: 0.5) { try backfill.step() }
        #expect(try published(.backfill) == nil, "nothing during the first second")
        try run(for: 1.1) { try backfill.step() }
        let rate = try #require(try published(.backfill)).value
        #expect(rate > 120 && rate < 230, "about the operators' 200 rows a second (less on a loaded machine): \(rate)")
        let progress = try #require(try fixture.store.jobProgress(.backfill))
        let figures = JobFigures(progress, control: try fixture.store.jobControl(.backfill), rate: try published(.backfill), now: Date())
        #expect(figures.pace == .running && figures.rowsPerSecond == rate)
        #expect(figures.etaSeconds == Int64((Double(figures.remaining ?? 0) / rate).rounded(.up)))

        try change(.backfill, .pause)   // an operator's pause: 6 s measured would pull it below 140
        #expect(try !backfill.step())
        Thread.sleep(forTimeInterval: 6)
        try change(.backfill, .resume)
        #expect(try backfill.step())
        let resumed = try #require(try published(.backfill)).value
        #expect(abs(resumed - rate) < rate * 0.15, "the pause is not measured: \(rate) then \(resumed)")

        try change(.backfill, .rate(0))
        while try backfill.step() {}
        #expect(try published(.backfill)?.value == 0)
        let done = JobFigures(try #require(try fixture.store.jobProgress(.backfill)), control: try fixture.store.jobControl(.backfill),
                              rate: try published(.backfill), now: Date())
        #expect(done.pace == .done && done.rowsPerSecond == nil && done.etaSeconds == nil)
    }

    @Test func theVerifierPublishesItsRateToo() throws {
        stores.oldRecords.withLock { records in for i in 0..<600 { records[String(format: "k%04d", i)] = "v" } }
        try fixture.move(to: "backfill", percent: "100")
        client.refresh()
        let backfill = Backfill(migrator: migrator, batchSize: 100)
        while try backfill.step() {}
        try change(.verify, .rate(300))
        try change(.verify, .batch(30))
        let verifier = Verifier(migrator: migrator, digest: { $0 })
        try run(for: 1.3) { try verifier.step() }
        let rate = try #require(try published(.verify)).value
        #expect(rate > 180 && rate < 345, "about the operators' 300 keys a second: \(rate)")
        try change(.verify, .rate(0))
        while try verifier.step() {}
        #expect(try published(.verify)?.value == 0)
    }
}
