import Foundation

/// A change that was made (or found unnecessary) by ``MigrationControl``.
public struct StateChange: Sendable, Equatable {
    public let before: MigrationState
    public let after: MigrationState
    /// False when the request asked for what already was (e.g. the same rollout): nothing was written.
    public var changed: Bool { before != after }
}

/// Why ``MigrationControl`` did not make a change.
public enum ControlError: Error, Equatable, CustomStringConvertible {
    /// The control database could not be used, or the state changed under the caller.
    case store(ControlStoreError)
    /// The plan forbids the move.
    case refused(TransitionRefusal)

    public var description: String {
        switch self {
        case .store(let error): error.description
        case .refused(let refusal): refusal.description
        }
    }
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

    public init(store: any ControlStore, signer: Operator, now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.signer = signer
        self.now = now
    }

    /// Applies `request`.
    ///
    /// - Parameters:
    ///   - expectVersion: the state version the caller decided on; a different stored
    ///     version is a conflict. Nil means "the version read now".
    ///   - reason: why, recorded in the audit log.
    /// - Throws: ``ControlError/refused(_:)`` when the plan forbids it,
    ///   ``ControlError/store(_:)`` with ``ControlStoreError/conflict(expected:found:)`` when
    ///   the state moved, and ``ControlError/store(_:)`` for database failures.
    @discardableResult
    public func perform(_ request: PhaseRequest, expectVersion: Int64? = nil, reason: String? = nil) throws(ControlError) -> StateChange {
        do {
            let plan = try store.plan()
            let before = try store.state()
            if let expectVersion, expectVersion != before.version {
                throw ControlError.store(.conflict(expected: expectVersion, found: before.version))
            }
            let date = now()
            let after: MigrationState
            do {
                after = try PhaseMachine.apply(request, to: before, in: plan, at: date, by: signer.name)
            } catch {
                throw ControlError.refused(error)
            }
            guard after != before else { return StateChange(before: before, after: after) }
            let event = AuditEvent(
                at: date, actor: signer.name, host: signer.host, action: request.action.rawValue,
                fromPhase: before.phase, toPhase: after.phase, fromRollout: before.rollout, toRollout: after.rollout,
                version: after.version, reason: reason)
            try store.commit(after, replacing: before, event: event)
            return StateChange(before: before, after: after)
        } catch let error as ControlError {
            throw error
        } catch let error as ControlStoreError {
            throw .store(error)
        } catch {
            throw .store(.io(path: store.location, message: "\(error)"))
        }
    }
}
