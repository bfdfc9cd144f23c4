import Foundation

/// A change that was made (or found unnecessary) by ``MigrationControl``.
public struct StateChange: Sendable, Equatable {
    public let before: MigrationState
    public let after: MigrationState
    /// The gates an advance was admitted by (nil for other requests).
    public var gates: GateReport?
    /// False for a dry run: the change was checked and found allowed, and nothing was written.
    public var written: Bool

    public init(before: MigrationState, after: MigrationState, gates: GateReport? = nil, written: Bool = true) {
        self.before = before
        self.after = after
        self.gates = gates
        self.written = written && before != after
    }

    /// False when the request asked for what already was (e.g. the same rollout): nothing was written.
    public var changed: Bool { before != after }
}

/// Why ``MigrationControl`` did not make a change.
public enum ControlError: Error, Equatable, CustomStringConvertible {
    /// The control database could not be used, or the state changed under the caller.
    case store(ControlStoreError)
    /// The plan forbids the move.
    case refused(TransitionRefusal)
    /// A gate of the target phase did not pass (and was not, or could not be, overridden).
    case gatesFailed(GateReport, forced: Bool)
    /// An override needs a written reason for the audit log.
    case overrideNeedsReason
    /// Entering an irreversible phase needs its id typed as confirmation.
    case confirmationMissing(target: String)
    /// The typed confirmation is not the target's id.
    case confirmationWrong(target: String, typed: String)
    /// A fired `hold` or `rollback` guard blocks advancing and raising the rollout until an operator clears it.
    case heldByGuard([GuardFiring])

    public var description: String {
        switch self {
        case .store(let error): error.description
        case .refused(let refusal): refusal.description
        case .gatesFailed(let report, let forced):
            Self.describe(report, forced: forced)
        case .overrideNeedsReason:
            "overriding a gate needs a written reason; add --reason \"why it is safe\"."
        case .confirmationMissing(let target):
            "'\(target)' is irreversible; confirm by typing its id: --confirm \(target)."
        case .confirmationWrong(let target, let typed):
            "the confirmation '\(typed.terminalSafe)' is not '\(target)'; nothing was changed."
        case .heldByGuard(let firings):
            Self.describe(holds: firings)
        }
    }

    private static func describe(holds firings: [GuardFiring]) -> String {
        let named = firings.prefix(3).map {
            "'\($0.name.terminalSafe)' (\($0.action.terminalSafe) in \($0.phase.terminalSafe) at \(Timestamp.string($0.firedAt)): saw \($0.observed.terminalSafe), wanted \($0.bound.terminalSafe))"
        }.joined(separator: ", ")
        let first = firings.first?.name.terminalSafe ?? "NAME"
        return "\(firings.count == 1 ? "the guard" : "\(firings.count) guards") \(named) \(firings.count == 1 ? "holds" : "hold") the migration: nothing moves forward until an operator clears \(firings.count == 1 ? "it" : "them") with 'migctl guard clear \(first) --reason TEXT'."
    }

    private static func describe(_ report: GateReport, forced: Bool) -> String {
        let blocking = report.blocking
        let stuck = forced ? blocking.filter { !$0.overridable } : blocking
        let names = stuck.map { "\($0.label) (\($0.status.rawValue): \($0.sentence))" }.joined(separator: "; ")
        return forced
            ? "gates that cannot be overridden did not pass for '\(report.target)': \(names)."
            : "\(stuck.count) gate\(stuck.count == 1 ? "" : "s") of '\(report.target)' did not pass: \(names); run 'migctl check' for the figures."
    }
}

/// How a change treats the gates of its target phase and the refusals an operator may override.
public struct AdvanceAuthority: Sendable, Equatable {
    /// Override failing gates that the plan allows to be overridden, or a refusal the phase machine
    /// lets an operator override (``TransitionRefusal/isOverridable``); needs a reason.
    public var force: Bool
    /// The target phase's id, typed by the operator; required into an irreversible phase.
    public var confirmation: String?
    /// The gate report the operator decided on; its command and query outcomes are reused when
    /// it is fresh and for the same state version, so no gate program runs twice per decision.
    public var checked: GateReport?
    /// False leaves command and prometheus gates unrun (unknown, so they block): a dry run runs
    /// no program and queries no server unless asked.
    public var runCommands: Bool

    public init(force: Bool = false, confirmation: String? = nil, checked: GateReport? = nil, runCommands: Bool = true) {
        self.force = force
        self.confirmation = confirmation
        self.checked = checked
        self.runCommands = runCommands
    }
}

/// What an advance records in its audit event's `details`.
struct AdvanceDetails: Codable {
    var gates: [GateResult]
    var overridden: [String]
    var confirmed: String?
}

/// What an operator can do to a migration, as one API for the console and the CLI.
///
/// Each change reads the state, asks the pure ``PhaseMachine`` for the next one and
/// commits it with compare-and-swap, in one transaction with its audit event. Two
/// operators racing from the same version cannot both win.
///
/// ```swift
/// let control = MigrationControl(store: store, signer: .current())
/// try control.perform(.setRollout(try Rollout(percent: "25")), reason: "ramp after a quiet night")
/// ```
public struct MigrationControl: Sendable {
    public let store: any ControlStore
    public let signer: Operator
    private let now: @Sendable () -> Date

    /// What runs command gates and asks prometheus gates; a dry run checks with the same.
    public let checks: ExternalChecks

    /// - Parameters:
    ///   - checks: what runs command gates' programs and asks prometheus gates' queries; by
    ///     default programs run and queries are unknown (only migctl links a querier).
    ///   - now: the clock gates are judged by; by default the store's (``ControlStore/now()``),
    ///     the clock that stamped the phase's start, the heartbeats and the approvals.
    public init(store: any ControlStore, signer: Operator, checks: ExternalChecks = ExternalChecks(),
                now: (@Sendable () -> Date)? = nil) {
        self.store = store
        self.signer = signer
        self.checks = checks
        self.now = now ?? { [store] in store.now() }
    }

    /// The gates of the phase after the current one, evaluated now; nil at the last phase.
    /// - Parameter cancel: stops a command check or a query that is still running.
    public func checkNext(cancel: CancelFlag? = nil) throws(ControlStoreError) -> GateReport? {
        let plan = try store.plan()
        let state = try store.state()
        guard let target = plan.next(after: state.phase) else { return nil }
        return try store.checkGates(into: target, from: state, actor: signer.name, now: now(), checks: checks, cancel: cancel)
    }

    /// Applies `request`. An advance first evaluates the target phase's gates; into an
    /// irreversible phase it also needs the typed confirmation.
    ///
    /// - Parameters:
    ///   - expectVersion: the state version the caller decided on; a different stored
    ///     version is a conflict. Nil means "the version read now".
    ///   - reason: why, recorded in the audit log.
    ///   - authority: for an advance: whether to override failing gates, and the confirmation.
    ///   - dryRun: check everything a real change checks, and write nothing (the result's `written` is false).
    /// - Throws: ``ControlError/refused(_:)`` when the plan forbids it,
    ///   ``ControlError/store(_:)`` with ``ControlStoreError/conflict(expected:found:)`` when
    ///   the state moved, and ``ControlError/store(_:)`` for database failures.
    @discardableResult
    public func perform(
        _ request: PhaseRequest, expectVersion: Int64? = nil, reason: String? = nil, authority: AdvanceAuthority = AdvanceAuthority(),
        dryRun: Bool = false
    ) throws(ControlError) -> StateChange {
        do {
            let plan = try store.plan()
            let before = try store.state()
            if let expectVersion, expectVersion != before.version {
                throw ControlError.store(.conflict(expected: expectVersion, found: before.version))
            }
            let date = now()
            let after: MigrationState
            var overriddenRefusal: TransitionRefusal?
            do {
                after = try PhaseMachine.apply(request, to: before, in: plan, at: date, by: signer.name)
            } catch {
                guard error.isOverridable, authority.force else { throw ControlError.refused(error) }
                guard let reason, !reason.trimmingWhitespace().isEmpty else { throw ControlError.overrideNeedsReason }
                after = try PhaseMachine.apply(request, to: before, in: plan, at: date, by: signer.name, overriding: true)
                overriddenRefusal = error
            }
            guard after != before else { return StateChange(before: before, after: after) }
            if Self.movesForward(from: before, to: after, in: plan) {
                let holds = try store.guardFirings(openOnly: true, limit: 100).filter(\.blocks)
                if !holds.isEmpty { throw ControlError.heldByGuard(holds) }
            }
            var details: String?
            var report: GateReport?
            if case .advance = request, let target = plan.phase(after.phase) {
                (details, report) = try admit(into: target, from: before, reason: reason, authority: authority, at: date)
            }
            if let overriddenRefusal { details = Self.overrideDetails(overriddenRefusal) }
            if dryRun { return StateChange(before: before, after: after, gates: report, written: false) }
            let event = AuditEvent(
                at: date, actor: signer.name, host: signer.host, action: request.action.rawValue,
                fromPhase: before.phase, toPhase: after.phase, fromRollout: before.rollout, toRollout: after.rollout,
                version: after.version, reason: reason, details: details)
            try store.commit(after, replacing: before, event: event)
            // A server stamps the change with its own clock: report what it stored, unless
            // another change followed already.
            if let stored = try? store.state(), stored.version == after.version {
                return StateChange(before: before, after: stored, gates: report)
            }
            return StateChange(before: before, after: after, gates: report)
        } catch let error as ControlError {
            throw error
        } catch let error as ControlStoreError {
            throw .store(error)
        } catch {
            throw .store(.io(path: store.location, message: "\(error)"))
        }
    }

    /// The audit details of a move made despite an overridable refusal: what was overridden, in
    /// the words the refusal gave, so the log says which harm the operator accepted.
    static func overrideDetails(_ refusal: TransitionRefusal) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(["overridden": [refusal.problem]]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Whether a change moves keys forward (an advance, a higher rollout): what a fired guard holds back.
    static func movesForward(from before: MigrationState, to after: MigrationState, in plan: Plan) -> Bool {
        guard let from = plan.index(of: before.phase), let to = plan.index(of: after.phase) else { return false }
        return to > from || (to == from && after.rollout > before.rollout)
    }

    /// Runs the gates and the confirmation of an advance into `target`.
    /// - Returns: the audit details (gate results, overrides, confirmation) as JSON, and the gate report.
    private func admit(
        into target: Phase, from state: MigrationState, reason: String?, authority: AdvanceAuthority, at date: Date
    ) throws -> (details: String, report: GateReport) {
        let report = try store.checkGates(into: target, from: state, actor: signer.name, now: date, checks: checks,
                                          runCommands: authority.runCommands, reusing: authority.checked)
        var overridden: [String] = []
        if !report.allPass {
            guard authority.force else { throw ControlError.gatesFailed(report, forced: false) }
            guard report.blocking.allSatisfy(\.overridable) else { throw ControlError.gatesFailed(report, forced: true) }
            guard let reason, !reason.trimmingWhitespace().isEmpty else { throw ControlError.overrideNeedsReason }
            overridden = report.blocking.map(\.label)
        }
        if target.irreversible {
            guard let typed = authority.confirmation else { throw ControlError.confirmationMissing(target: target.id) }
            guard typed == target.id else { throw ControlError.confirmationWrong(target: target.id, typed: typed) }
        }
        let details = AdvanceDetails(gates: report.results, overridden: overridden, confirmed: target.irreversible ? target.id : nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (String(decoding: try encoder.encode(details), as: UTF8.self), report)
    }
}
