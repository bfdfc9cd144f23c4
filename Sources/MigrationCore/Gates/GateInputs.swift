import Foundation

/// Counter totals are asked for by name and window.
public struct CounterWindow: Sendable, Hashable {
    public var name: String
    public var seconds: Int64

    public init(name: String, seconds: Int64) {
        self.name = name
        self.seconds = seconds
    }
}

/// How a command check ended.
public struct CommandOutcome: Sendable, Equatable {
    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case timedOut
        case couldNotStart(String)
        /// Stopped before it finished, because the operator cancelled.
        case cancelled
    }

    public var ending: Ending
    /// The last lines of its combined output.
    public var lastLines: [String]

    public init(ending: Ending, lastLines: [String]) {
        self.ending = ending
        self.lastLines = lastLines
    }
}

/// A runbook checklist: each item's text and whether it is ticked.
public struct ChecklistItem: Sendable, Equatable, Codable {
    /// 1-based position among the runbook's task items.
    public var number: Int
    public var text: String
    public var tickedBy: String?
    public var tickedAt: Date?

    public init(number: Int, text: String, tickedBy: String? = nil, tickedAt: Date? = nil) {
        self.number = number
        self.text = text
        self.tickedBy = tickedBy
        self.tickedAt = tickedAt
    }

    public var isTicked: Bool { tickedBy != nil }
}

/// A second operator's approval of a phase.
public struct Approval: Sendable, Equatable, Codable {
    public var phase: String
    public var actor: String
    public var at: Date
    public var reason: String?

    public init(phase: String, actor: String, at: Date, reason: String? = nil) {
        self.phase = phase
        self.actor = actor
        self.at = at
        self.reason = reason
    }
}

/// Everything the gates of one transition look at, gathered at the I/O edge so that
/// ``GateEvaluation`` stays a pure function.
public struct GateInputs: Sendable {
    public var now: Date
    public var state: MigrationState
    /// The phase being advanced into.
    public var target: Phase
    /// Who is advancing (an approval must come from someone else).
    public var actor: String
    public var counterSums: [CounterWindow: Int64]
    public var gauges: [String: Gauge]
    /// The current phase's checklist.
    public var checklist: [ChecklistItem]
    /// Outcomes of the command checks, by argv.
    public var commands: [[String]: CommandOutcome]
    /// Approvals of the target phase.
    public var approvals: [Approval]
    /// Client instances, for the fleet check.
    public var instances: [FleetInstance]
    /// The time zones window gates name, read from the system tz database, or why one could not be.
    public var zones: [String: Result<ZoneInfo, ZoneInfo.Problem>]
    /// What each prometheus gate's query gave, by server and query.
    public var prometheus: [PrometheusQuery: PrometheusOutcome]
    /// The newest full verification, for `verified` gates; nil when none ran.
    public var verification: Verification?
    /// The plan's phase ids in order, for gates that compare positions (`verified`).
    public var phaseIDs: [String]

    public init(now: Date, state: MigrationState, target: Phase, actor: String, counterSums: [CounterWindow: Int64] = [:],
                gauges: [String: Gauge] = [:], checklist: [ChecklistItem] = [], commands: [[String]: CommandOutcome] = [:],
                approvals: [Approval] = [], instances: [FleetInstance] = [], zones: [String: Result<ZoneInfo, ZoneInfo.Problem>] = [:],
                prometheus: [PrometheusQuery: PrometheusOutcome] = [:], verification: Verification? = nil, phaseIDs: [String] = []) {
        self.verification = verification
        self.phaseIDs = phaseIDs
        self.zones = zones
        self.prometheus = prometheus
        self.now = now
        self.state = state
        self.target = target
        self.actor = actor
        self.counterSums = counterSums
        self.gauges = gauges
        self.checklist = checklist
        self.commands = commands
        self.approvals = approvals
        self.instances = instances
    }
}

/// One client process of the application fleet, as it reports itself.
public struct FleetInstance: Sendable, Equatable, Codable {
    public var id: String
    public var host: String
    public var pid: Int64
    /// The state version the instance is routing by.
    public var servingVersion: Int64
    public var heartbeatAt: Date
    public var startedAt: Date
    /// The instance has not refreshed its state for longer than its serving lease (see
    /// ``Plan/servingLeaseSeconds``): it routes by a state that may be old.
    public var stale: Bool

    public init(id: String, host: String, pid: Int64, servingVersion: Int64, heartbeatAt: Date, startedAt: Date, stale: Bool = false) {
        self.id = id
        self.host = host
        self.pid = pid
        self.servingVersion = servingVersion
        self.heartbeatAt = heartbeatAt
        self.startedAt = startedAt
        self.stale = stale
    }

    /// How far in the future an instant may lie and still be believed: clocks of different
    /// hosts disagree a little; a heartbeat, approval or gauge from further ahead is not trusted.
    public static let clockSkewSeconds: TimeInterval = 60

    /// The heartbeat window a view uses when the plan names none (the fleet gate's default):
    /// an instance silent for longer is reported silent, not live.
    public static let defaultHeartbeatSeconds: TimeInterval = 60

    /// The one liveness rule: the last heartbeat is at most `seconds` old at `now`, and not
    /// from the future beyond ``clockSkewSeconds`` (a row written with a date in 2099 would
    /// otherwise look live forever).
    public func isLive(at now: Date, within seconds: TimeInterval) -> Bool {
        let age = now.timeIntervalSince(heartbeatAt)
        return age <= seconds && age >= -Self.clockSkewSeconds
    }
}
