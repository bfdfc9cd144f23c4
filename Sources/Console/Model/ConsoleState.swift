import Foundation
import MigrationCore

/// The console's own state, apart from the data it shows: which view, which dialog,
/// scroll positions, the last message. Key handling is a pure function of it.
public struct ConsoleState: Sendable, Equatable {
    public enum View: Sendable, Equatable {
        case dashboard
        case log
        case runbook
        /// The newest verification run's mismatches.
        case mismatches
    }

    /// A line under the view: the outcome of the last action. It expires (``ConsoleState/ageMessage(now:)``),
    /// so a sentence about an earlier moment is not read as the present one.
    public struct Message: Sendable, Equatable {
        public var text: String
        public var isError: Bool
        /// When it appeared: stamped by the session's clock (``ConsoleState/ageMessage(now:)``),
        /// nil until the next frame, so the handlers that set it stay pure.
        public var shownSince: Date?

        public init(_ text: String, isError: Bool = false) {
            self.text = text
            self.isError = isError
        }

        /// How long a message stays: 5 s, an error 10 s (it may need reading twice).
        public var lifetime: TimeInterval { isError ? 10 : 5 }
    }

    public var view: View = .dashboard
    public var showsHelp = false
    public var dialog: Dialog?
    public var window: ChartWindow = .hour
    /// The selection, details and search of the log and mismatch views.
    public var log = LogCursor()
    /// The runbook block under the cursor (Space ticks it when it is a checklist item).
    public var runbookCursor = 0
    /// Whether the runbook view shows the next phase's runbook (read-only) instead of the current one's.
    public var runbookShowsNext = false
    public var message: Message?
    /// Work running off the UI thread (the gates' programs), shown until it ends; only
    /// `q` and `Esc` act meanwhile.
    public var busy: String?
    public let readOnly: Bool
    /// The reason of the last ramp step sent: offered again (selected, editable) for the next
    /// ramp step of the same phase.
    public var lastRampReason: RampReason?
    /// What `q` asks before quitting, when quitting ends more than the console (the demo's
    /// service); nil quits at once.
    public var quitQuestion: String?

    public init(readOnly: Bool = false, quitQuestion: String? = nil) {
        self.readOnly = readOnly
        self.quitQuestion = quitQuestion
    }

    /// Stamps a new message with `now` and drops one that has been shown for its
    /// ``Message/lifetime``. The session calls it before every frame with its clock, which
    /// draws at least once a second.
    public mutating func ageMessage(now: Date) {
        guard let shown = message else { return }
        guard let since = shown.shownSince else {
            message?.shownSince = now
            return
        }
        if now.timeIntervalSince(since) >= shown.lifetime { message = nil }
    }
}

extension ConsoleState {
    /// A reason typed for a ramp step, and the phase it was typed in.
    public struct RampReason: Sendable, Equatable {
        public var phase: String
        public var text: String

        public init(phase: String, text: String) {
            self.phase = phase
            self.text = text
        }
    }
}

/// What the session must do after a key: the pure handler's request to the outside world.
public enum Effect: Sendable, Equatable {
    case none
    case quit
    /// Repaint every cell (Ctrl+L).
    case repaint
    /// Read the data again (the chart window changed).
    case reload
    /// Evaluate the next phase's gates (running command checks) off the UI thread, then call
    /// ``ConsoleState/openAdvance(_:data:)``.
    case checkGates
    /// Stop the gate check that is running.
    case cancelCheck
    /// Apply a change through `MigrationControl`, then call ``ConsoleState/finish(_:)``.
    /// `checked` is the gate report the operator confirmed, reused so no program runs twice;
    /// `force` overrides what the dialog said it overrides (``Dialog/overriding``).
    case perform(PhaseRequest, expectVersion: Int64, reason: String, confirmation: String?, checked: GateReport? = nil, force: Bool = false)
    /// Tick or untick a checklist item of the current phase.
    case tick(phase: String, item: Int, ticked: Bool)
    /// Clear the fired guard `firing` (if it is still the open firing of its guard) with an audit
    /// event by the console's operator, then call ``ConsoleState/finishClear(_:_:)``.
    case clearGuard(GuardFiring, reason: String)
    /// Make `change` to `job`'s control with an audit event by the console's operator, as
    /// `migctl backfill|verify …` does, then call ``ConsoleState/finishJobChange(_:_:_:)``.
    case changeJob(Job, JobControlChange)
}
