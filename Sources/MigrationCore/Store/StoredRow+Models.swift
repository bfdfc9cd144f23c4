import Foundation

/// The control store's rows as migctl's values: one decoder per table, shared by every store,
/// so the SQLite file and the PostgreSQL server are read by the same rules.
extension StoredRow {
    /// A rollout column: basis points 0…10000, or NULL.
    package func rollout(_ column: String) throws(RowProblem) -> Rollout? {
        guard try optionalInt64(column) != nil else { return nil }
        return Rollout(uncheckedBasisPoints: try int(column, in: 0...10_000))
    }

    /// The `migration` row.
    package func migrationInfo() throws(RowProblem) -> MigrationInfo {
        MigrationInfo(name: try text("name"), createdAt: try instant("created_at"), createdBy: try text("created_by"))
    }

    /// The `state` row.
    package func migrationState() throws(RowProblem) -> MigrationState {
        guard let rollout = try rollout("rollout") else {
            throw RowProblem(table: "state", row: "1", column: "rollout", value: "NULL", expected: "basis points 0…10000")
        }
        return MigrationState(
            phase: try text("phase"), rollout: rollout, version: try int64("version"),
            phaseSince: try instant("phase_since"), changedAt: try instant("changed_at"), changedBy: try text("changed_by"))
    }

    /// An `audit` row.
    package func auditEvent() throws(RowProblem) -> AuditEvent {
        AuditEvent(
            id: try int64("id"), at: try instant("at"), actor: try text("actor"), host: try text("host"),
            action: try text("action"), fromPhase: try optionalText("from_phase"), toPhase: try optionalText("to_phase"),
            fromRollout: try rollout("from_rollout"), toRollout: try rollout("to_rollout"),
            version: try optionalInt64("version"), reason: try optionalText("reason"), details: try optionalText("details"))
    }

    /// A `gauges` row.
    package func gauge() throws(RowProblem) -> Gauge {
        Gauge(name: try text("name"), value: try finite("value"), updatedAt: try instant("updated_at"))
    }

    /// A `checklist_items` row joined with its tick, if any.
    package func checklistItem() throws(RowProblem) -> ChecklistItem {
        ChecklistItem(number: try int("item"), text: try text("text"), tickedBy: try optionalText("ticked_by"),
                      tickedAt: try optionalInstant("ticked_at"))
    }

    /// An `approvals` row.
    package func approval() throws(RowProblem) -> Approval {
        Approval(phase: try text("phase"), actor: try text("actor"), at: try instant("at"), reason: try optionalText("reason"))
    }

    /// A `job_control` row, within the limits the store's rules set.
    package func jobControl() throws(RowProblem) -> JobControl {
        let batches = Int64(JobControl.batches.lowerBound)...Int64(JobControl.batches.upperBound)
        return JobControl(paused: try bool("paused"), rate: Int64(try int("rate", in: JobControl.rates)),
                          batch: try int("batch", in: batches), changedAt: try instant("changed_at"), changedBy: try text("changed_by"))
    }

    /// A `job_progress` row.
    package func jobProgress() throws(RowProblem) -> JobProgress {
        var progress = JobProgress(cursor: try optionalText("cursor"), done: try int64("done"), total: try optionalInt64("total"),
                    startedAt: try instant("started_at"), finishedAt: try optionalInstant("finished_at"),
                    instance: try text("instance"), throttled: try optionalText("throttled"),
                    sincePhase: try optionalText("since_phase"), phaseEnteredAt: try optionalInstant("phase_entered_at"),
                    mismatches: try optionalInt64("mismatches") ?? 0)
        progress.updatedAt = try optionalInstant("updated_at")
        return progress
    }

    /// A `verify_mismatches` row.
    package func verifyMismatch() throws(RowProblem) -> VerifyMismatch {
        VerifyMismatch(runStartedAt: try instant("run_started_at"), key: try text("key"), oldDigest: try text("old_digest"),
                       newDigest: try text("new_digest"), foundAt: try instant("found_at"))
    }

    /// An `instances` row; `stale` is optional so a row without it reads as not stale.
    package func fleetInstance() throws(RowProblem) -> FleetInstance {
        FleetInstance(id: try text("id"), host: try text("host"), pid: try int64("pid"),
                      servingVersion: try int64("serving_version"),
                      heartbeatAt: try instant("heartbeat_at"), startedAt: try instant("started_at"),
                      stale: try optionalBool("stale") ?? false)
    }

    /// A phase as stored at `init`.
    package func phase() throws(RowProblem) -> Phase {
        let row = self
        func problem(_ column: String, _ expected: String) -> RowProblem {
            RowProblem(table: "phases", row: row.key, column: column, value: (try? row.text(column)).map { "'\($0)'" } ?? "?", expected: expected)
        }
        guard let reads = ReadMode(rawValue: try row.text("reads")) else {
            throw problem("reads", "one of " + ReadMode.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let writes = try row.text("writes").split(separator: ",").compactMap { DataStore(rawValue: String($0)) }
        guard !writes.isEmpty, writes.count == (try row.text("writes")).split(separator: ",", omittingEmptySubsequences: false).count else {
            throw problem("writes", "a comma-separated list of old and new")
        }
        guard let gates = try? JSONDecoder().decode([Gate].self, from: Data((try row.text("gates")).utf8)) else {
            throw problem("gates", "a JSON list of gates")
        }
        var automation = PhaseAutomation()
        if let text = try row.optionalText("automation") {
            guard text.utf8.count <= Limits.planFileBytes,
                  let decoded = try? JSONDecoder().decode(PhaseAutomation.self, from: Data(text.utf8)) else {
                throw problem("automation", "NULL or the JSON of the phase's guards, ramp schedule and auto_advance")
            }
            automation = decoded
        }
        return Phase(id: try row.text("id"), title: try row.text("title"), reads: reads, writes: writes,
                     irreversible: try row.bool("irreversible"), ramp: try row.bool("ramp"),
                     runbook: try row.optionalText("runbook_path"), gates: gates, automation: automation)
    }

    /// The `guard_lease` row.
    package func guardLease() throws(RowProblem) -> GuardLease {
        GuardLease(holder: try text("holder"), host: try text("host"), pid: try int64("pid"), epoch: try int64("epoch"),
                   acquiredAt: try instant("acquired_at"), renewedAt: try instant("renewed_at"), expiresAt: try instant("expires_at"),
                   status: try optionalText("status"))
    }

    /// A `guard_firings` row.
    package func guardFiring() throws(RowProblem) -> GuardFiring {
        GuardFiring(id: try int64("id"), name: try text("guard"), phase: try text("phase"), action: try text("action"),
                    firedAt: try instant("fired_at"), firedBy: try text("fired_by"), observed: try text("observed"),
                    bound: try text("bound"), sentence: try text("sentence"), clearedAt: try optionalInstant("cleared_at"),
                    clearedBy: try optionalText("cleared_by"), clearReason: try optionalText("clear_reason"))
    }
}
