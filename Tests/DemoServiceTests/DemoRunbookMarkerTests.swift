import DemoService
import MigrationCore
import Runbook
import Testing

/// The demo ships the built-in runbooks with its own plan: their gate markers must name gates
/// of that plan too, or its console would say "no such gate" beside a checklist item.
struct DemoRunbookMarkerTests {
    @Test func everyMarkerOfTheShippedRunbooksNamesAGateOfTheDemoPlan() throws {
        let plan = Plan.demo()
        for phase in plan.phases {
            let doc = RunbookDocument(markdown: try #require(Plan.defaultRunbooks[phase.id]))
            #expect(doc.unknownGateMarkers(next: plan.next(after: phase.id)).isEmpty, "\(phase.id): \(doc.gateMarkers)")
        }
    }
}
