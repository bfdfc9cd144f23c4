import Foundation

/// What a `verified` gate looks at, gathered at the I/O edge: the newest full verification run,
/// its first mismatching keys, and the phase moves made since it started.
public struct Verification: Sendable, Equatable {
    /// The newest run of the verifier (`job_progress`, job `verify`).
    public var run: JobProgress
    /// The first keys the run found mismatching (a few, for the gate's sentence).
    public var firstMismatches: [String]
    /// State changes that moved the phase since the run started (audit events with a from and
    /// a to phase), oldest first.
    public var movesSince: [AuditEvent]
    /// Whether ``movesSince`` reaches back to the run's start; false when the audit log since
    /// then was too long to read whole.
    public var movesComplete: Bool

    public init(run: JobProgress, firstMismatches: [String] = [], movesSince: [AuditEvent] = [], movesComplete: Bool = true) {
        self.run = run
        self.firstMismatches = firstMismatches
        self.movesSince = movesSince
        self.movesComplete = movesComplete
    }

    /// How many audit events since the run started the edge reads at most.
    public static let movesRead = 2000
    /// How many mismatching keys a gate names.
    public static let keysNamed = 3

    /// Since when moves back count against the run: its start, or the entry into its phase if
    /// earlier. A verifier's host clock may run ahead of the clock that stamps phase changes;
    /// the entry is stamped by that clock, and no honest run saw a move between the two.
    public var watchedSince: Date { min(run.startedAt, run.phaseEnteredAt ?? run.startedAt) }

    /// The first move back to an earlier phase of `phases` since the run started, if any.
    func firstMoveBack(in phases: [String]) -> AuditEvent? {
        movesSince.first { event in
            guard event.at >= watchedSince, let from = event.fromPhase.flatMap(phases.firstIndex(of:)),
                  let to = event.toPhase.flatMap(phases.firstIndex(of:)) else { return false }
            return to < from
        }
    }
}

extension GateEvaluation {
    /// A `verified(since:)` gate: pass when the newest verify run started in `since` or a later
    /// phase, finished having walked every key it saw, found no mismatch, and nothing moved the
    /// migration back since it started.
    static func evaluateVerified(
        since: String, _ inputs: GateInputs, _ result: (String, GateStatus, String, String, String, [String]?) -> GateResult
    ) -> GateResult {
        let label = "full verification since \(since)"
        let bound = "every key, 0 mismatches"
        let again = "run a full verification again ('migctl verify status' shows it)"
        guard let verification = inputs.verification else {
            return result(label, .unknown, "never run", bound, "no full verification has run yet: the application's Verifier walks every key once the backfill is done (the demo's service starts it by itself); 'migctl verify status' shows it", nil)
        }
        let run = verification.run
        let total = run.total.map(String.init) ?? "?"
        let observed = "\(run.done)/\(total) keys, \(run.mismatches) mismatch\(run.mismatches == 1 ? "" : "es")"
        let phases = inputs.phaseIDs
        guard let start = run.sincePhase.flatMap(phases.firstIndex(of:)), let wanted = phases.firstIndex(of: since), start >= wanted else {
            let began = run.sincePhase.map { "'\($0)'" } ?? "an unknown phase"
            return result(label, .fail, observed, bound, "the newest verification started in \(began), before '\(since)'; \(again)", nil)
        }
        if let back = verification.firstMoveBack(in: phases) {
            return result(label, .fail, observed, bound,
                          "the migration moved back from \(back.fromPhase ?? "?") to \(back.toPhase ?? "?") at \(Timestamp.string(back.at)), after the verification started; \(again)", nil)
        }
        if let current = phases.firstIndex(of: inputs.state.phase), start > current {
            return result(label, .fail, observed, bound,
                          "the newest verification claims to have started in '\(phases[start])', a phase the migration at '\(phases[current])' has not reached; its record is wrong; \(again)", nil)
        }
        if run.startedAt.timeIntervalSince(inputs.now) > FleetInstance.clockSkewSeconds {
            return result(label, .fail, observed, bound,
                          "the newest verification started at \(Timestamp.string(run.startedAt)), in the future: the verifier's host clock or its record is wrong; \(again)", nil)
        }
        if !verification.movesComplete {
            return result(label, .unknown, observed, bound,
                          "more than \(Verification.movesRead) audit events since the verification started: cannot tell whether the migration moved back; \(again)", nil)
        }
        if run.mismatches > 0 {
            let keys = verification.firstMismatches.prefix(Verification.keysNamed).map { "'\(Self.cut($0))'" }.joined(separator: ", ")
            return result(label, .fail, observed, bound,
                          "\(run.mismatches) key\(run.mismatches == 1 ? "" : "s") differ in the new store\(keys.isEmpty ? "" : ", first \(keys)"); see 'migctl verify report'", nil)
        }
        guard let finished = run.finishedAt else {
            return result(label, .unknown, observed, bound, "a full verification is under way: \(run.done) of \(total) keys walked", nil)
        }
        if let seen = run.total, run.done < seen {
            return result(label, .fail, observed, bound, "the verification walked \(run.done) keys but the old store held \(seen); \(again)", nil)
        }
        let ago = GateFormat.duration(max(0, Int64(inputs.now.timeIntervalSince(finished))))
        return result(label, .pass, observed, bound, "every key matched, checked \(ago) ago", nil)
    }

    /// A key cut to 40 characters for a sentence (the whole key is in the report).
    private static func cut(_ key: String) -> String {
        key.count <= 40 ? key : String(key.prefix(39)) + "…"
    }
}
