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
        for watched in published?.guards ?? [] where !fired.contains(where: { $0.name == watched.name }) {
            lines.append("  watching \(watched.name.terminalSafe) (\(watched.action.terminalSafe)): \(watched.status.rawValue), \(watched.observed.terminalSafe) (want \(watched.bound.terminalSafe))")
        }
        if let due {
            let when = due.at > now ? "in \(Durations.human(due.at.timeIntervalSince(now)))" : "due now"
            lines.append("  next ramp step \(due.step) \(when) (\(Timestamp.string(due.at)))")
        }
        if let waiting = published?.waiting { lines.append("  waiting: \(waiting.terminalSafe)") }
        for target in published?.targets ?? [] where target.failed > 0 || target.lastError != nil {
            lines.append("  notify \(target.name.terminalSafe): \(target.failed) failed, \(target.pending) pending; \(target.lastError?.terminalSafe ?? "")")
        }
        return lines
    }
}
