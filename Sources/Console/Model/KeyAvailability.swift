import MigrationCore

/// Whether a key does anything in the console's state and data, and if not, why: lazygit's
/// disabled reasons.
///
/// One pure function decides it for the footer (a key that does nothing is greyed out), the
/// help overlay (which gives the reason) and the key handler (which refuses with that reason),
/// so the three cannot disagree:
///
/// ```swift
/// KeyAvailability.of(.advance, state: state, data: data).reason   // "nothing after complete"
/// ```
public struct KeyAvailability: Sendable, Equatable {
    /// Why the key does nothing now, a short phrase; nil when it acts.
    public let reason: String?
    /// The reason is the phase machine's refusal: the key opens the refusal dialog, which
    /// gives the machine's whole sentence (and, past the point of no return, the runbook's
    /// way forward), instead of a one-line message.
    public let opensRefusal: Bool

    public var isAvailable: Bool { reason == nil }

    public static let available = KeyAvailability(reason: nil, opensRefusal: false)

    static func unavailable(_ reason: String, opensRefusal: Bool = false) -> KeyAvailability {
        KeyAvailability(reason: reason, opensRefusal: opensRefusal)
    }

    /// Whether `action` does anything now, and why not.
    ///
    /// A refusal that an operator can override with a reason (stale copies) leaves the key
    /// available: pressing it offers the override.
    public static func of(_ action: ConsoleAction, state: ConsoleState, data: ConsoleData?) -> KeyAvailability {
        if state.readOnly, KeyBinding.all.contains(where: { $0.action == action && $0.changes }) {
            return .unavailable("read-only console")
        }
        switch action {
        case .advance, .rollback, .rolloutUp, .rolloutDown, .rolloutPrompt, .toggleJob, .jobRatePrompt, .clearGuard, .mismatches:
            guard let data else { return .unavailable("nothing read from the database yet") }
            return of(action, data: data)
        default: return .available
        }
    }

    /// The actions that depend on the migration's data.
    private static func of(_ action: ConsoleAction, data: ConsoleData) -> KeyAvailability {
        let phase = Format.clip(data.state.phase, 20)
        let ramped = data.phase?.ramp ?? false
        switch action {
        case .advance:
            return machine(.advance(), data)
        case .rollback:
            return machine(.rollback(), data)
        case .rolloutUp:
            guard ramped else { return .unavailable("\(phase) is not ramped") }
            guard let step = data.state.rollout.stepUp else { return .unavailable("already at 100%") }
            return machine(.setRollout(step), data)
        case .rolloutDown:
            guard ramped else { return .unavailable("\(phase) is not ramped") }
            guard let step = data.state.rollout.stepDown else { return .unavailable("already at 0%") }
            return machine(.setRollout(step), data)
        case .rolloutPrompt:
            guard ramped else { return .unavailable("\(phase) is not ramped") }
            if data.phase?.irreversible == true, data.state.rollout == .full { return .unavailable("at 100%, and it may only go up") }
            return .available
        case .toggleJob, .jobRatePrompt:
            return data.steerableJob == nil ? .unavailable(ConsoleState.noJob) : .available
        case .clearGuard:
            return data.guardFirings.isEmpty ? .unavailable("no guard is fired") : .available
        case .mismatches:
            guard data.mismatches.isEmpty else { return .available }
            let run = data.jobs.first { $0.job == .verify }?.progress
            return .unavailable(run == nil ? "no verification has run" : "no mismatches found")
        default:
            return .available
        }
    }

    /// What the phase machine says about `request`: the refusals no reason can override grey
    /// the key out. A rollout below 100% leaves advancing available: its dialog says what is missing.
    private static func machine(_ request: PhaseRequest, _ data: ConsoleData) -> KeyAvailability {
        do {
            _ = try PhaseMachine.apply(request, to: data.state, in: data.plan, at: data.now, by: "")
            return .available
        } catch {
            let phase = Format.clip(data.state.phase, 20)
            switch error {
            case .atFinalPhase:
                if case .advance = request { return .unavailable("nothing after \(phase)", opensRefusal: true) }
                return .unavailable("nothing to roll back from \(phase)", opensRefusal: true)
            case .atFirstPhase: return .unavailable("nothing before \(phase)", opensRefusal: true)
            case .pastPointOfNoReturn: return .unavailable("past the point of no return", opensRefusal: true)
            case .rolloutDownInIrreversible: return .unavailable("irreversible: it only goes up", opensRefusal: true)
            case .notRamped: return .unavailable("\(phase) is not ramped", opensRefusal: true)
            default: return .available
            }
        }
    }
}
