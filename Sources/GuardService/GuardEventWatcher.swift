import Foundation
import MigrationCore

/// Turns what the guard sees each interval into the events people are told about, each once.
///
/// Changes recorded in the audit log (phase and rollout changes, guards fired and cleared,
/// approvals) come from the log's new rows, so none is missed between two looks. Conditions
/// that no single row records (the next phase is ready, an approval is all it needs, an
/// instance lags or is stale, a checklist is complete, the chain is broken) are announced when
/// they become true, and again only after they stopped being true.
public struct GuardEventWatcher: Sendable {
    /// What the guard saw in one interval.
    public struct Observation: Sendable {
        public var migration: String
        public var plan: Plan
        public var state: MigrationState
        /// Audit rows newer than the last observation's, oldest first.
        public var newEvents: [AuditEvent]
        /// The gates of the next phase, if there is one and they were evaluated.
        public var next: GateReport?
        public var instances: [FleetInstance]
        /// The current phase's checklist.
        public var checklist: [ChecklistItem]
        /// Whether the audit chain was checked this time, and where it is broken if it is.
        public var chainChecked: Bool
        public var chainBreak: String?
        public var now: Date

        public init(migration: String, plan: Plan, state: MigrationState, newEvents: [AuditEvent], next: GateReport?,
                    instances: [FleetInstance], checklist: [ChecklistItem], chainChecked: Bool = false, chainBreak: String? = nil,
                    now: Date) {
            self.chainChecked = chainChecked
            self.migration = migration
            self.plan = plan
            self.state = state
            self.newEvents = newEvents
            self.next = next
            self.instances = instances
            self.checklist = checklist
            self.chainBreak = chainBreak
            self.now = now
        }
    }

    /// How long an instance may serve an older version after a change before it is said to lag.
    public var lagGraceSeconds: TimeInterval
    /// Seconds a fleet member may go without a heartbeat and still count (the fleet gate's default).
    public var heartbeatSeconds: TimeInterval

    private var ready: String?
    private var approvalNeeded: String?
    private var lagging: Set<String> = []
    private var stale: Set<String> = []
    private var checklistDone: String?
    private var chainBreak: String?

    public init(lagGraceSeconds: TimeInterval = 15, heartbeatSeconds: TimeInterval = 60) {
        self.lagGraceSeconds = lagGraceSeconds
        self.heartbeatSeconds = heartbeatSeconds
    }

    /// The events of `seen`, remembering what was announced.
    public mutating func events(_ seen: Observation) -> [GuardEvent] {
        var out: [GuardEvent] = []
        func event(_ kind: GuardEvent.Kind, _ text: String, _ facts: [String: String] = [:]) {
            out.append(GuardEvent(kind: kind, at: seen.now, migration: seen.migration, phase: seen.state.phase,
                                  rollout: seen.state.rollout.description, version: seen.state.version, text: text.terminalSafe,
                                  facts: facts.mapValues(\.terminalSafe)))
        }
        for row in seen.newEvents { if let (kind, text, facts) = Self.describe(row) { event(kind, text, facts) } }

        // The next phase: ready (the current phase at 100% and every gate passes) and left to a
        // person, or waiting only for an approval. Each is said once per phase until it stops being true.
        if let next = seen.next, next.stateVersion == seen.state.version, let target = seen.plan.phase(next.target) {
            let atFull = seen.state.rollout == .full
            let leftToPerson = !target.automation.autoAdvance || target.irreversible
            let isReady = atFull && next.allPass && leftToPerson
            if isReady, ready != next.target {
                event(.ready, "every gate of '\(next.target)' passes; '\(seen.state.phase)' waits for an operator to advance", ["target": next.target])
            }
            ready = isReady ? next.target : nil
            let blocking = next.blocking
            let onlyApproval = atFull && !blocking.isEmpty && blocking.allSatisfy { $0.kind == "approval" }
            if onlyApproval, approvalNeeded != next.target {
                event(.approvalNeeded, "every gate of '\(next.target)' passes but the approval: another operator must run 'migctl approve \(next.target)'",
                      ["target": next.target])
            }
            approvalNeeded = onlyApproval ? next.target : nil
        }

        // The fleet: instances that lag behind a change, or cannot refresh their state.
        let live = seen.instances.filter { $0.isLive(at: seen.now, within: heartbeatSeconds) }
        let settled = seen.now.timeIntervalSince(seen.state.changedAt) > lagGraceSeconds
        let laggards = Set(live.filter { settled && !$0.stale && $0.servingVersion < seen.state.version }.map { "\($0.id)@\(seen.state.version)" })
        for instance in live where laggards.contains("\(instance.id)@\(seen.state.version)") && !lagging.contains("\(instance.id)@\(seen.state.version)") {
            event(.instanceLagging, "\(instance.host):\(instance.pid) still serves v\(instance.servingVersion), \(Int(seen.now.timeIntervalSince(seen.state.changedAt)))s after v\(seen.state.version)",
                  ["instance": instance.id, "host": instance.host, "serving": String(instance.servingVersion)])
        }
        lagging = laggards
        let staleNow = Set(live.filter(\.stale).map(\.id))
        for instance in live where staleNow.contains(instance.id) && !stale.contains(instance.id) {
            event(.instanceStale, "\(instance.host):\(instance.pid) cannot refresh its state and routes by v\(instance.servingVersion)",
                  ["instance": instance.id, "host": instance.host, "serving": String(instance.servingVersion)])
        }
        stale = staleNow

        // The current phase's checklist.
        let complete = !seen.checklist.isEmpty && seen.checklist.allSatisfy(\.isTicked)
        if complete, checklistDone != seen.state.phase {
            event(.checklistComplete, "every checklist item of '\(seen.state.phase)' is ticked", ["items": String(seen.checklist.count)])
        }
        checklistDone = complete ? seen.state.phase : nil

        if seen.chainChecked {
            if let broken = seen.chainBreak, broken != chainBreak {
                event(.auditChainBroken, "the audit log's hash chain is broken: \(broken); find out who wrote the file, and keep a copy", ["break": broken])
            }
            chainBreak = seen.chainBreak
        }
        return out
    }

    /// The event an audit row announces, if any.
    static func describe(_ row: AuditEvent) -> (GuardEvent.Kind, String, [String: String])? {
        var facts = ["actor": row.actor, "audit_id": String(row.id)]
        if let reason = row.reason { facts["reason"] = String(reason.prefix(500)) }
        let from = row.fromPhase ?? "?", to = row.toPhase ?? "?"
        let rollout = row.toRollout?.description ?? "?"
        switch AuditAction(rawValue: row.action) {
        case .advance?, .rollback?:
            return (.phaseChanged, "\(row.actor) moved the migration \(row.action == "advance" ? "forward" : "back"): '\(from)' → '\(to)' at \(rollout)",
                    facts.merging(["from": from, "to": to]) { $1 })
        case .rollout?:
            return (.rolloutChanged, "\(row.actor) set the rollout of '\(to)' \(row.fromRollout?.description ?? "?") → \(rollout)",
                    facts.merging(["from": row.fromRollout?.description ?? "?", "to": rollout]) { $1 })
        case .guardFire?:
            // The guard's name and the figures it saw, from the row's details (see GuardRunner).
            let details = row.details.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
            let figures = details.filter { ["guard", "action", "condition", "observed", "bound"].contains($0.key) }.mapValues { String($0.prefix(500)) }
            return (.guardFired, row.reason ?? "a guard fired", facts.merging(figures) { $1 })
        case .guardClear?:
            return (.guardCleared, "\(row.actor) cleared \(row.reason ?? "a guard")", facts)
        case .approve?:
            return (.approved, "\(row.actor) approved entering '\(to)'", facts.merging(["target": to]) { $1 })
        default:
            return nil
        }
    }
}
