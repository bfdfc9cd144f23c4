import Foundation
import MigrationCore
import Testing
import TestSupport

/// Guards, ramp schedules, auto_advance and window gates: read from a plan, kept by both
/// stores, defended by the database, and decided on by the pure GuardPolicy.
@Suite struct GuardPlanTests {
    static let yaml = """
        phases:
          - {id: old-only, reads: old, writes: [old], ramp: false}
          - id: dual-write
            reads: old
            writes: [old, new]
            ramp: {steps: [1, 5, 25, 50, 100], every: 30m}
            guards:
              - name: new-store-errors
                when: {kind: counter, numerator: [write.new.error], denominator: [write], window: 5m, max: 0.01, min_sample: 100}
                action: rollback
              - name: lag
                when: {kind: gauge, gauge: replication.lag_seconds, max: 30, max_age: 5m}
                action: hold
          - id: read-new
            reads: new-fallback-old
            writes: [old, new]
            auto_advance: true
            guards:
              - {name: read-errors, when: {kind: counter, numerator: [read.new.error], max: 10, window: 1m}, action: rollback, to: previous}
          - id: new-primary
            reads: new-fallback-old
            writes: [new, old]
            irreversible: true
            gates:
              - {kind: window, days: [mon, tue, wed, thu], hours: "09:00-16:00", tz: Europe/Berlin}
            guards:
              - {name: old-errors, when: {kind: counter, numerator: [write.old.error], max: 0, window: 5m}, action: notify}
        """

    @Test func thePlanReadsGuardsRampsAutoAdvanceAndWindows() throws {
        let plan = try PlanFile.parse(Self.yaml, file: "plan.yaml")
        let dual = try #require(plan.phase("dual-write"))
        #expect(dual.automation.guards.map(\.name) == ["new-store-errors", "lag"])
        #expect(dual.automation.guards.map(\.action) == [.rollback(toPrevious: false), .hold])
        #expect(dual.automation.ramp?.summary == "1% → 5% → 25% → 50% → 100% every 30m")
        #expect(plan.phase("read-new")?.automation.autoAdvance == true)
        #expect(plan.phase("read-new")?.automation.guards.first?.action == .rollback(toPrevious: true))
        guard case .window(let window)? = plan.phase("new-primary")?.gates.first?.kind else {
            Issue.record("the window gate was not read")
            return
        }
        #expect(window.description == "window mon–thu 09:00–16:00 Europe/Berlin")
        #expect(try PlanFile.parse(Plan.ungatedYAML, file: "p").phases.allSatisfy { $0.automation.isEmpty })
    }

    @Test(arguments: [
        ("- {id: x, reads: old, writes: [old], irreversible: true, guards: [{name: g, when: {kind: counter, numerator: [e], max: 0, window: 1m}, action: rollback}]}",
         "rollback is refused in or after the irreversible phase"),
        ("- {id: x, reads: old, writes: [old], ramp: false, guards: [{name: g, when: {kind: counter, numerator: [e], max: 0, window: 1m}, action: rollback}]}",
         "is not ramped, so it has no rollout to put to 0%"),
        ("- {id: x, reads: old, writes: [old], irreversible: true, auto_advance: true}", "never enters an irreversible phase by itself"),
        ("- {id: x, reads: old, writes: [old], irreversible: true, ramp: {steps: [1, 100], every: 1s}}", "never ramps in or after the irreversible phase"),
        ("- {id: x, reads: old, writes: [old], auto_advance: true, gates: [{kind: approval}]}", "the guard cannot be the first of the two people"),
        ("- {id: x, reads: old, writes: [old], gates: [{kind: window, days: [mon], hours: '09:00-10:00', tz: localtime}]}", "means something else on each host"),
        ("- {id: x, reads: old, writes: [old], ramp: false, ramp2: 1}", "is not a phase field"),
        ("- {id: x, reads: old, writes: [old], ramp: {steps: [50, 25], every: 1m}}", "must rise"),
        ("- {id: x, reads: old, writes: [old], ramp: {steps: [0], every: 1m}}", "is not a percentage above 0"),
        ("- {id: x, reads: old, writes: [old], guards: [{name: g, when: {kind: approval}, action: hold}]}", "cannot be a guard's condition"),
        ("- {id: x, reads: old, writes: [old], guards: [{name: g, when: {kind: gauge, gauge: a, max: 1}, action: pause}]}", "is not an action"),
        ("- {id: x, reads: old, writes: [old], guards: [{name: 'G!', when: {kind: gauge, gauge: a, max: 1}, action: hold}]}", "is not a valid guard name"),
        ("- {id: x, reads: old, writes: [old], guards: [{name: new-store-errors, when: {kind: gauge, gauge: a, max: 1}, action: hold}]}",
         "guard names are unique in a plan"),
        ("- {id: x, reads: old, writes: [old], gates: [{kind: window, days: [mon], hours: '09:00-10:00', tz: Mars/Olympus}]}", "Mars/Olympus"),
        ("- {id: x, reads: old, writes: [old], gates: [{kind: window, days: [mon], hours: '09:00-10:00', tz: ../../etc/passwd}]}", "tz"),
    ])
    func mistakesInAutomationAreRefusedWithTheirLine(_ phase: String, _ message: String) throws {
        // Each mistake in a plan of its own, but for the repeated name, which needs the full plan.
        let minimal = "phases:\n  - {id: first, reads: old, writes: [old], ramp: false}"
        let yaml = (message.contains("unique") ? Self.yaml : minimal) + "\n  " + phase
        #expect {
            try PlanFile.parse(yaml, file: "plan.yaml")
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func bothStoresKeepTheAutomationAndItsHashStillVerifies(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let plan = try PlanFile.parse(Self.yaml, file: "plan.yaml")
        let store = try under.create(plan: plan, by: under.signer("ana"))
        #expect(try store.plan() == plan)
        #expect(try store.verifyAuditChain() == nil)
        // The automation is part of the plan: changing it afterwards is refused, and would be detected.
        #expect(throws: (any Error).self) { try under.sqlOrThrow("UPDATE phases SET automation = NULL WHERE id = 'dual-write';") }
        try under.sqlAsAttacker("UPDATE \(under.kind == .postgres ? under.schema() + "." : "")phases SET automation = NULL WHERE id = 'dual-write';")
        #expect(try store.verifyAuditChain() != nil, "a plan without its guards is a changed plan")
    }

    @Test(arguments: StoreKind.allCases)
    func theDatabaseRefusesFiringsThatAreNotThePlansAndHoldsMovesForward(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try under.create(plan: try PlanFile.parse(Self.yaml, file: "plan.yaml"), by: under.signer("ana"))
        let s = under.kind == .postgres ? under.schema() + "." : ""
        let insert = kind == .sqlite
            ? "INSERT INTO guard_firings (guard, phase, action, fired_at, fired_by, observed, bound, sentence) VALUES "
            : "INSERT INTO \(s)guard_firings (guard, phase, action, observed, bound, sentence) VALUES "
        let at = kind == .sqlite ? "'2026-11-26T03:00:00.000Z', 'x', " : ""
        // A guard the phase does not have, and an action outside the vocabulary, are refused.
        #expect(throws: (any Error).self) { try under.sqlOrThrow(insert + "('no-such-guard', 'dual-write', 'hold', \(at)'1', '2', 'x');") }
        #expect(throws: (any Error).self) { try under.sqlOrThrow(insert + "('lag', 'dual-write', 'explode', \(at)'1', '2', 'x');") }
        // A firing with another action than the plan's is refused: a forged 'notify' must not silence a hold.
        #expect(throws: (any Error).self) { try under.sqlOrThrow(insert + "('lag', 'dual-write', 'notify', \(at)'1', '2', 'x');") }
        // A hold written by hand (a foreign guard, with its audit row on PostgreSQL) holds every client of the contract.
        let audited = kind == .postgres ? "INSERT INTO \(s)audit (host, action, reason) VALUES ('h', 'guard-fire', 'lag by hand');\n" : ""
        try under.sqlOrThrow("BEGIN;\n" + audited + insert + "('lag', 'dual-write', 'hold', \(at)'45', '≤ 30', 'lagging');\nCOMMIT;")
        #expect(throws: (any Error).self) { try under.sqlOrThrow("DELETE FROM \(s)guard_firings;") }
        let control = MigrationControl(store: store, signer: under.signer("ana"))
        #expect(throws: ControlError.self) { try control.perform(.advance()) }
        #expect(throws: (any Error).self) {
            try under.sqlOrThrow("UPDATE \(s)guard_firings SET observed = '0' WHERE guard = 'lag';")
        }
        #expect(try store.guardFirings(openOnly: true, limit: 10).map(\.name) == ["lag"])
    }

    @Test func thePolicyFiresRampsAndAdvancesInThatOrder() throws {
        let plan = try PlanFile.parse(Self.yaml, file: "plan.yaml")
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        var state = MigrationState(phase: "dual-write", rollout: .none, version: 2, phaseSince: t0, changedAt: t0, changedBy: "ana")
        let fail = GateResult(kind: "counter", label: "errors", status: .fail, observed: "0.05", bound: "≤ 0.01", sentence: "too many", overridable: true)
        let unknown = GateResult(kind: "gauge", label: "lag", status: .unknown, observed: "never", bound: "≤ 30", sentence: "?", overridable: true)
        let pass = GateResult(kind: "counter", label: "errors", status: .pass, observed: "0", bound: "≤ 0.01", sentence: "ok", overridable: true)

        // Unknown never fires; a failure fires.
        #expect(GuardPolicy.nextMove(plan: plan, state: state, open: [], guardResults: [pass, unknown], next: nil, now: t0).move == nil)
        let fired = GuardPolicy.nextMove(plan: plan, state: state, open: [], guardResults: [fail, unknown], next: nil, now: t0).move
        #expect(fired == .fire(plan.phase("dual-write")!.automation.guards[0], fail))

        // Ramp steps are due `every` after the last change; a hold stops them.
        #expect(GuardPolicy.nextMove(plan: plan, state: state, open: [], guardResults: [pass, pass], next: nil,
                                     now: t0.addingTimeInterval(1799)).move == nil)
        #expect(GuardPolicy.nextMove(plan: plan, state: state, open: [], guardResults: [pass, pass], next: nil,
                                     now: t0.addingTimeInterval(1800)).move == .ramp(to: try Rollout(percent: "1"), step: 1, of: 5))
        let hold = GuardFiring(name: "lag", phase: "dual-write", action: "hold", firedAt: t0, firedBy: "guard@h", observed: "45", bound: "≤ 30", sentence: "x")
        let held = GuardPolicy.nextMove(plan: plan, state: state, open: [hold], guardResults: [pass, pass], next: nil, now: t0.addingTimeInterval(3600))
        #expect(held.move == nil && held.waiting?.contains("held by the guard 'lag'") == true)
        let notify = GuardFiring(name: "lag", phase: "dual-write", action: "notify", firedAt: t0, firedBy: "guard@h", observed: "45", bound: "≤ 30", sentence: "x")
        #expect(GuardPolicy.nextMove(plan: plan, state: state, open: [notify], guardResults: [pass, pass], next: nil,
                                     now: t0.addingTimeInterval(3600)).move != nil, "a notification holds nothing")

        // At 100% of the last step, an advance into read-new (auto_advance) once its gates pass.
        state.rollout = .full
        let report = GateReport(target: "read-new", irreversible: false, results: [pass], stateVersion: 2, checkedAt: t0)
        let soaked = t0.addingTimeInterval(1800)
        #expect(GuardPolicy.nextMove(plan: plan, state: state, open: [], guardResults: [pass, pass], next: report, now: t0).move == nil,
                "the last step soaks its interval like the others")
        #expect(GuardPolicy.nextMove(plan: plan, state: state, open: [], guardResults: [pass, pass], next: report, now: soaked).move
                == .advance(into: "read-new"))
        var failing = report
        failing.results = [fail]
        #expect(GuardPolicy.nextMove(plan: plan, state: state, open: [], guardResults: [pass, pass], next: failing, now: soaked).move == nil)
        // A rollout someone lowered is not ramped back up.
        var lowered = state
        lowered.rollout = try Rollout(percent: "5")
        let paused = GuardPolicy.nextMove(plan: plan, state: lowered, open: [], guardResults: [pass, pass], next: nil, now: soaked, lowered: "ana")
        #expect(paused.move == nil && paused.waiting?.contains("ana lowered the rollout") == true)

        // Never into an irreversible phase: read-new → new-primary waits for a person even at 100%.
        state.phase = "read-new"
        let intoNoReturn = GateReport(target: "new-primary", irreversible: true, results: [pass], stateVersion: 2, checkedAt: t0)
        #expect(GuardPolicy.nextMove(plan: plan, state: state, open: [], guardResults: [pass], next: intoNoReturn, now: t0).move == nil)
    }

    @Test func aLeaseWrittenFarAheadLocksNoGuardOut() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let mallory = GuardLease(holder: "mallory", host: "x", pid: 1, epoch: 7, acquiredAt: now, renewedAt: now,
                                 expiresAt: Date(timeIntervalSince1970: 253_402_300_799))
        let claim = GuardClaim(holder: "guard@h", actor: "guard@h", host: "h", pid: 2, seconds: 30)
        #expect(!mallory.isAlive(at: now), "an expiry years ahead is not believed")
        let taken = GuardLease.claiming(mallory, claim, at: now)
        #expect(taken?.lease.holder == "guard@h" && taken?.lease.epoch == 8 && taken?.takeover == true)
        var honest = mallory
        honest.expiresAt = now.addingTimeInterval(30)
        #expect(GuardLease.claiming(honest, claim, at: now) == nil, "a believable lease another guard holds is respected")
        #expect(!(taken?.lease.fences(honest, at: now) ?? true), "a write fenced by another holder's lease is refused")
    }

    @Test func aWindowGateIsJudgedByTheZonesOwnClock() throws {
        let check = try WindowCheck(days: ["mon", "tue", "wed", "thu"], hours: "09:00-16:00", tz: "Europe/Berlin")
        let zone = try ZoneInfo.load("Europe/Berlin")
        let target = Phase(id: "b", title: "b", reads: .old, writes: [.old], gates: [Gate(.window(check))])
        func status(_ unix: TimeInterval) -> GateStatus {
            let now = Date(timeIntervalSince1970: unix)
            let state = MigrationState(phase: "a", rollout: .full, version: 1, phaseSince: now, changedAt: now, changedBy: "x")
            let inputs = GateInputs(now: now, state: state, target: target, actor: "x", zones: ["Europe/Berlin": .success(zone)])
            return GateEvaluation.evaluate(target.gates, inputs)[0].status
        }
        #expect(status(1_774_828_800 + 7 * 3600 + 60) == .pass, "Mon 2026-03-30 09:01 CEST is 07:01 UTC")
        #expect(status(1_774_828_800 + 6 * 3600 + 60) == .fail, "08:01 CEST is before the window")
        let state = MigrationState(phase: "a", rollout: .full, version: 1, phaseSince: Date(), changedAt: Date(), changedBy: "x")
        let missing = GateEvaluation.evaluate(target.gates, GateInputs(now: Date(), state: state, target: target, actor: "x",
                                                                       zones: ["Europe/Berlin": .failure(.unknownZone(name: "Europe/Berlin", directory: "/nowhere"))]))
        #expect(missing[0].status == .unknown, "a zone that cannot be read is unknown, never open")
    }
}

struct Refused: Error {
    let message: String
}

extension StoreUnderTest {
    /// Runs SQL through the real shell as the fixture's own login, throwing when the database refuses it.
    func sqlOrThrow(_ statements: String) throws {
        let prefixed = kind == .postgres ? "SET search_path = \(schema());\n" + statements : statements
        let result = try sql(prefixed)
        guard result.status == 0, !result.stderr.contains("ERROR"), !result.stderr.contains("Error") else {
            throw Refused(message: result.stderr)
        }
    }
}
