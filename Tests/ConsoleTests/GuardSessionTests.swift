import Console
import Foundation
import MigrationCore
import TestSupport
import Testing

/// The guard in the console's loop, on both stores: a fired hold shows, holds an advance, and
/// `G` clears it with an audit event by the console's operator.
struct GuardSessionTests {
    /// The ungated plan with a hold guard on the first phase.
    static let plan = Plan(phases: Plan.ungated.phases.map { phase in
        guard phase.id == "old-only" else { return phase }
        var phase = phase
        let errors = CounterCheck(numerator: ["write.new.error"], denominator: ["write"], windowSeconds: 300, bounds: Bounds(max: 0.01),
                                  minSample: 100)
        phase.automation = PhaseAutomation(guards: [PhaseGuard(name: "new-store-errors", when: Gate(.counter(errors)), action: .hold)])
        return phase
    })

    /// Records a firing of `new-store-errors` as the acting guard does: it takes the lease, then
    /// writes the firing and its audit event fenced by it.
    @discardableResult
    static func fire(_ store: any ControlStore) throws -> GuardFiring {
        let signer = try store.login().map { Operator(name: $0, host: "db1") } ?? Operator(name: "guard@db1", host: "db1")
        let lease = try store.claimGuardLease(GuardClaim(holder: "guard@db1 pid 7 #t", actor: signer.name, host: "db1", pid: 7, seconds: 300),
                                              at: store.now())
        let now = store.now()
        let fire = AuditEvent(at: now, actor: signer.name, host: signer.host, action: AuditAction.guardFire.rawValue, fromPhase: "old-only",
                              toPhase: "old-only", reason: "guard 'new-store-errors' fired in 'old-only'")
        let firing = GuardFiring(name: "new-store-errors", phase: "old-only", action: "hold", firedAt: now, firedBy: signer.name,
                                 observed: "0.05 (50/1000)", bound: "≤ 0.01", sentence: "write.new.error / write is above 0.01")
        try store.guardWrite(GuardWrite(lease: lease, events: [fire], firing: firing), at: store.now())
        return try #require(try store.guardFirings(openOnly: true, limit: 10).first)
    }

    func typing(_ text: String) -> [Key?] { text.map { Key.character($0) } }

    /// The store with the guarded plan, a firing recorded, and a console for `bo` (on PostgreSQL
    /// an operator login of his own).
    func console(_ under: StoreUnderTest, keys: [Key?]) throws -> (ConsoleSession, ScriptedTerminal, any ControlStore) {
        let store = try under.create(name: "m", plan: Self.plan, runbooks: Plan.defaultRunbooks, by: under.signer("ana"))
        try Self.fire(store)
        try under.login("bo")
        let control = MigrationControl(store: try under.open(as: "bo"), signer: Operator(name: under.actor("bo"), host: "h"))
        let terminal = ScriptedTerminal(keys: keys)
        return (ConsoleSession(control: control, device: terminal, context: RenderContext(), readOnly: false), terminal, store)
    }

    @Test(arguments: StoreKind.allCases)
    func aFiredHoldShowsHoldsTheAdvanceAndIsClearedWithAReason(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let (session, terminal, store) = try console(under, keys: [nil])
        session.run(maxIterations: 1)
        #expect(terminal.lastText.contains(" Guard    guard@db1 pid 7 #t acting"), "\(terminal.lastText)")
        #expect(terminal.lastText.contains("   ✗ HOLD new-store-errors 0.05 (50/1000) want ≤ 0.01 · since "))

        terminal.keys = [.character("n")]
        session.run(maxIterations: 1)
        #expect(terminal.lastText.contains("Advance: held by a guard") && terminal.lastText.contains("G clears a fired guard here"))
        terminal.keys = [.character("G")] + typing("the new store's disk was full; fixed") + [.enter]
        session.run(maxIterations: 40)
        #expect(terminal.lastText.contains("cleared guard 'new-store-errors'"), "\(terminal.lastText)")
        #expect(!terminal.lastText.contains("HOLD new-store-errors"))

        #expect(try store.guardFirings(openOnly: true, limit: 10).isEmpty)
        let cleared = try #require(try store.guardFirings(openOnly: false, limit: 10).first)
        #expect(cleared.clearedBy == under.actor("bo") && cleared.clearReason == "guard 'new-store-errors': the new store's disk was full; fixed")
        let event = try #require(try store.auditLog(limit: 1).first)
        #expect(event.action == "guard-clear" && event.actor == under.actor("bo") && event.host == "h")
        #expect(event.reason == "guard 'new-store-errors': the new store's disk was full; fixed")
        #expect(try store.state().phase == "old-only", "clearing moves nothing")

        // The advance goes through now.
        terminal.keys = [.character("n")] + typing("errors gone") + [.enter]
        session.run(maxIterations: 40)
        #expect(try store.state().phase == "dual-write", "\(terminal.lastText)")
    }

    @Test(arguments: StoreKind.allCases)
    func aFiringClearedElsewhereMeanwhileIsRefusedAndNothingIsWritten(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let (session, terminal, store) = try console(under, keys: [.character("G")] + [.character("x")])
        session.run(maxIterations: 3)
        #expect(session.state.dialog?.title == "Clear guard new-store-errors")
        let elsewhere = GuardSummary.clearEvent(name: "new-store-errors", reason: "from the CLI", by: under.signer("ana"), at: store.now())
        #expect(try store.clearGuard(name: "new-store-errors", event: elsewhere) != nil)
        try Self.fire(store)
        let events = try store.auditLog(limit: 100).count
        session.step(.enter)
        #expect(session.state.dialog?.error?.contains("no longer fired as it was when this dialog opened") == true, "\(terminal.lastText)")
        #expect(try store.auditLog(limit: 100).count == events, "nothing written")
        #expect(try store.guardFirings(openOnly: true, limit: 10).count == 1, "the new firing stays")
    }
}
