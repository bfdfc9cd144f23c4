import Foundation
import Logging
import MigrationCore

/// The guard: every interval it claims (or renews) the lease, and while it holds it, it
/// evaluates the current phase's guards, acts on the first that failed, takes due ramp steps
/// and automatic advances, and tells people what happened.
///
/// Every write is fenced by the lease (``ControlStore/guardWrite(_:at:)``), and every move
/// goes through the same rules as a person's: the phase machine, the gates, the holds. It never
/// enters an irreversible phase. Used from one thread.
///
/// ```swift
/// let runner = GuardRunner(store: store, settings: settings, notifier: notifier, logger: logger)
/// while !stop.isRequested { runner.tick(); stop.wait(seconds: settings.intervalSeconds) }
/// runner.shutdown()
/// ```
public final class GuardRunner {
    /// What one tick did.
    public enum Tick: Equatable, Sendable {
        /// Another guard holds the lease until `until`.
        case standby(holder: String, until: Date)
        /// This guard holds the lease; the moves it made (one sentence each) and why it waits, if it does.
        case acting(moves: [String], waiting: String?)
        /// The store could not be used; nothing was decided.
        case failed(String)
    }

    public let store: any ControlStore
    public let settings: GuardSettings
    private let notifier: Notifier?
    private let logger: Logger
    private let checks: ExternalChecks
    private let control: MigrationControl

    /// The lease while this guard acts.
    public private(set) var lease: GuardLease?
    /// Why this guard cannot go on at all (its file was replaced, its login may not run a
    /// guard): the daemon exits with it, for its supervisor to see and restart.
    public private(set) var fatal: String?
    private var watcher = GuardEventWatcher()
    private var auditCursor: Int64?
    private var lastNext: GateReport?
    /// The last report of the next phase whose command gates ran (not reused).
    private var commandsRun: GateReport?
    private var lastChainCheck: Date?
    private var status: GuardStatus
    private var lastStandbyHolder: String?
    /// The failure the last tick logged and when, so that a store that stays unusable is said
    /// once (and again every ``failureReminderSeconds``), not every interval.
    private var failing: (sentence: String, logged: Date)?
    static let failureReminderSeconds: TimeInterval = 600

    /// - Parameter checks: what runs command conditions and gates and asks prometheus ones;
    ///   migctl passes one that can query Prometheus.
    public init(store: any ControlStore, settings: GuardSettings, notifier: Notifier?, logger: Logger,
                checks: ExternalChecks = ExternalChecks()) {
        self.store = store
        self.settings = settings
        self.notifier = notifier
        self.logger = logger
        self.checks = checks
        control = MigrationControl(store: store, signer: settings.signer, checks: checks)
        status = GuardStatus(intervalSeconds: settings.intervalSeconds)
        watcher = GuardEventWatcher(lagGraceSeconds: max(15, 3 * settings.intervalSeconds))
    }

    /// One evaluation: claim the lease, act while holding it, notify.
    @discardableResult
    public func tick() -> Tick {
        if let change = store.fileChangeSinceOpening() {
            fatal = change == .replaced
                ? "\(store.location) was replaced by another file under the guard; it stops rather than guard a file nobody uses (restart it)"
                : "\(store.location) was rewritten behind the guard (a backup copied over it?); it stops rather than act on what it cached (restart it)"
            logger.critical("\(fatal?.terminalSafe ?? "")")
            lease = nil
            return .failed(fatal ?? "")
        }
        do {
            status.targets = (notifier?.stats ?? []).map {
                GuardStatus.Target(name: $0.target, delivered: $0.delivered, failed: $0.failed, pending: Int64($0.pending), lastError: $0.lastError)
            }
            let claim = GuardClaim(holder: settings.holder, actor: settings.signer.name, host: settings.signer.host, pid: settings.pid,
                                   seconds: settings.leaseSeconds, status: status.json)
            let previous = lease == nil ? try store.guardLease() : nil
            let held = try store.claimGuardLease(claim, at: store.now())
            guard held.holder == settings.holder else {
                if lease != nil { logger.warning("lost the lease to \(held.holder.terminalSafe); standing by") }
                if lastStandbyHolder != held.holder {
                    logger.info("standing by: \(held.holder.terminalSafe) holds the lease until \(Timestamp.string(held.expiresAt))")
                }
                lastStandbyHolder = held.holder
                lease = nil
                recovered()
                return .standby(holder: held.holder, until: held.expiresAt)
            }
            if lease == nil {
                logger.notice("acting: holds the guard lease (epoch \(held.epoch)) on \(store.location.terminalSafe)")
                // Tell what happened since the last guard told anything (it published how far it got),
                // within the last page of the log; a first guard starts now.
                let newest = try store.auditLog(limit: 1).first?.id ?? 0
                let told = previous?.decodedStatus?.notifiedThrough ?? newest
                auditCursor = min(newest, max(told, newest - Int64(Self.auditPage)))
                lastStandbyHolder = nil
            }
            lease = held
            let (moves, waiting) = try act(lease: held)
            status.waiting = waiting
            try observe()
            recovered()
            return .acting(moves: moves, waiting: waiting)
        } catch let error as ControlStoreError {
            switch error {
            case .leaseLost(let holder) where holder == settings.holder:
                lease = nil
                return failed("this guard's lease expired while it was evaluating (a tick took longer than the lease); it wrote nothing and claims the lease again")
            case .leaseLost:
                lease = nil
            case .permissionDenied:
                fatal = "\(error.description) A guard needs a login in the operator role."
                logger.critical("\(fatal?.terminalSafe ?? "")")
                return .failed(fatal ?? "")
            default:
                break
            }
            return failed(error.description)
        } catch {
            return failed(String(describing: error))
        }
    }

    /// Logs a failed tick, unless the last one failed the same way less than a reminder ago.
    private func failed(_ sentence: String) -> Tick {
        let now = Date()
        if let failing, failing.sentence == sentence, now.timeIntervalSince(failing.logged) < Self.failureReminderSeconds,
           now >= failing.logged {
            return .failed(sentence)
        }
        logger.error("\(sentence.terminalSafe)")
        failing = (sentence, now)
        return .failed(sentence)
    }

    /// Says so when a tick succeeds after failed ones.
    private func recovered() {
        guard failing != nil else { return }
        failing = nil
        logger.notice("the control store can be used again")
    }

    /// Lets the lease go (a standby takes over at once) and gives queued notifications a few seconds.
    public func shutdown(drain: Duration = .seconds(5)) {
        if let lease {
            do {
                try store.releaseGuardLease(lease)
                logger.notice("released the guard lease")
            } catch {
                logger.warning("could not release the lease (it expires by itself): \(error.description.terminalSafe)")
            }
        }
        lease = nil
        notifier?.drain(within: drain)
    }

    // MARK: - Acting

    /// At most a few moves per tick: each is applied, then the state is read again.
    private func act(lease: GuardLease) throws -> (moves: [String], waiting: String?) {
        var moves: [String] = []
        for _ in 0..<4 {
            let plan = try store.plan()
            let state = try store.state()
            guard let phase = plan.phase(state.phase) else { return (moves, "the state names a phase the plan does not have") }
            let now = store.now()
            let open = try store.guardFirings(openOnly: true, limit: 100)
            let results = try evaluateGuards(of: phase, state: state, now: now)
            status.guards = zip(phase.automation.guards, results).map { watched, result in
                GuardStatus.Watched(name: watched.name, action: watched.action.word, status: result.status, observed: result.observed,
                                    bound: result.bound)
            }
            let next = try evaluateNext(plan: plan, state: state, now: now)
            let (move, waiting) = GuardPolicy.nextMove(plan: plan, state: state, open: open, guardResults: results, next: next, now: now,
                                                       lowered: try lowered(state))
            guard let move else { return (moves, waiting) }
            do {
                moves.append(try apply(move, plan: plan, state: state, lease: lease, next: next))
            } catch let error as ControlError {
                // The rules refused what the policy proposed (a conflict, a gate that changed):
                // look again next interval.
                logger.warning("\(error.description.terminalSafe)")
                return (moves, error.description)
            }
        }
        return (moves, nil)
    }

    /// Who lowered the rollout, if the change that made `state` lowered it (read from its audit row).
    private func lowered(_ state: MigrationState) throws -> String? {
        GuardSummary.lowered(state, events: try store.auditLog(limit: 20))
    }

    /// The current phase's guards' results, in the plan's order (command and prometheus conditions run every interval).
    private func evaluateGuards(of phase: Phase, state: MigrationState, now: Date) throws -> [GateResult] {
        guard !phase.automation.guards.isEmpty else { return [] }
        var watched = phase
        watched.gates = phase.automation.guards.map(\.when)
        return try store.checkGates(into: watched, from: state, actor: settings.signer.name, now: now, checks: checks).results
    }

    /// The next phase's gates; command gates run at most once per state version every
    /// ``GateReport/reuseSeconds``, prometheus gates are asked every interval.
    private func evaluateNext(plan: Plan, state: MigrationState, now: Date) throws -> GateReport? {
        guard let target = plan.next(after: state.phase) else { return nil }
        var reusing = commandsRun
        reusing?.prometheusOutcomes = [:]
        let report = try store.checkGates(into: target, from: state, actor: settings.signer.name, now: now, checks: checks,
                                          reusing: reusing)
        // Keep the report whose programs actually ran, so that reusing it never extends their age.
        let age = commandsRun?.checkedAt.map { now.timeIntervalSince($0) } ?? .infinity
        let reused = commandsRun?.target == target.id && commandsRun?.stateVersion == state.version && age >= 0 && age < GateReport.reuseSeconds
        if !reused { commandsRun = report }
        lastNext = report
        return report
    }

    private func apply(_ move: GuardPolicy.Move, plan: Plan, state: MigrationState, lease: GuardLease, next: GateReport?) throws -> String {
        let signer = settings.signer
        let now = store.now()
        switch move {
        case .fire(let watched, let result):
            let said = "guard '\(watched.name)' fired in '\(state.phase)': \(result.sentence) (saw \(result.observed), wanted \(result.bound)); action: \(watched.action)"
            let details = Self.json(["guard": watched.name, "action": watched.action.word, "condition": result.label,
                                     "observed": result.observed, "bound": result.bound, "sentence": result.sentence])
            let fire = AuditEvent(at: now, actor: signer.name, host: signer.host, action: AuditAction.guardFire.rawValue,
                                  fromPhase: state.phase, toPhase: state.phase, reason: said, details: details)
            var change: (new: MigrationState, old: MigrationState, event: AuditEvent)?
            do {
                if let after = try GuardPolicy.rollback(for: watched.action, state: state, plan: plan, at: now, by: signer.name) {
                    let action: AuditAction = after.phase == state.phase ? .rollout : .rollback
                    let stale = PhaseMachine.strandedStore(from: state, to: after, in: plan).map {
                        "; the keys that left stop writing the \($0.rawValue) store, so its copies of them go stale until repaired (see the runbook)"
                    } ?? ""
                    change = (after, state, AuditEvent(at: now, actor: signer.name, host: signer.host, action: action.rawValue,
                                                       reason: "guard '\(watched.name)' fired: \(result.sentence)\(stale)", details: details))
                }
            } catch {
                logger.error("guard '\(watched.name)' fired but its rollback is refused: \(error.description)")
            }
            let firing = GuardFiring(name: watched.name, phase: state.phase, action: watched.action.word, firedAt: now,
                                     firedBy: signer.name, observed: result.observed, bound: result.bound, sentence: result.sentence)
            try store.guardWrite(GuardWrite(lease: lease, events: [fire], change: change, firing: firing), at: store.now())
            logger.notice("\(said.terminalSafe)\(change.map { " → '\($0.new.phase)' at \($0.new.rollout)" } ?? "")")
            return said
        case .ramp(let step, let index, let count):
            let planned = try control.perform(.setRollout(step), dryRun: true)
            let schedule = plan.phase(state.phase)?.automation.ramp?.summary ?? ""
            let said = "automatic ramp of '\(state.phase)': \(state.rollout) → \(step), step \(index) of \(count) (\(schedule))"
            let event = AuditEvent(at: now, actor: signer.name, host: signer.host, action: AuditAction.rollout.rawValue, reason: said)
            try store.guardWrite(GuardWrite(lease: lease, change: (planned.after, planned.before, event)), at: store.now())
            logger.notice("\(said.terminalSafe)")
            return said
        case .advance(let target):
            let planned = try control.perform(.advance(to: target), authority: AdvanceAuthority(checked: next), dryRun: true)
            let said = "automatic advance: '\(state.phase)' → '\(target)' (auto_advance, every gate passed)"
            let details = Self.json(gates: planned.gates?.results ?? [])
            let event = AuditEvent(at: now, actor: signer.name, host: signer.host, action: AuditAction.advance.rawValue,
                                   reason: said, details: details)
            try store.guardWrite(GuardWrite(lease: lease, change: (planned.after, planned.before, event)), at: store.now())
            logger.notice("\(said.terminalSafe)")
            return said
        }
    }

    // MARK: - Telling people

    /// Reads what changed since the last look and sends the events it makes.
    private func observe() throws {
        let plan = try store.plan()
        let state = try store.state()
        let now = store.now()
        let page = try store.auditLog(limit: Self.auditPage)
        let fresh = page.filter { $0.id > (auditCursor ?? 0) }.sorted { $0.id < $1.id }
        if let oldest = fresh.first?.id, let cursor = auditCursor, oldest > cursor + 1, page.count == Self.auditPage {
            logger.warning("\(oldest - cursor - 1) audit events came faster than the guard looks; they were not notified (see 'migctl log')")
        }
        if let newest = fresh.last?.id { auditCursor = newest }
        status.notifiedThrough = auditCursor
        var chainChecked = false
        var chainBreak: String?
        if lastChainCheck.map({ now.timeIntervalSince($0) >= settings.chainCheckSeconds || now < $0 }) ?? true {
            lastChainCheck = now
            chainChecked = true
            chainBreak = try store.verifyAuditChain()?.description
        }
        let seen = GuardEventWatcher.Observation(
            migration: try store.migration().name, plan: plan, state: state, newEvents: fresh,
            next: lastNext?.stateVersion == state.version ? lastNext : nil, instances: try store.instances(),
            checklist: try store.checklist(phase: state.phase), chainChecked: chainChecked, chainBreak: chainBreak, now: now)
        for event in watcher.events(seen) {
            logger.info("event \(event.kind.rawValue): \(event.text)")
            notifier?.send(event)
        }
    }

    /// How many of the newest audit rows each look reads.
    static let auditPage = 200

    private static func json(_ fields: [String: String]) -> String { SortedJSON.text(fields) ?? "{}" }

    private static func json(gates: [GateResult]) -> String { SortedJSON.text(["gates": gates]) ?? "{}" }
}
