import MigrationCore
import Runbook
import Testing

/// Gate markers: how a runbook line names a gate, and what the name resolves to.
struct GateMarkerTests {
    @Test func aCodeSpanMarkerBecomesAGateSpanAndReadsAsPlainTextInTheChecklist() {
        let doc = RunbookDocument(markdown: "- [ ] Miss rate below 5% `gate: miss`\n- [ ] no marker: `miss`\n")
        #expect(doc.blocks.first == .task(number: 1, spans: [.init("Miss rate below 5% "), .init("miss", .gate)], depth: 0))
        #expect(doc.checklist == ["Miss rate below 5% (gate: miss)", "no marker: miss"])
        #expect(doc.gateMarkers == ["miss"])
    }

    @Test func theParenthesisedFormAnyCaseAndNoSpaceAreMarkersToo() {
        let doc = RunbookDocument(markdown: "- [ ] soaked (gate: soak) and *fine* (Gate:verify.mismatch).\n- [ ] `GATE:fleet`\n")
        #expect(doc.gateMarkers == ["soak", "verify.mismatch", "fleet"])
        #expect(doc.checklist == ["soaked (gate: soak) and fine (gate: verify.mismatch).", "(gate: fleet)"])
    }

    @Test func aMarkerInCodeBlocksOrWithoutItsColonIsNotOne() {
        let doc = RunbookDocument(markdown: "```\n`gate: miss`\n```\n\n- [ ] the `gate miss` and (gate miss)\n")
        #expect(doc.gateMarkers.isEmpty)
    }

    @Test func gatesAnswerToTheirKindAndTheirCounterGaugeOrProgram() {
        let miss = Gate(.counter(CounterCheck(numerator: ["miss"], denominator: ["hit", "miss"], windowSeconds: 3600, bounds: Bounds(max: 0.05))))
        #expect(miss.markerNames == ["counter", "miss"] && miss.answers(to: "MISS") && !miss.answers(to: "hit"))
        #expect(Gate(.gauge(GaugeCheck(gauge: "backfill.remaining", bounds: Bounds(max: 0), maxAgeSeconds: 60))).answers(to: "backfill.remaining"))
        #expect(Gate(.command(CommandCheck(argv: ["/usr/local/bin/replica-lag", "--max", "5"]))).answers(to: "replica-lag"))
        #expect(Gate(.soak(seconds: 60)).markerNames == ["soak"])
    }

    @Test func aTieHasTheResultsOfEveryMatchingGateOfTheNextPhase() throws {
        let target = try #require(Plan.default.phase("new-primary"))
        let results = target.gates.map { gate in
            GateResult(kind: gate.kind.name, label: gate.kind.name, status: .fail, observed: "o-\(gate.kind.name)", bound: "b", sentence: "",
                       overridable: gate.overridable)
        }
        let report = GateReport(target: "new-primary", irreversible: true, results: results)
        #expect(GateTie(name: "miss", target: target, report: report) == .results([results[1]]))
        #expect(GateTie(name: "counter", target: target, report: report) == .results([results[1], results[2], results[3]]))
        #expect(GateTie(name: "miss", target: target, report: nil) == .notEvaluated(phase: "new-primary"))
        let other = GateReport(target: "new-only", irreversible: true, results: results)
        #expect(GateTie(name: "miss", target: target, report: other) == .notEvaluated(phase: "new-primary"), "a report for another phase is not used")
        let short = GateReport(target: "new-primary", irreversible: true, results: Array(results.dropLast()))
        #expect(GateTie(name: "miss", target: target, report: short) == .notEvaluated(phase: "new-primary"), "results that do not line up are not used")
    }

    @Test func anUnknownNameSaysNoSuchGateAndListsTheNamesThatExist() throws {
        let target = try #require(Plan.default.phase("new-primary"))
        let tie = GateTie(name: "miss-rate", target: target, report: nil)
        #expect(tie == .noSuchGate(phase: "new-primary", names: ["soak", "miss", "verify.mismatch", "write.new.error", "checklist", "approval", "fleet"]))
        #expect(tie.isWorrying)
        #expect(GateTie(name: "soak", target: nil, report: nil) == .noSuchGate(phase: nil, names: []))
    }

    /// The shipped runbooks: every marker names a gate of the phase after its runbook's own,
    /// and the gate-related checklist items are tied.
    @Test func everyMarkerInTheShippedRunbooksNamesAGateOfTheNextPhase() throws {
        var markers: [String: [String]] = [:]
        for phase in Plan.default.phases {
            let doc = RunbookDocument(markdown: try #require(Plan.defaultRunbooks[phase.id]))
            #expect(doc.unknownGateMarkers(next: Plan.default.next(after: phase.id)).isEmpty, "\(phase.id)")
            markers[phase.id] = doc.gateMarkers
        }
        #expect(markers["read-new"] == ["miss", "verify.mismatch"])
        #expect(markers["dual-write"] == ["soak", "write.new.error"])
        #expect(markers["backfill"] == ["backfill.remaining", "verified"])
    }

    @Test func everyShippedRunbookButTheFirstSaysWhatItsGatesCheck() throws {
        for phase in Plan.default.phases.dropFirst() {
            let doc = RunbookDocument(markdown: try #require(Plan.defaultRunbooks[phase.id]))
            #expect(doc.section(containing: "before you advance").count > 1, "\(phase.id)")
        }
    }
}
