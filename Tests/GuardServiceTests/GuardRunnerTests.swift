import Foundation
import GuardService
import Logging
import MigrationCore
import Synchronization
import Testing
import TestSupport

/// The guard in process, tick by tick, on both stores: what it decides, what it writes, what it tells.
@Suite struct GuardRunnerTests {
    /// A plan whose ramped phase rolls back on an error rate, then a point of no return that only holds.
    static let planYAML = """
        phases:
          - {id: old-only, reads: old, writes: [old], ramp: false}
          - id: dual-write
            reads: old
            writes: [old, new]
            guards:
              - name: new-store-errors
                when: {kind: counter, numerator: [write.new.error], denominator: [write], window: 5m, max: 0.01, min_sample: 100}
                action: rollback
          - id: new-primary
            reads: new-fallback-old
            writes: [new, old]
            irreversible: true
            guards:
              - name: old-store-errors
                when: {kind: counter, numerator: [write.old.error], denominator: [write], window: 5m, max: 0.01, min_sample: 100}
                action: hold
          - {id: new-only, reads: new, writes: [new], irreversible: true, ramp: false}
        """

    struct Fixture {
        let under: StoreUnderTest
        let store: any ControlStore
        let person: Operator
        let events: RecordingTarget
        let notifier: Notifier

        init(_ kind: StoreKind, yaml: String = GuardRunnerTests.planYAML) throws {
            under = try StoreUnderTest(kind)
            let plan = try PlanFile.parse(yaml, file: "plan.yaml")
            person = under.signer("ana")
            store = try under.create(plan: plan, by: person)
            events = RecordingTarget()
            notifier = Notifier(targets: [events], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        }

        /// A guard on its own connection, as another process would be.
        func runner(interval: Double = 1, lease: Int64 = 3, tag: String = "a") throws -> GuardRunner {
            let store = try under.open()
            let signer = try store.login().map { Operator(name: $0, host: "h-\(tag)") } ?? Operator(name: "guard@h-\(tag)", host: "h-\(tag)")
            return GuardRunner(store: store, settings: GuardSettings(intervalSeconds: interval, leaseSeconds: lease, signer: signer,
                                                                   holder: "guard@h-\(tag)"),
                               notifier: notifier, logger: Logger(label: "guard-\(tag)", factory: { _ in SwiftLogNoOpLogHandler() }))
        }

        func control() -> MigrationControl { MigrationControl(store: store, signer: person) }

        func inject(_ counts: [String: Int64]) throws {
            try store.add(counts: counts, second: Int64(store.now().timeIntervalSince1970))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aGuardFiresOnAnInjectedErrorRateAndRollsBackWithinTwoTicks(_ kind: StoreKind) throws {
        let fixture = try Fixture(kind)
        try fixture.control().perform(.advance())
        try fixture.control().perform(.setRollout(Rollout(percent: "50")))
        let runner = try fixture.runner()
        #expect(runner.tick() == .acting(moves: [], waiting: nil), "healthy: nothing to do")

        try fixture.inject(["write": 1000, "write.new.error": 50])
        guard case .acting(let moves, _) = runner.tick() else { Issue.record("the guard should act"); return }
        #expect(moves.count == 1 && moves[0].contains("new-store-errors"), "\(moves)")
        let state = try fixture.store.state()
        #expect(state.phase == "dual-write" && state.rollout == .none, "rolled back to 0% at the first tick after the errors")
        let fired = try fixture.store.guardFirings(openOnly: true, limit: 10)
        #expect(fired.map(\.name) == ["new-store-errors"] && fired[0].observed.contains("50/1000") && fired[0].action == "rollback")
        let log = try fixture.store.auditLog(limit: 2)
        #expect(log.map(\.action) == ["rollout", "guard-fire"] && log.allSatisfy { $0.actor == runner.settings.signer.name && $0.host == "h-a" })
        #expect(log[1].details?.contains("50/1000") == true, "the figures it saw are in the audit event")

        // Fired stays fired: a person may not ramp back up, and neither does the guard, even once the errors stop.
        #expect(throws: ControlError.self) { try fixture.control().perform(.setRollout(Rollout(percent: "10"))) }
        do {
            try fixture.control().perform(.setRollout(Rollout(percent: "10")))
        } catch let error as ControlError {
            #expect(error.description.contains("new-store-errors") && error.description.contains("migctl guard clear"))
        }
        #expect(runner.tick() == .acting(moves: [], waiting: runner.tick().waiting), "no second firing while it is open")
        #expect(try fixture.store.guardFirings(openOnly: false, limit: 10).count == 1)

        // Cleared by an operator (audited), the migration moves again.
        let clear = AuditEvent(at: fixture.store.now(), actor: fixture.person.name, host: "h", action: AuditAction.guardClear.rawValue,
                               reason: "guard 'new-store-errors': the new store's disk was full; fixed")
        #expect(try fixture.store.clearGuard(name: "new-store-errors", event: clear)?.name == "new-store-errors")
        #expect(try fixture.store.clearGuard(name: "new-store-errors", event: clear) == nil, "cleared once")
        #expect(throws: Never.self) { try fixture.control().perform(.setRollout(Rollout(percent: "10"))) }

        let kinds = try #require(eventually { fixture.events.kinds.contains(.guardFired) ? fixture.events.kinds : nil })
        #expect(kinds.contains(.rolloutChanged), "\(kinds)")
        fixture.notifier.drain(within: .seconds(2))
    }

    @Test(arguments: StoreKind.allCases)
    func pastThePointOfNoReturnTheSameConditionOnlyHoldsAndNotifies(_ kind: StoreKind) throws {
        let fixture = try Fixture(kind)
        try fixture.control().perform(.advance())
        try fixture.control().perform(.setRollout(.full))
        try fixture.control().perform(.advance(to: "new-primary"), authority: AdvanceAuthority(confirmation: "new-primary"))
        try fixture.control().perform(.setRollout(Rollout(percent: "30")))
        let runner = try fixture.runner()
        runner.tick()
        try fixture.inject(["write": 1000, "write.old.error": 500])
        guard case .acting(let moves, _) = runner.tick() else { Issue.record("the guard should act"); return }
        #expect(moves.count == 1 && moves[0].contains("old-store-errors"))
        let state = try fixture.store.state()
        let thirty = try Rollout(percent: "30")
        #expect(state.phase == "new-primary" && state.rollout == thirty, "a hold changes nothing")
        #expect(try fixture.store.guardFirings(openOnly: true, limit: 10).map(\.action) == ["hold"])
        #expect(throws: ControlError.self) { try fixture.control().perform(.setRollout(.full)) }
        #expect(try #require(eventually { fixture.events.kinds.contains(.guardFired) ? true : nil }))

        // The plan itself refuses a rollback guard there.
        let rollbackPastNoReturn = Self.planYAML.replacingOccurrences(of: "action: hold", with: "action: rollback")
        #expect {
            try PlanFile.parse(rollbackPastNoReturn, file: "plan.yaml")
        } throws: { error in
            "\(error)".contains("rollback is refused in or after the irreversible phase 'new-primary'")
        }
        fixture.notifier.drain(within: .seconds(2))
    }

    @Test(arguments: StoreKind.allCases)
    func anAutomaticRampWalksItsStepsThenAdvancesWhereThePlanSays(_ kind: StoreKind) throws {
        let fixture = try Fixture(kind, yaml: """
            phases:
              - {id: old-only, reads: old, writes: [old], ramp: false}
              - id: dual-write
                reads: old
                writes: [old, new]
                ramp: {steps: [1, 5, 25, 50, 100], every: 1s}
              - {id: read-new, reads: new-fallback-old, writes: [old, new], auto_advance: true, gates: [{kind: rollout}]}
              - {id: new-primary, reads: new-fallback-old, writes: [new, old], irreversible: true}
            """)
        try fixture.control().perform(.advance())
        let runner = try fixture.runner()
        let walked = try eventually(within: .seconds(30)) {
            runner.tick()
            return try fixture.store.state().phase == "read-new"
        }
        #expect(walked, "the ramp reached 100% and the guard advanced into read-new")
        let log = try fixture.store.auditLog(limit: 20).reversed().filter { $0.host == runner.settings.signer.host && $0.action != "guard-lease" }
        #expect(log.map(\.action) == ["rollout", "rollout", "rollout", "rollout", "rollout", "advance"], "\(log.map(\.action))")
        #expect(log.compactMap(\.toRollout).map(\.description) == ["1%", "5%", "25%", "50%", "100%", "0%"])
        for (earlier, later) in zip(log.dropLast(), log.dropLast().dropFirst()) {
            #expect(later.at.timeIntervalSince(earlier.at) >= 0.999, "each step waits its interval")
        }
        // read-new is not ramped by schedule and new-primary is irreversible: the guard stops there.
        for _ in 0..<3 { runner.tick() }
        let settled = try fixture.store.state()
        #expect(settled.phase == "read-new" && settled.rollout == .none)
        fixture.notifier.drain(within: .seconds(2))
    }

    @Test(arguments: StoreKind.allCases)
    func twoGuardsNeverBothActAndAStandbyTakesOverAnExpiredLease(_ kind: StoreKind) throws {
        let fixture = try Fixture(kind)
        let a = try fixture.runner(lease: 2, tag: "a")
        let b = try fixture.runner(lease: 2, tag: "b")
        // Both tick at once, many times: exactly one acts each time, and it is always the same one.
        let roles = Mutex<[String]>([])
        let both = UncheckedRunners(runners: [a, b])
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let runner = both.runners[i]
            for _ in 0..<20 {
                switch runner.tick() {
                case .acting: roles.withLock { $0.append(runner.settings.holder) }
                default: break
                }
            }
        }
        let acting = Set(roles.withLock { $0 })
        #expect(acting.count == 1, "one guard acts: \(acting)")
        let active = acting.first == a.settings.holder ? a : b
        let standby = active === a ? b : a
        let held = try #require(active.lease)

        // The acting guard stops renewing (kill -9, a hang): its lease expires and the standby takes over.
        let takenOver = eventually(within: .seconds(10)) {
            if case .acting = standby.tick() { return true }
            return false
        }
        #expect(takenOver)
        let lease = try #require(try fixture.store.guardLease())
        // Instants are stored to the millisecond: the stored takeover may read up to 1 ms before
        // the in-memory expiry it followed (it failed once so).
        #expect(lease.holder == standby.settings.holder && lease.epoch == held.epoch + 1
                && lease.acquiredAt.timeIntervalSince(held.expiresAt) > -0.001, "\(lease.acquiredAt) after \(held.expiresAt)")

        // The stalled guard wakes up: its fenced writes are refused, and it stands by.
        #expect(throws: ControlStoreError.leaseLost(holder: standby.settings.holder)) {
            try fixture.store.guardWrite(GuardWrite(lease: held, events: [
                AuditEvent(at: Date(), actor: active.settings.signer.name, host: "h", action: AuditAction.guardFire.rawValue, reason: "stale")
            ]), at: fixture.store.now())
        }
        if case .standby(let holder, _) = active.tick() {
            #expect(holder == standby.settings.holder)
        } else {
            Issue.record("the stalled guard must stand by")
        }
        let takeovers = try fixture.store.auditLog(limit: 50).filter { $0.action == "guard-lease" }
        #expect(takeovers.count == 2, "each takeover is audited once")
        fixture.notifier.drain(within: .seconds(2))
    }
}

extension GuardRunner.Tick {
    var waiting: String? {
        if case .acting(_, let waiting) = self { return waiting }
        return nil
    }
}

/// Two runners, each ticked by one thread only.
struct UncheckedRunners: @unchecked Sendable {
    let runners: [GuardRunner]
}

/// A notification target that keeps what it receives.
final class RecordingTarget: NotificationTarget {
    let name = "recording"
    private let received = Mutex<[GuardEvent]>([])

    func deliver(_ event: GuardEvent, cancel: CancelFlag) throws(NotifyError) {
        received.withLock { $0.append(event) }
    }

    var kinds: [GuardEvent.Kind] { received.withLock { $0.map(\.kind) } }
}
