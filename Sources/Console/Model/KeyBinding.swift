/// What a key does on the console. One table feeds dispatch, the footer and the help overlay,
/// so they cannot drift apart.
public enum ConsoleAction: Sendable, Equatable {
    case help, quit, advance, rollback, rolloutUp, rolloutDown, rolloutPrompt, clearGuard
    case log, runbook, dashboard, cycleWindow, redraw
    /// Pause or resume the job of the current phase (the backfill, then the verification).
    case toggleJob
    /// Type a rate limit for the job of the current phase.
    case jobRatePrompt
    /// The newest verification run's mismatching keys.
    case mismatches
}

/// One key binding: the keys, how the footer and help name it, and whether it changes the migration.
public struct KeyBinding: Sendable {
    public let keys: [Key]
    /// The key as shown, e.g. `n`.
    public let label: String
    /// The footer's word for it; nil keeps it out of the footer (help still lists it).
    public let footer: String?
    /// The help overlay's sentence.
    public let help: String
    public let action: ConsoleAction
    /// Changes the migration: hidden and refused in a read-only console.
    public let changes: Bool

    /// Every binding, in footer and help order.
    public static let all: [KeyBinding] = [
        KeyBinding(keys: [.character("n")], label: "n", footer: "next", help: "advance to the next phase (shows the change, asks a reason)", action: .advance, changes: true),
        KeyBinding(keys: [.character("b")], label: "b", footer: "back", help: "roll back one phase (refused past the point of no return)", action: .rollback, changes: true),
        KeyBinding(keys: [.character("+"), .character("=")], label: "+/-", footer: "ramp", help: "ramp the rollout up the ladder 0 1 5 10 25 50 100", action: .rolloutUp, changes: true),
        KeyBinding(keys: [.character("-")], label: "-", footer: nil, help: "ramp the rollout down the ladder", action: .rolloutDown, changes: true),
        KeyBinding(keys: [.character("%")], label: "%", footer: "set", help: "set the rollout to any percentage", action: .rolloutPrompt, changes: true),
        KeyBinding(keys: [.character("p")], label: "p", footer: nil, help: "pause or resume the backfill or verification (audited)", action: .toggleJob, changes: true),
        KeyBinding(keys: [.character("R")], label: "R", footer: nil, help: "set the backfill's or verification's rows/s limit (audited)", action: .jobRatePrompt, changes: true),
        KeyBinding(keys: [.character("m")], label: "m", footer: nil, help: "the keys the newest verification found mismatching", action: .mismatches, changes: false),
        KeyBinding(keys: [.character("G")], label: "G", footer: nil, help: "clear a fired guard (choose it, type a reason; audited)", action: .clearGuard, changes: true),
        KeyBinding(keys: [.character("w")], label: "w", footer: "window", help: "cycle the chart window: 15m, 1h, 24h, 7d", action: .cycleWindow, changes: false),
        KeyBinding(keys: [.character("l")], label: "l", footer: "log", help: "the audit log (arrows, j/k, PgUp/PgDn scroll)", action: .log, changes: false),
        KeyBinding(keys: [.character("r")], label: "r", footer: "runbook", help: "the current phase's runbook", action: .runbook, changes: false),
        KeyBinding(keys: [.character("d")], label: "d", footer: nil, help: "back to the dashboard (Esc too)", action: .dashboard, changes: false),
        KeyBinding(keys: [.character("?"), .character("h")], label: "?", footer: "help", help: "this help", action: .help, changes: false),
        KeyBinding(keys: [.redraw], label: "^L", footer: nil, help: "repaint the terminal", action: .redraw, changes: false),
        KeyBinding(keys: [.character("q")], label: "q", footer: "quit", help: "quit (Esc closes a dialog or view first)", action: .quit, changes: false),
    ]

    /// The key shown for `action`, for text that offers it (`G clears`).
    public static func label(for action: ConsoleAction) -> String {
        all.first { $0.action == action }?.label ?? "?"
    }

    /// The binding for `key`, if any.
    public static func binding(for key: Key) -> KeyBinding? {
        all.first { $0.keys.contains(key) }
    }
}
