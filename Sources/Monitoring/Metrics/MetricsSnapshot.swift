import Foundation
import MigrationCore

/// What `/metrics` reports, read from the control store in one go.
///
/// ``PrometheusExposition`` turns it into the text format; nothing else here touches the store.
/// The next phase's gates are previewed as the console previews them: command and other
/// external checks are not run on a scrape (they show as unknown), so a scrape every few
/// seconds never starts programs or queries other servers.
public struct MetricsSnapshot: Sendable {
    public var migration: MigrationInfo
    public var plan: Plan
    public var state: MigrationState
    public var counterTotals: [String: Int64]
    public var gauges: [Gauge]
    /// The next phase's gates, previewed; nil in the last phase.
    public var gates: GateReport?
    public var instances: [FleetInstance]
    /// The guard's lease as stored, or nil when no guard ever ran on this store.
    public var guardLease: GuardLease?
    /// The guards that fired and were not cleared.
    public var guardFirings: [GuardFiring]
    public var now: Date

    public init(migration: MigrationInfo, plan: Plan, state: MigrationState, counterTotals: [String: Int64] = [:], gauges: [Gauge] = [],
                gates: GateReport? = nil, instances: [FleetInstance] = [], guardLease: GuardLease? = nil,
                guardFirings: [GuardFiring] = [], now: Date) {
        self.migration = migration
        self.plan = plan
        self.state = state
        self.counterTotals = counterTotals
        self.gauges = gauges
        self.gates = gates
        self.instances = instances
        self.guardLease = guardLease
        self.guardFirings = guardFirings
        self.now = now
    }

    /// How many open firings a scrape reports at most (a plan has a few guards a phase).
    public static let firingLimit = 100

    /// Reads a snapshot from `store` at `now`, as `actor` (who would advance, for the approval gate's preview).
    public static func read(from store: any ControlStore, actor: String, now: Date) throws(ControlStoreError) -> MetricsSnapshot {
        let state = try store.state()
        let plan = try store.plan()
        let gates = try plan.next(after: state.phase).map { target throws(ControlStoreError) in
            try store.checkGates(into: target, from: state, actor: actor, now: now, runCommands: false)
        }
        return MetricsSnapshot(
            migration: try store.migration(), plan: plan, state: state, counterTotals: try store.counterTotals(),
            gauges: try store.gauges(), gates: gates, instances: try store.instances(), guardLease: try store.guardLease(),
            guardFirings: try store.guardFirings(openOnly: true, limit: firingLimit), now: now)
    }

    /// How the fleet's instances stand at ``now`` by the one liveness rule
    /// (``FleetInstance/isLive(at:within:)``, over ``FleetInstance/defaultHeartbeatSeconds``).
    public var fleet: [InstanceStanding: Int] {
        var counts = Dictionary(uniqueKeysWithValues: InstanceStanding.allCases.map { ($0, 0) })
        for instance in instances {
            counts[InstanceStanding(instance, version: state.version, now: now), default: 0] += 1
        }
        return counts
    }
}

/// Where one client instance stands, for `migctl_instances{state=…}`.
public enum InstanceStanding: String, Sendable, CaseIterable {
    /// Reporting, and routing by the current state version.
    case live
    /// Reporting, but routing by an older version: it has not picked up the last change yet.
    case behind
    /// Reporting that it cannot refresh its state, so it routes by one that may be old.
    case stale
    /// Not reporting within the heartbeat window: crashed, partitioned or gone without leaving.
    case silent

    init(_ instance: FleetInstance, version: Int64, now: Date) {
        if !instance.isLive(at: now, within: FleetInstance.defaultHeartbeatSeconds) {
            self = .silent
        } else if instance.stale {
            self = .stale
        } else {
            self = instance.servingVersion == version ? .live : .behind
        }
    }
}
