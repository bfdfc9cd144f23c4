import Foundation

/// The one row that says which guard acts on a control store.
///
/// A guard acts only while it holds an unexpired lease, and every write it makes checks, in
/// the same transaction, that it still does (holder and epoch): a guard that stalled past its
/// lease and wakes up finds its writes refused, so two guards never both act. A standby
/// guard takes the lease over once it has expired; each takeover raises the epoch.
public struct GuardLease: Sendable, Equatable, Codable {
    /// Who holds it: `guard@HOST` plus the process and a random tag, unique per run.
    public var holder: String
    public var host: String
    public var pid: Int64
    /// Raised on every takeover: a write fenced by an older epoch is refused.
    public var epoch: Int64
    public var acquiredAt: Date
    public var renewedAt: Date
    public var expiresAt: Date
    /// What the guard publishes for the console and `guard status` (``GuardStatus`` as JSON);
    /// written by whatever holds the row, so read it as untrusted.
    public var status: String?

    public init(holder: String, host: String, pid: Int64, epoch: Int64, acquiredAt: Date, renewedAt: Date, expiresAt: Date,
                status: String? = nil) {
        self.holder = holder
        self.host = host
        self.pid = pid
        self.epoch = epoch
        self.acquiredAt = acquiredAt
        self.renewedAt = renewedAt
        self.expiresAt = expiresAt
        self.status = status
    }

    /// The longest a lease may run past `now`: one written further ahead (by hand, or by a
    /// clock that was wrong) does not bind, so it can never lock every guard out.
    public static let maximumSeconds: TimeInterval = 86_400

    /// Whether the lease still binds at `now`: a guard holds it, has renewed it in time, and
    /// its expiry is believable (at most ``maximumSeconds`` ahead).
    public func isAlive(at now: Date) -> Bool {
        expiresAt > now && expiresAt.timeIntervalSince(now) <= Self.maximumSeconds
    }

    /// ``status`` decoded, or nil when it is missing or not what a guard writes.
    public var decodedStatus: GuardStatus? {
        guard let status, status.utf8.count <= GuardStatus.maxBytes else { return nil }
        return try? JSONDecoder().decode(GuardStatus.self, from: Data(status.utf8))
    }
}

/// Who asks for the lease.
public struct GuardClaim: Sendable, Equatable {
    public var holder: String
    /// Who signs the takeover's audit event (`guard@HOST`; on a server, the guard's login).
    public var actor: String
    public var host: String
    public var pid: Int64
    /// How long the lease lasts after each renewal.
    public var seconds: Int64
    /// The status to publish with the renewal (JSON), if any.
    public var status: String?

    public init(holder: String, actor: String, host: String, pid: Int64, seconds: Int64, status: String? = nil) {
        self.holder = holder
        self.actor = actor
        self.host = host
        self.pid = pid
        self.seconds = seconds
        self.status = status
    }
}

/// What the acting guard publishes in its lease row each interval, for the console.
public struct GuardStatus: Sendable, Equatable, Codable {
    /// A status larger than this is not read (it cannot be what a guard wrote).
    public static let maxBytes = 64 * 1024

    /// Seconds between evaluations.
    public var intervalSeconds: Double
    /// The last evaluation of each guard of the current phase.
    public var guards: [Watched]
    /// The notification targets and how their deliveries go.
    public var targets: [Target]
    /// Why the guard did not take the next automatic step (a hold, a failing gate), if it did not.
    public var waiting: String?
    /// The newest audit row whose events were told: a guard that takes over goes on from there.
    public var notifiedThrough: Int64?

    public init(intervalSeconds: Double, guards: [Watched] = [], targets: [Target] = [], waiting: String? = nil) {
        self.intervalSeconds = intervalSeconds
        self.guards = guards
        self.targets = targets
        self.waiting = waiting
    }

    /// One guard's last evaluation.
    public struct Watched: Sendable, Equatable, Codable {
        public var name: String
        public var action: String
        public var status: GateStatus
        public var observed: String
        public var bound: String

        public init(name: String, action: String, status: GateStatus, observed: String, bound: String) {
            self.name = name
            self.action = action
            self.status = status
            self.observed = observed
            self.bound = bound
        }
    }

    /// One notification target, redacted (a webhook's host only), and its failures.
    public struct Target: Sendable, Equatable, Codable {
        public var name: String
        public var delivered: Int64
        public var failed: Int64
        public var pending: Int64
        public var lastError: String?

        public init(name: String, delivered: Int64, failed: Int64, pending: Int64, lastError: String? = nil) {
            self.name = name
            self.delivered = delivered
            self.failed = failed
            self.pending = pending
            self.lastError = lastError
        }
    }

    public var json: String { SortedJSON.text(self) ?? "{}" }
}

extension GuardLease {
    /// The lease row after `claim` asks for it at `now`: a renewal when the claimant holds it, a
    /// takeover (a new epoch) when it is free or expired, nil when another guard holds it.
    /// Both stores decide by this one rule, inside the transaction that writes the row.
    public static func claiming(_ current: GuardLease?, _ claim: GuardClaim, at now: Date) -> (lease: GuardLease, takeover: Bool)? {
        let expires = now.addingTimeInterval(TimeInterval(claim.seconds))
        guard let current else {
            return (GuardLease(holder: claim.holder, host: claim.host, pid: claim.pid, epoch: 1, acquiredAt: now, renewedAt: now,
                               expiresAt: expires, status: claim.status), true)
        }
        if current.holder == claim.holder {
            var renewed = current
            (renewed.renewedAt, renewed.expiresAt, renewed.status) = (now, expires, claim.status)
            return (renewed, false)
        }
        // An epoch at its end (only a hand-written row gets there) cannot be raised: no takeover.
        guard !current.isAlive(at: now), case (let epoch, false) = current.epoch.addingReportingOverflow(1) else { return nil }
        return (GuardLease(holder: claim.holder, host: claim.host, pid: claim.pid, epoch: epoch, acquiredAt: now,
                           renewedAt: now, expiresAt: expires, status: claim.status), true)
    }

    /// Whether a write fenced by `self` may go ahead against the stored lease `current` at `now`.
    public func fences(_ current: GuardLease?, at now: Date) -> Bool {
        guard let current else { return false }
        return current.holder == holder && current.epoch == epoch && current.isAlive(at: now)
    }

    /// The audit event of a takeover.
    public func takeoverEvent(previous: GuardLease?, actor: String) -> AuditEvent {
        let from = previous.map { " from \($0.holder) (lease expired \(Timestamp.string($0.expiresAt)))" } ?? ""
        return AuditEvent(at: acquiredAt, actor: actor, host: host, action: AuditAction.guardLease.rawValue,
                          reason: "\(holder) took the guard lease\(from), epoch \(epoch)")
    }
}
