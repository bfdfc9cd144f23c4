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
    /// Move through a list (the log, the mismatches). The list's own key handling acts on
    /// these keys before the table is asked; the row is there for the footer and help.
    case scroll
    /// Log view: the selected event's details (the list's own key handling acts on it).
    case logDetails
    /// List views: search the rows, then jump between the matches.
    case search, nextMatch, previousMatch
    /// Runbook view: move the cursor (the key says which way and how far).
    case runbookMove
    /// Runbook view: jump to the next or previous section.
    case runbookSection
    /// Runbook view: tick or untick the checklist item under the cursor.
    case tick
    /// Runbook view: switch between the current phase's runbook and the next phase's.
    case runbookSwitch
}

/// The views a binding acts in: one key may mean different things in different views (`n`
/// advances on the dashboard and jumps to the next match in the log).
public struct KeyScope: Sendable, Equatable {
    /// The views, or nil for every view.
    public let views: [ConsoleState.View]?

    /// Every view: help, quit, the view keys.
    public static let any = KeyScope(views: nil)
    public static let dashboard = KeyScope(views: [.dashboard])
    public static let log = KeyScope(views: [.log])
    public static let runbook = KeyScope(views: [.runbook])
    /// The views that list rows: the audit log and the mismatches.
    public static let lists = KeyScope(views: [.log, .mismatches])
    /// Every view but the dashboard (the keys that lead back to it).
    public static let away = except(.dashboard)

    public init(views: [ConsoleState.View]?) {
        self.views = views
    }

    /// Every view but `view` (a key that opens a view does nothing in it).
    public static func except(_ view: ConsoleState.View) -> KeyScope {
        KeyScope(views: allViews.filter { $0 != view })
    }

    /// Every view the console has.
    static let allViews: [ConsoleState.View] = [.dashboard, .log, .runbook, .mismatches]

    /// Whether the binding acts in `view`.
    public func includes(_ view: ConsoleState.View) -> Bool { views?.contains(view) ?? true }
}

/// One key binding: the keys, how the footer and help name it, where it acts and whether it
/// changes the migration. Whether it does anything right now, and why not, is
/// ``KeyAvailability``'s, from the same action, so footer, help and the refusal agree.
public struct KeyBinding: Sendable {
    public let keys: [Key]
    /// The key as shown, e.g. `n`.
    public let label: String
    /// The footer's word for it; nil keeps it out of the footer (help still lists it).
    /// Neighbouring bindings with the same word share one footer item: `+/- ramp`.
    public let footer: String?
    /// The help overlay's sentence: what the key does, short enough to leave room for a reason.
    public let help: String
    public let action: ConsoleAction
    /// Changes the migration: refused (and left out of the footer) in a read-only console.
    public let changes: Bool
    /// The views it acts in.
    public let scope: KeyScope

    public init(keys: [Key], label: String, footer: String?, help: String, action: ConsoleAction, changes: Bool,
                scope: KeyScope = .any) {
        self.keys = keys
        self.label = label
        self.footer = footer
        self.help = help
        self.action = action
        self.changes = changes
        self.scope = scope
    }

    /// A binding of one view (`view: .runbook`), or of every view (`view: nil`).
    public init(keys: [Key], label: String, footer: String?, help: String, action: ConsoleAction, changes: Bool,
                view: ConsoleState.View?) {
        self.init(keys: keys, label: label, footer: footer, help: help, action: action, changes: changes,
                  scope: KeyScope(views: view.map { [$0] }))
    }

    /// Every binding, in footer and help order: a view's own keys first, then those of every view.
    public static let all: [KeyBinding] = [
        KeyBinding(keys: [.character("n")], label: "n", footer: "next", help: "advance to the next phase",
                   action: .advance, changes: true, scope: .dashboard),
        KeyBinding(keys: [.character("b")], label: "b", footer: "back", help: "roll back one phase", action: .rollback, changes: true, scope: .dashboard),
        KeyBinding(keys: [.character("+"), .character("=")], label: "+", footer: "ramp", help: "ramp the rollout up: 0 1 5 10 25 50 100%",
                   action: .rolloutUp, changes: true, scope: .dashboard),
        KeyBinding(keys: [.character("-")], label: "-", footer: "ramp", help: "ramp the rollout down the ladder", action: .rolloutDown, changes: true,
                   scope: .dashboard),
        KeyBinding(keys: [.character("%")], label: "%", footer: "set", help: "set the rollout to any percentage", action: .rolloutPrompt, changes: true,
                   scope: .dashboard),
        KeyBinding(keys: [.character("p")], label: "p", footer: nil, help: "pause or resume the running job",
                   action: .toggleJob, changes: true, scope: .dashboard),
        KeyBinding(keys: [.character("R")], label: "R", footer: nil, help: "the running job's rows/s limit",
                   action: .jobRatePrompt, changes: true, scope: .dashboard),
        KeyBinding(keys: [.character("G")], label: "G", footer: nil, help: "clear a fired guard (choose it, give a reason)",
                   action: .clearGuard, changes: true, scope: .dashboard),
        KeyBinding(keys: [.character("m")], label: "m", footer: nil, help: "the newest verification's mismatches",
                   action: .mismatches, changes: false, scope: .dashboard),
        KeyBinding(keys: [.character("w")], label: "w", footer: "window", help: "chart window: " + ChartWindow.allCases.map(\.label).joined(separator: " "),
                   action: .cycleWindow, changes: false, scope: .dashboard),
        KeyBinding(keys: [.up, .down, .character("j"), .character("k"), .pageUp, .pageDown, .home, .end], label: "↑↓ PgUp PgDn",
                   footer: "scroll", help: "move the selection, a page, to the top or end", action: .scroll, changes: false, scope: .lists),
        KeyBinding(keys: [.enter], label: "Enter", footer: "details", help: "the selected event's every field and recorded gates",
                   action: .logDetails, changes: false, scope: .log),
        KeyBinding(keys: [.character("/")], label: "/", footer: "search", help: "search the rows, any case; Enter jumps to a match",
                   action: .search, changes: false, scope: .lists),
        KeyBinding(keys: [.character("n")], label: "n", footer: "match", help: "the search's next match (here n never advances)",
                   action: .nextMatch, changes: false, scope: .lists),
        KeyBinding(keys: [.character("N")], label: "N", footer: "match", help: "the search's previous match",
                   action: .previousMatch, changes: false, scope: .lists),
        KeyBinding(keys: [.up, .down, .character("j"), .character("k"), .pageUp, .pageDown, .home, .end], label: "↑↓ jk",
                   footer: "move", help: "move the cursor; PgUp/PgDn by 10, Home/End", action: .runbookMove, changes: false, scope: .runbook),
        KeyBinding(keys: [.tab, .character("]"), .character("[")], label: "Tab ][", footer: "section",
                   help: "next section (Tab or ]), previous section ([)", action: .runbookSection, changes: false, scope: .runbook),
        KeyBinding(keys: [.character(" ")], label: "Space", footer: "tick", help: "tick the item and go to the next one; or untick it",
                   action: .tick, changes: true, scope: .runbook),
        KeyBinding(keys: [.character("v"), .right, .left], label: "v", footer: "next",
                   help: "the next phase's runbook (read-only) and back; → ← too", action: .runbookSwitch, changes: false, scope: .runbook),
        KeyBinding(keys: [.escape, .character("d")], label: "Esc", footer: "dashboard", help: "back to the dashboard (d too)",
                   action: .dashboard, changes: false, scope: .away),
        KeyBinding(keys: [.character("l")], label: "l", footer: "log", help: "the audit log", action: .log, changes: false,
                   scope: .except(.log)),
        KeyBinding(keys: [.character("r")], label: "r", footer: "runbook", help: "the current phase's runbook", action: .runbook,
                   changes: false, scope: .except(.runbook)),
        KeyBinding(keys: [.character("?"), .character("h")], label: "?", footer: "help", help: "this help (h too)", action: .help, changes: false),
        KeyBinding(keys: [.redraw], label: "^L", footer: nil, help: "repaint the terminal", action: .redraw, changes: false),
        KeyBinding(keys: [.character("q")], label: "q", footer: "quit", help: "quit (Esc closes a dialog or view first)", action: .quit, changes: false),
    ]

    /// The key shown for `action`, for text that offers it (`G clears`).
    public static func label(for action: ConsoleAction) -> String {
        all.first { $0.action == action }?.label ?? "?"
    }

    /// The binding for `key` in `view`, if any.
    public static func binding(for key: Key, in view: ConsoleState.View = .dashboard) -> KeyBinding? {
        all.first { $0.scope.includes(view) && $0.keys.contains(key) }
    }

    /// The bindings that act in `view`, in table order.
    public static func bindings(in view: ConsoleState.View) -> [KeyBinding] {
        all.filter { $0.scope.includes(view) }
    }
}
