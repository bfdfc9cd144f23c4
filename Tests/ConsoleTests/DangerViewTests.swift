import Console
import Foundation
import MigrationCore
import Testing

/// Issue 17's dangers: every failing gate on the dashboard (non-overridable first, figures
/// never cut), a soak counting down live, the phase's safety counters, refusals that offer only
/// what works from the console, and sentences true at the point of no return.
struct DangerViewTests {
    func press(_ keys: [Key], _ state: inout ConsoleState, data: ConsoleData) -> [Effect] {
        keys.map { state.handle($0, data: data) }
    }

    func typing(_ text: String) -> [Key] { text.map { Key.character($0) } }

    static let soak = GateCountdown(since: Fixtures.now.addingTimeInterval(-29), seconds: 60)

    /// read-new at 100% with three failing gates into new-primary, one of them not overridable.
    static func blocked(phaseTotals: [String: Int64] = [:]) -> ConsoleData {
        var data = Fixtures.data(rollout: 10_000)
        var soak = GateResult(kind: "soak", label: "soak in read-new", status: .fail, observed: "29s", bound: "≥ 1m at 100%",
                              sentence: "31s more in read-new at 100% before moving on", overridable: true)
        soak.countdown = Self.soak
        data.gates = GateReport(target: "new-primary", irreversible: true, results: [
            soak,
            GateResult(kind: "counter", label: "miss / (hit + miss) over 1h", status: .fail, observed: "0.21 (210/1000)", bound: "≤ 0.05",
                       sentence: "the ratio is 0.21, outside ≤ 0.05", overridable: true),
            GateResult(kind: "counter", label: "verify.mismatch / (verify.match + verify.mismatch) over the phase", status: .fail,
                       observed: "0.0082 (4/485)", bound: "≤ 0", sentence: "the ratio is 0.0082, outside ≤ 0", overridable: false),
            GateResult(kind: "fleet", label: "fleet on v7", status: .pass, observed: "3/3", bound: "all", sentence: "ok", overridable: false),
        ])
        data.phaseTotals = phaseTotals
        return data
    }

    @Test func theDashboardShowsEveryFailingGateNonOverridableFirstWithItsWholeFigure() {
        let text = frame(Self.blocked(), width: 80, height: 24).lines
        let mismatch = text.firstIndex { $0.contains("0.0082 (4/485) (want ≤ 0)") }
        let soak = text.firstIndex { $0.contains("soak in read-new") }
        let miss = text.firstIndex { $0.contains("0.21 (210/1000) (want ≤ 0.05)") }
        #expect(mismatch != nil && soak != nil && miss != nil, "\(text.joined(separator: "\n"))")
        if let mismatch, let soak, let miss { #expect(mismatch < soak && soak < miss) }
        #expect(text.contains { $0.contains("· no override") })
        #expect(text.contains { $0.contains("gates 1/4 pass") })
        assertSnapshot(frame(Self.blocked(), width: 80, height: 24), named: "dashboard-gates-80x24")
        assertSnapshot(frame(Self.blocked(), width: 120, height: 40), named: "dashboard-gates-120x40")
    }

    @Test func aSoakCountsDownOnTheDashboardAndInAnOpenDialog() {
        var data = Self.blocked()
        #expect(frame(data).text.contains("29s of 1m at 100% · 31s left"))
        data.now = data.now.addingTimeInterval(10)
        #expect(frame(data).text.contains("39s of 1m at 100% · 21s left"))
        var state = ConsoleState()
        state.openAdvance(data.gates, data: data)
        #expect(frame(data, state: state).text.contains("21s left"))
        data.now = data.now.addingTimeInterval(30)
        #expect(frame(data, state: state).text.contains("1m of 1m at 100% · done"))
    }

    @Test func theSafetyLineCountsTheWholePhase() {
        let text = frame(Self.blocked(phaseTotals: [CounterName.verifyMismatch: 25]), width: 120, height: 40).text
        #expect(text.contains("25 mismatches") && text.contains("0 new-store errors"), "\(text)")
    }

    @Test func anAdvanceRefusedByANonOverridableGateOffersNoOverride() {
        let data = Self.blocked()
        var state = ConsoleState()
        state.openAdvance(data.gates, data: data)
        let text = frame(data, state: state, width: 120, height: 40).text
        #expect(text.contains("no override is") && !text.contains("F overrides") && !text.contains("migctl advance"), "\(text)")
        _ = press([.character("F")], &state, data: data)
        #expect(state.dialog?.overriding == nil && state.dialog?.error?.contains("cannot be overridden") == true)
        #expect(press([.enter], &state, data: data) == [.none] && state.dialog == nil)
    }

    @Test func anOverridableRefusalIsOverriddenFromTheDialogWithATypedReason() throws {
        var data = Self.blocked()
        data.gates?.results.removeAll { !$0.overridable }
        var state = ConsoleState()
        state.openAdvance(data.gates, data: data)
        #expect(frame(data, state: state, width: 120, height: 40).text.contains("F overrides them"))
        let effects = press([.character("F")] + typing("new-primary") + [.enter] + typing("soak waived: incident drill") + [.enter], &state, data: data)
        guard case .perform(let request, _, let reason, let confirmation, _, let force) = effects.last else {
            Issue.record("no change performed: \(effects)")
            return
        }
        #expect(request == .advance(to: "new-primary") && reason == "soak waived: incident drill" && confirmation == "new-primary" && force)
    }

    @Test func loweringDualWriteOpensARedChangeThatSaysTheCopiesGoStale() throws {
        let data = Fixtures.data(phase: "dual-write", rollout: 10_000)
        var state = ConsoleState()
        _ = press([.character("-")], &state, data: data)
        #expect(state.dialog?.title.contains("stale copies") == true && state.dialog?.overriding?.contains("would go stale") == true)
        #expect(frame(data, state: state).text.contains("Confirming with a reason overrides this"))
        let effects = press(typing("new store overloaded") + [.enter], &state, data: data)
        #expect(effects.last == .perform(.setRollout(try Rollout(percent: "50")), expectVersion: 7, reason: "new store overloaded",
                                         confirmation: nil, force: true))
    }

    @Test func advancingBelowFullNamesTheConsoleKeysAndPreviewsTheGates() {
        var data = Self.blocked()
        data.state.rollout = try! Rollout(percent: "25")
        var state = ConsoleState()
        _ = press([.character("n")], &state, data: data)
        guard case .refusal(let sentence, let detail) = state.dialog?.kind else { Issue.record("no refusal"); return }
        #expect(sentence.contains("+ steps up the ladder") && sentence.contains("% sets any value") && !sentence.contains("migctl"))
        #expect(detail.contains { $0.contains("0.0082 (4/485)") && $0.contains("no override") }, "\(detail)")
    }

    @Test func sentencesAtThePointOfNoReturnAreTrueForTheState() {
        // Rolling back out of new-primary at 25%: the old store got best-effort writes; no "missed writes".
        var state = ConsoleState()
        let past = Fixtures.data(phase: "new-primary", rollout: 2500)
        _ = press([.character("b")], &state, data: past)
        guard case .refusal(let sentence, _) = state.dialog?.kind else { Issue.record("no refusal"); return }
        #expect(sentence.contains("best effort") && !sentence.contains("missed writes"), "\(sentence)")
        // At 0% no key has crossed: rolling back is offered.
        state = ConsoleState()
        _ = press([.character("b")], &state, data: Fixtures.data(phase: "new-primary", rollout: 0))
        if case .change(.rollback, let preview, _) = state.dialog?.kind { #expect(preview.phase == "read-new") } else { Issue.record("no rollback offered") }
        // Into new-only, the point of no return is behind: it is not announced again.
        var data = Fixtures.data(phase: "new-primary", rollout: 10_000)
        data.gates = GateReport(target: "new-only", irreversible: true, results: [])
        state = ConsoleState()
        state.openAdvance(data.gates, data: data)
        let text = frame(data, state: state, width: 120, height: 40).text
        #expect(!text.contains("POINT OF NO RETURN") && text.contains("The point of no return is behind"), "\(text)")
        // The last phase is final, not "reversible".
        var cleanup = Fixtures.data(phase: "cleanup", rollout: 10_000)
        cleanup.gates = GateReport(target: "complete", irreversible: false, results: [])
        #expect(frame(cleanup).text.contains("complete · final: no way back"))
    }
}

extension DangerViewTests {
    /// A phase id from a hand-written row reaches a refusal or a warning only terminal-safe.
    @Test func refusalsAndWarningsNeverPrintAStoredEscapeRaw() {
        var data = Fixtures.data(phase: "new-primary", rollout: 2500)
        data.state.phase = "new-primary\u{1b}[2J"
        var state = ConsoleState()
        _ = press([.character("b")], &state, data: data)
        let text = frame(data, state: state).text
        #expect(state.dialog != nil && !text.unicodeScalars.contains { $0.value == 0x1b }, "\(text)")
    }
}
