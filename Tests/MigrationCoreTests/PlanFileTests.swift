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
            _ = try PlanFile.parse(yaml, file: "plan.yaml", paths: .existing(runbooks))
            return []
        } catch {
            return error.problems
        }
    }

    @Test func readsAValidPlan() throws {
        let plan = try PlanFile.parse(valid, file: "plan.yaml", paths: .existing(["one.md"]))
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

struct PlanFileGateTests {
    let yaml = """
        phases:
          - id: a
            reads: old
            writes: [old]
          - id: b
            reads: new-fallback-old
            writes: [new, old]
            irreversible: true
            gates:
              - kind: soak
                duration: 7d
              - kind: rollout
              - kind: counter
                numerator: [miss]
                denominator: [hit, miss]
                window: 1h
                max: 0.05
                min_sample: 1000
              - kind: gauge
                gauge: replication.lag_seconds
                max: 60
                max_age: 5m
                overridable: false
              - kind: checklist
              - kind: command
                argv: [./check-disk.sh, --min-free, "20"]
                timeout: 45s
              - kind: approval
                within: 12h
              - kind: fleet
                heartbeat: 30s
        """

    @Test func readsEveryGateKind() throws {
        let gates = try PlanFile.parse(yaml, file: "p.yaml").phases[1].gates
        #expect(gates == [
            Gate(.soak(seconds: 604_800)),
            Gate(.rollout),
            Gate(.counter(CounterCheck(numerator: ["miss"], denominator: ["hit", "miss"], windowSeconds: 3600, bounds: Bounds(max: 0.05), minSample: 1000))),
            Gate(.gauge(GaugeCheck(gauge: "replication.lag_seconds", bounds: Bounds(max: 60), maxAgeSeconds: 300)), overridable: false),
            Gate(.checklist),
            Gate(.command(CommandCheck(argv: ["./check-disk.sh", "--min-free", "20"], timeoutSeconds: 45))),
            Gate(.approval(withinSeconds: 43_200)),
            Gate(.fleet(heartbeatSeconds: 30)),
        ])
    }

    @Test func namesGateMistakes() {
        let bad = yaml.replacingOccurrences(of: "kind: rollout", with: "kind: vibes")
            .replacingOccurrences(of: "window: 1h", with: "window: soon")
            .replacingOccurrences(of: "max_age: 5m", with: "max_age: 5m\n        maxx: 3")
        do {
            _ = try PlanFile.parse(bad, file: "p.yaml")
            Issue.record("expected problems")
        } catch {
            #expect(error.problems.map(\.field) == ["phases[2].gates[2].kind", "phases[2].gates[3].window", "phases[2].gates[4].maxx"])
            #expect(error.problems.map(\.line) == [12, 16, 23])
        }
    }

    @Test func durations() {
        #expect(Durations.seconds("90") == 90 && Durations.seconds("15m") == 900 && Durations.seconds("7d") == 604_800)
        #expect(Durations.seconds("soon") == nil && Durations.seconds("-5s") == nil && Durations.seconds("") == nil)
    }
}

/// Numbers a careless plan can hold: each one a plan error naming its line and field.
struct PlanNumberTests {
    /// A two-phase plan whose second phase has the one gate `gate` (a YAML flow mapping).
    static func plan(gate: String) -> String {
        """
        phases:
          - {id: a, reads: old, writes: [old]}
          - id: b
            reads: old
            writes: [old, new]
            gates:
              - \(gate)
        """
    }

    func problems(gate: String) -> [PlanProblem] {
        do {
            _ = try PlanFile.parse(Self.plan(gate: gate), file: "plan.yaml")
            return []
        } catch {
            return error.problems
        }
    }

    @Test(arguments: [
        ("{kind: counter, numerator: [verify.mismatch], window: 0s, max: 0, overridable: false}", "gates[1].window"),
        ("{kind: counter, numerator: [miss], window: -5m, max: 0}", "gates[1].window"),
        ("{kind: counter, numerator: [miss], window: 99999d, max: 0}", "gates[1].window"),
        ("{kind: counter, numerator: [miss], window: 1m, max: 0, min_sample: 1e19}", "gates[1].min_sample"),
        ("{kind: counter, numerator: [miss], window: 1m, max: 0, min_sample: 2.5}", "gates[1].min_sample"),
        ("{kind: counter, numerator: [miss], window: 1m, max: 0, min_sample: -1}", "gates[1].min_sample"),
        ("{kind: counter, numerator: [miss], window: 1m, max: NaN}", "gates[1].max"),
        ("{kind: counter, numerator: [miss], window: 1m, max: .inf}", "gates[1].max"),
        ("{kind: counter, numerator: [miss], window: 1m, max: -1}", "gates[1].max"),
        ("{kind: counter, numerator: [miss], window: 1m, min: 5, max: 1}", "gates[1].min"),
        ("{kind: counter, numerator: [miss], window: phases, max: 0}", "gates[1].window"),
        ("{kind: counter, numerator: [miss], window: Phase, max: 0}", "gates[1].window"),
        ("{kind: soak, duration: 0}", "gates[1].duration"),
        ("{kind: command, argv: [true], timeout: 0s}", "gates[1].timeout"),
    ])
    func outOfRangeNumbersAreErrorsWithTheirLine(gate: String, field: String) throws {
        let found = problems(gate: gate)
        #expect(found.count == 1, "\(found)")
        let problem = try #require(found.first)
        #expect(problem.field.hasSuffix(field), "\(problem)")
        #expect(problem.line == 7, "\(problem)")
    }
}

extension PlanPaths {
    /// Only the runbooks named exist; programs are taken as written.
    static func existing(_ runbooks: Set<String>) -> PlanPaths {
        PlanPaths(checkRunbook: { path throws(PathRefusal) in
            if !runbooks.contains(path) { throw PathRefusal(path: path, reason: PathRefusal.missingRunbook) }
        })
    }
}

extension PlanFileTests {
    @Test func aCounterWindowOfPhaseCountsSinceThePhaseBegan() throws {
        let yaml = PlanNumberTests.plan(gate: "{kind: counter, numerator: [verify.mismatch], window: phase, max: 0, overridable: false}")
        let plan = try PlanFile.parse(yaml, file: "plan.yaml")
        guard case .counter(let check) = plan.phases[1].gates.first?.kind else { Issue.record("no counter gate"); return }
        #expect(check.spansPhase && check.windowLabel == "the phase")
    }

    @Test func theBuiltInAndDemoPlansCountSafetyOverThePhaseAndForbidForcingAnApproval() {
        for gate in Plan.default.phases.flatMap(\.gates) {
            if case .counter(let check) = gate.kind, check.numerator.contains(where: { $0.hasSuffix(".error") || $0 == CounterName.verifyMismatch }) {
                #expect(check.spansPhase, "\(check.numerator)")
            }
            if case .approval = gate.kind { #expect(!gate.overridable) }
        }
    }
}
