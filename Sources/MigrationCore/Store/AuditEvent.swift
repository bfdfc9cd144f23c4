import Foundation

/// What an audit event records.
public enum AuditAction: String, Sendable, Codable, CaseIterable {
    case initialize = "init"
    case advance
    case rollback
    case rollout
    case upgrade
    case approve
    case tick
    case untick
    /// An instance that was gone for good removed from the fleet.
    case forget
    /// A guard's condition failed and the guard acted (notify, hold or rollback).
    case guardFire = "guard-fire"
    /// An operator cleared a fired guard.
    case guardClear = "guard-clear"
    /// A guard took the lease over: from now on it is the one that acts.
    case guardLease = "guard-lease"
    /// An operator paused, resumed, or changed the rate or batch size of the backfill.
    case backfill
    /// An operator paused, resumed, or changed the rate or batch size of the verifier.
    case verify
}

/// One row of the append-only audit log.
public struct AuditEvent: Sendable, Equatable, Codable {
    public var id: Int64
    public var at: Date
    public var actor: String
    public var host: String
    public var action: String
    public var fromPhase: String?
    public var toPhase: String?
    public var fromRollout: Rollout?
    public var toRollout: Rollout?
    /// The state version after the event, for state changes.
    public var version: Int64?
    public var reason: String?
    /// Extra facts as JSON text (e.g. gate results), when the action has any.
    public var details: String?

    /// `actor@host`, or the actor alone when it already names the host (the guard's `guard@HOST`).
    public var signature: String {
        actor.hasSuffix("@" + host) ? actor : "\(actor)@\(host)"
    }

    public init(
        id: Int64 = 0, at: Date, actor: String, host: String, action: String,
        fromPhase: String? = nil, toPhase: String? = nil, fromRollout: Rollout? = nil, toRollout: Rollout? = nil,
        version: Int64? = nil, reason: String? = nil, details: String? = nil
    ) {
        self.id = id
        self.at = at
        self.actor = actor
        self.host = host
        self.action = action
        self.fromPhase = fromPhase
        self.toPhase = toPhase
        self.fromRollout = fromRollout
        self.toRollout = toRollout
        self.version = version
        self.reason = reason
        self.details = details
    }
}
