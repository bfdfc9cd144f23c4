import Foundation

/// The guard's state in a few plain lines, for `migctl guard status` and the console: whether a
/// guard acts, what fired, and what it waits for. Every value from the store is made terminal-safe.
public enum GuardSummary {
    public static func lines(lease: GuardLease?, fired: [GuardFiring], due: (step: Rollout, at: Date)?, published: GuardStatus?,
                             now: Date) -> [String] {
        var lines: [String] = []
        if let lease, lease.isAlive(at: now) {
            lines.append("guard: \(lease.holder.terminalSafe) acts (lease renewed \(Durations.human(now.timeIntervalSince(lease.renewedAt))) ago, expires in \(Durations.human(lease.expiresAt.timeIntervalSince(now))))")
        } else if let lease {
            lines.append("guard: none acting (the last, \(lease.holder.terminalSafe), let its lease expire \(Timestamp.string(lease.expiresAt)))")
        } else {
            lines.append("guard: none has run on this store")
        }
        for firing in fired {
            lines.append("  fired \(firing.name.terminalSafe) (\(firing.action.terminalSafe)) in \(firing.phase.terminalSafe) at \(Timestamp.string(firing.firedAt)): saw \(firing.observed.terminalSafe), wanted \(firing.bound.terminalSafe)")
        }
        // The published status is whatever wrote the lease row: at most a phase's worth of guards, each cut short.
        func cut(_ text: String) -> String { String(text.prefix(200)).terminalSafe }
        for watched in (published?.guards ?? []).prefix(Limits.gatesPerPhase) where !fired.contains(where: { $0.name == watched.name }) {
            lines.append("  watching \(cut(watched.name)) (\(cut(watched.action))): \(watched.status.rawValue), \(cut(watched.observed)) (want \(cut(watched.bound)))")
        }
        if let due {
            lines.append("  next ramp step \(due.step) \(when(due.at, now: now)) (\(Timestamp.string(due.at)))")
        }
        if let waiting = published?.waiting { lines.append("  waiting: \(waiting.terminalSafe)") }
        for target in failing(published?.targets ?? []) {
            lines.append("  notify \(target.name.terminalSafe): \(target.failed) failed, \(target.pending) pending; \(target.lastError?.terminalSafe ?? "")")
        }
        return lines
    }

    /// When a ramp step at `at` is due, seen at `now`: `in 12m 0s`, or `due now` once it has passed.
    public static func when(_ at: Date, now: Date) -> String {
        at > now ? "in \(Durations.human(at.timeIntervalSince(now)))" : "due now"
    }

    /// The notification targets worth an operator's eye: those that failed a delivery or hold an error.
    public static func failing(_ targets: [GuardStatus.Target]) -> [GuardStatus.Target] {
        targets.filter { $0.failed > 0 || $0.lastError != nil }
    }

    /// The fired guards that hold back the move from `before` to `after`: every open `hold` or
    /// `rollback` firing when the move goes forward (an advance, a higher rollout), none otherwise.
    /// The rule ``MigrationControl`` refuses by (``ControlError/heldByGuard(_:)``), so a console
    /// can say so before it asks for a reason.
    ///
    /// ```swift
    /// let holds = GuardSummary.holding(fired, from: state, to: preview, in: plan)
    /// if !holds.isEmpty { show(ControlError.heldByGuard(holds).description) }
    /// ```
    public static func holding(_ fired: [GuardFiring], from before: MigrationState, to after: MigrationState, in plan: Plan) -> [GuardFiring] {
        MigrationControl.movesForward(from: before, to: after, in: plan) ? fired.filter(\.blocks) : []
    }

    /// Who lowered the rollout, if the change that made `state` lowered it (read from its audit
    /// event among `events`, newest first): the guard does not ramp back over a step down, a
    /// person raises it by hand to resume the schedule (``GuardPolicy/nextMove(plan:state:open:guardResults:next:now:lowered:)``).
    public static func lowered(_ state: MigrationState, events: [AuditEvent]) -> String? {
        guard let change = events.first(where: { $0.version == state.version }), change.action == AuditAction.rollout.rawValue,
              let from = change.fromRollout, let to = change.toRollout, to < from else { return nil }
        return change.actor
    }

    /// The audit event of an operator clearing the fired guard `name`, as `migctl guard clear` and
    /// the console record it: action `guard-clear`, the reason prefixed with the guard's name.
    public static func clearEvent(name: String, reason: String, by signer: Operator, at date: Date) -> AuditEvent {
        AuditEvent(at: date, actor: signer.name, host: signer.host, action: AuditAction.guardClear.rawValue,
                   reason: "guard '\(name)': \(reason)")
    }
}
