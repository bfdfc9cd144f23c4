import MigrationCore
import Testing

struct PlanFileTests {
    let valid = """
        phases:
          - id: old-only
            title: Old only
            reads: old
            writes: [old]
            ramp: false
            runbook: one.md
          - id: both
            reads: new-fallback-old
            writes: [old, new]
          - id: new-primary
            reads: new-fallback-old
            writes: [new, old]
            irreversible: true
          - id: done
            reads: new
            writes: new
            ramp: false
        """

    func problems(_ yaml: String, runbooks: Set<String> = []) -> [PlanProblem] {
        do {
            _ = try PlanFile.parse(yaml, file: "plan.yaml") { runbooks.contains($0) }
            return []
        } catch {
            return error.problems
        }
    }

    @Test func readsAValidPlan() throws {
        let plan = try PlanFile.parse(valid, file: "plan.yaml") { $0 == "one.md" }
        #expect(plan.phases.map(\.id) == ["old-only", "both", "new-primary", "done"])
        #expect(plan.phases[0] == Phase(id: "old-only", title: "Old only", reads: .old, writes: [.old], ramp: false, runbook: "one.md"))
        #expect(plan.phases[1].title == "both" && plan.phases[1].ramp && !plan.phases[1].irreversible)
        #expect(plan.phases[2].primary == .new && plan.phases[2].irreversible)
        #expect(plan.phases[3].writes == [.new])
        #expect(plan.pointOfNoReturn?.id == "new-primary")
    }

    @Test func namesTheLineAndFieldOfAnUnknownMode() {
        let found = problems(valid.replacingOccurrences(of: "reads: new\n", with: "reads: neww\n"), runbooks: ["one.md"])
        #expect(found == [PlanProblem(line: 16, field: "phases[4].reads", message: "'neww' is not a read mode; use old, new-fallback-old, new")])
    }

    @Test func findsDuplicateIds() {
        let found = problems(valid.replacingOccurrences(of: "id: done", with: "id: both"), runbooks: ["one.md"])
        #expect(found.count == 1)
        #expect(found[0].line == 15 && found[0].field == "phases[4].id")
        #expect(found[0].message.contains("repeats phases[2]"))
    }

    @Test func refusesAnEmptyPlan() {
        #expect(problems("phases: []").map(\.field) == ["phases"])
        #expect(problems("").map(\.field) == [""])
        #expect(problems("other: 1").map(\.field) == ["other", "phases"])
    }

    @Test func refusesAMissingRunbook() {
        let found = problems(valid)
        #expect(found == [PlanProblem(line: 7, field: "phases[1].runbook", message: "'one.md' does not exist; write the runbook or fix the path (relative to the plan file)")])
    }

    @Test func refusesAMisspeltFieldInsteadOfIgnoringIt() {
        let found = problems(valid.replacingOccurrences(of: "irreversible: true", with: "irreversable: true"), runbooks: ["one.md"])
        #expect(found.map(\.field) == ["phases[3].irreversable"])
        #expect(found.first?.line == 14)
    }

    @Test func collectsEveryProblemAtOnce() {
        let yaml = """
            phases:
              - id: Bad Id
                reads: old
                writes: [old, old]
              - reads: new
                writes: [cloud]
                ramp: maybe
            """
        let found = problems(yaml)
        #expect(found.map(\.field) == ["phases[1].id", "phases[1].writes", "phases[2].id", "phases[2].writes", "phases[2].ramp"])
        #expect(found.map(\.line) == [2, 4, nil, 6, 7])
    }

    @Test func refusesReadingAStoreThePhaseNeverWrites() {
        let yaml = "phases:\n  - id: a\n    reads: new\n    writes: [old]\n"
        #expect(problems(yaml).map(\.message) == ["reads the new store, which this phase never writes"])
    }

    @Test func reportsYAMLSyntaxErrorsWithTheirLine() {
        let found = problems("phases:\n  - id: a\n   reads: [old\n")
        #expect(found.count == 1 && found[0].line != nil && found[0].message.hasPrefix("is not valid YAML"))
    }

    @Test func theErrorMessageListsEveryProblemWithItsLocation() {
        do {
            _ = try PlanFile.parse("phases:\n  - id: a\n    reads: sideways\n    writes: [old]\n", file: "p.yaml")
            Issue.record("expected a PlanError")
        } catch {
            #expect(error.description.contains("p.yaml:3: phases[1].reads 'sideways' is not a read mode"))
        }
    }

    @Test func theDefaultPlanHasEightPhasesAndItsRunbooks() {
        let plan = Plan.default
        #expect(plan.phases.map(\.id) == ["old-only", "dual-write", "read-new", "new-primary", "new-only", "backfill", "cleanup", "complete"])
        #expect(plan.phases.filter(\.irreversible).map(\.id) == ["new-primary", "new-only"])
        #expect(Set(Plan.defaultRunbooks.keys) == Set(plan.phases.map(\.id)))
        #expect(Plan.defaultRunbooks.values.allSatisfy { $0.hasPrefix("# ") })
    }
}
