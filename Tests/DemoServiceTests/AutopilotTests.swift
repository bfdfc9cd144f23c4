import DemoService
import Foundation
import MigrationCore
import Runbook
import Testing

struct AutopilotTests {
    @Test(.timeLimit(.minutes(3)))
    func aFullMigrationUnderConcurrentLoadKeepsEveryInvariant() throws {
        let fixture = try DemoFixture()
        let run = try DemoRun(controlPath: fixture.control, storesFolder: fixture.folder, records: 2000,
                              settings: Workload.Settings(workers: 4, rate: 800, seededKeys: 2000))
        run.start()
        let store = fixture.store
        let pilot = Autopilot(control: MigrationControl(store: store, signer: Operator(name: "pilot", host: "h")),
                              approver: Operator(name: "second", host: "h"), rampPause: 0.2, phaseTimeout: 60, log: { _ in })
        try pilot.run()
        let report = try run.stop()
        #expect(report.holds, "\(report)")
        #expect(try store.state().phase == "complete")
        let totals = try store.counterTotals()
        #expect((totals["miss"] ?? 0) > 0 && (totals["backfill"] ?? 0) > 0 && (totals["verify.match"] ?? 0) > 0)
        #expect(totals["verify.mismatch"] == nil)
        let log = try store.auditLog(limit: 200)
        #expect(log.contains { $0.action == "advance" && $0.toPhase == "new-primary" && ($0.details ?? "").contains("\"confirmed\":\"new-primary\"") })
        #expect(log.contains { $0.action == "approve" && $0.actor == "second" })
    }
}
