import Console
import Foundation
import MigrationCore
import Runbook

/// Deterministic console data: a migration in read-new at 25%, with traffic and events.
enum Fixtures {
    static let now = Date(timeIntervalSince1970: 1_800_003_600)

    static func event(_ id: Int64, _ minutesAgo: Double, _ action: String, _ from: String?, _ to: String?,
                      _ fromRollout: Int?, _ toRollout: Int?, reason: String? = nil, actor: String = "ana") -> AuditEvent {
        AuditEvent(id: id, at: now.addingTimeInterval(-minutesAgo * 60), actor: actor, host: "ops-1", action: action,
                   fromPhase: from, toPhase: to,
                   fromRollout: fromRollout.map { try! Rollout(basisPoints: $0) }, toRollout: toRollout.map { try! Rollout(basisPoints: $0) },
                   version: id, reason: reason)
    }

    static func data(phase: String = "read-new", rollout: Int = 2500, version: Int64 = 7, slots: Int = 71,
                     gauges: [Gauge] = [], reason: String = "miss rate is falling") -> ConsoleData {
        let state = MigrationState(phase: phase, rollout: try! Rollout(basisPoints: rollout), version: version,
                                   phaseSince: now.addingTimeInterval(-7500), changedAt: now.addingTimeInterval(-600), changedBy: "ana")
        let hits = (0..<slots).map { Int64(60 * ($0 * 4 + 40)) }
        let misses = (0..<slots).map { Int64(60 * max(2, 60 - $0)) }
        let backfill = (0..<slots).map { $0 > slots - 10 ? Int64(60 * 80) : 0 }
        return ConsoleData(
            location: "/srv/migctl/users.db",
            migration: MigrationInfo(name: "users-v2", createdAt: now.addingTimeInterval(-86_400), createdBy: "ana"),
            plan: .default, state: state,
            recentEvents: [
                event(7, 10, "rollout", phase, phase, 1000, rollout, reason: reason),
                event(6, 125, "advance", "dual-write", phase, 10_000, 1000, reason: "dual writes healthy for a week"),
                event(5, 300, "rollout", "dual-write", "dual-write", 5000, 10_000),
                event(4, 900, "rollout", "dual-write", "dual-write", 0, 5000, actor: "bo"),
                event(3, 1400, "advance", "old-only", "dual-write", 10_000, 0),
                event(1, 1440, "init", nil, "old-only", nil, 10_000, reason: "created migration 'users-v2' with 8 phases"),
            ],
            totals: ["hit": 1_234_567, "miss": 45_210, "backfill": 3_000],
            gauges: gauges, window: .hour,
            traffic: CounterSeries(start: 1_800_000_000, slotSeconds: 60, values: ["hit": hits, "miss": misses, "backfill": backfill]),
            runbook: RunbookDocument(markdown: "# Read new\n\nReads go to the **new** store first.\n\n## Checklist\n\n- [ ] miss rate below 5%\n- [ ] no mismatches\n\n## Reconciliation\n\nFix forward.\n"),
            checklist: [ChecklistItem(number: 1, text: "miss rate below 5%", tickedBy: "bo", tickedAt: now), ChecklistItem(number: 2, text: "no mismatches")],
            gates: GateReport(target: "new-primary", irreversible: true, results: [
                GateResult(kind: "soak", label: "soak in read-new", status: .fail, observed: "2h", bound: "≥ 7d", sentence: "more soak", overridable: true),
            ]),
            now: now)
    }
}
