import DemoService
import MigrationCore
import Testing

/// The demo's plan is the built-in one with windows in seconds: as strict, never more lenient.
struct DemoPlanTests {
    @Test func whatTheBuiltInPlanForbidsOverridingTheDemoForbidsToo() {
        let demo = Plan.demo()
        for phase in Plan.default.phases {
            let strict = Set(phase.gates.filter { !$0.overridable }.map(\.kind.name))
            let demoStrict = Set((demo.phase(phase.id)?.gates ?? []).filter { !$0.overridable }.map(\.kind.name))
            #expect(strict.isSubset(of: demoStrict), "\(phase.id): built-in \(strict.sorted()), demo \(demoStrict.sorted())")
        }
    }

    @Test func mismatchesAndErrorsCountOverTheWholePhase() {
        for gate in Plan.demo().phases.flatMap(\.gates) {
            if case .counter(let check) = gate.kind, check.numerator.contains(where: { $0.hasSuffix(".error") || $0 == CounterName.verifyMismatch }) {
                #expect(check.spansPhase, "\(check.numerator)")
            }
        }
    }
}
