import Console
import Foundation
import MigrationCore
import TestSupport
import Testing

/// `p` and `R` in the console's loop, on both stores: each is one audited change of the job's
/// control by the console's operator, as `migctl backfill pause|rate` makes.
struct JobSessionTests {
    @Test(arguments: StoreKind.allCases)
    func pAndRSteerTheBackfillWithAuditedChanges(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        _ = try under.create(name: "m", plan: Plan.ungated, runbooks: Plan.defaultRunbooks, by: under.signer("ana"))
        try under.login("ana")
        let store = try under.open(as: "ana")
        let control = MigrationControl(store: store, signer: Operator(name: under.actor("ana"), host: "h"))
        while try store.state().phase != "backfill" {
            if try store.state().rollout != .full { try control.perform(.setRollout(.full)) }
            try control.perform(.advance(), authority: AdvanceAuthority(confirmation: try store.plan().next(after: store.state().phase)?.id))
        }
        let terminal = ScriptedTerminal(keys: [.character("p")])
        let session = ConsoleSession(control: control, device: terminal, context: RenderContext(), readOnly: false)
        session.run(maxIterations: 3)
        #expect(try store.jobControl(.backfill).paused, "\(terminal.lastText)")
        #expect(terminal.lastText.contains("backfill paused (audited)") && terminal.lastText.contains("Backfill paused by"), "\(terminal.lastText)")
        terminal.keys = [.character("R")] + "120".map { Key.character($0) } + [.enter]
        session.run(maxIterations: 8)
        #expect(try store.jobControl(.backfill).rate == 120, "\(terminal.lastText)")
        let audited = try store.auditLog(limit: 5).filter { $0.action == AuditAction.backfill.rawValue }
        #expect(audited.count == 2 && audited.allSatisfy { $0.actor == under.actor("ana") })
        #expect(try store.verifyAuditChain() == nil)
    }
}
