/// Every metric `migctl metrics` exposes: its name and its help line, in one place, so the
/// exposition, the tests and the README's table never disagree.
///
/// Counter and gauge names of the control store are label values
/// (`migctl_events_total{counter="write.new.error"}`, `migctl_reported_value{gauge="replication.lag_seconds"}`),
/// never part of a metric name: they may hold `.` and `-`, which Prometheus names cannot. No
/// name holds the words counter or gauge, as `promtool check metrics` asks.
public enum MetricName: String, Sendable, CaseIterable {
    case migrationInfo = "migctl_migration_info"
    case phaseInfo = "migctl_phase_info"
    case phaseCount = "migctl_phases"
    case rolloutRatio = "migctl_rollout_ratio"
    case stateVersion = "migctl_state_version"
    case phaseSeconds = "migctl_phase_seconds"
    case phaseStarted = "migctl_phase_started_timestamp_seconds"
    case eventsTotal = "migctl_events_total"
    case reported = "migctl_reported_value"
    case reportedAt = "migctl_reported_timestamp_seconds"
    case nextGate = "migctl_next_gate_status"
    case nextGatesPassing = "migctl_next_gates_passing"
    case nextGates = "migctl_next_gates"
    case instances = "migctl_instances"
    case guardLeaseAlive = "migctl_guard_lease_alive"
    case guardLeaseEpoch = "migctl_guard_lease_epoch"
    case guardFiring = "migctl_guard_firing"
    case guardHolds = "migctl_guard_holds"
    case storeReadable = "migctl_store_readable"
    case seriesOmitted = "migctl_series_omitted"

    /// The `# HELP` line's text.
    public var help: String {
        switch self {
        case .migrationInfo: "The migration this control store runs (1; the name is the bucketing salt)."
        case .phaseInfo: "The current phase (1): its id, its position in the plan from 1, and whether it is irreversible."
        case .phaseCount: "How many phases the plan has."
        case .rolloutRatio: "The share of keys that have the current phase's behaviour, from 0 to 1."
        case .stateVersion: "The state version; every change of phase or rollout raises it by one."
        case .phaseSeconds: "Seconds spent in the current phase."
        case .phaseStarted: "When the current phase was entered, in seconds since the Unix epoch."
        case .eventsTotal: "Each counter's total since the migration began (label counter: its name in the control store)."
        case .reported: "Each gauge's last reported value (label gauge: its name in the control store)."
        case .reportedAt: "When each gauge was last reported, in seconds since the Unix epoch."
        case .nextGate: "Each gate of the next phase (1 for its status, 0 for the others); command and prometheus checks are not run on a scrape and show unknown."
        case .nextGatesPassing: "How many gates of the next phase pass now."
        case .nextGates: "How many gates the next phase has."
        case .instances: "Client instances by standing: live (current version), behind (older version), stale (cannot refresh), silent (no heartbeat within 60 s)."
        case .guardLeaseAlive: "1 while a guard holds an unexpired lease on this store."
        case .guardLeaseEpoch: "The guard lease's epoch; each takeover by another guard raises it."
        case .guardFiring: "Each guard that fired and was not cleared (1), with the action it took."
        case .guardHolds: "How many fired guards hold back advancing and raising the rollout."
        case .seriesOmitted: "How many counters or gauges this scrape left out, beyond the first \(PrometheusExposition.seriesLimit) of each by name."
        case .storeReadable: "1 when this scrape could read the control store; 0 with no other migctl metric when it could not."
        }
    }
}
