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

    /// A line under the view: the outcome of the last action.
    public struct Message: Sendable, Equatable {
        public var text: String
        public var isError: Bool

        public init(_ text: String, isError: Bool = false) {
            self.text = text
            self.isError = isError
        }
    }

    public var view: View = .dashboard
    public var showsHelp = false
    public var dialog: Dialog?
    public var window: ChartWindow = .hour
    public var logScroll = 0
    /// The runbook block under the cursor (Space ticks it when it is a checklist item).
    public var runbookCursor = 0
    public var message: Message?
    /// Work running off the UI thread (the gates' programs), shown until it ends; only
    /// `q` and `Esc` act meanwhile.
    public var busy: String?
    public let readOnly: Bool

    public init(readOnly: Bool = false) {
        self.readOnly = readOnly
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
    /// `checked` is the gate report the operator confirmed, reused so no program runs twice.
    case perform(PhaseRequest, expectVersion: Int64, reason: String, confirmation: String?, checked: GateReport? = nil)
    /// Tick or untick a checklist item of the current phase.
    case tick(phase: String, item: Int, ticked: Bool)
    /// Clear the fired guard `firing` (if it is still the open firing of its guard) with an audit
    /// event by the console's operator, then call ``ConsoleState/finishClear(_:_:)``.
    case clearGuard(GuardFiring, reason: String)
    /// Make `change` to `job`'s control with an audit event by the console's operator, as
    /// `migctl backfill|verify …` does, then call ``ConsoleState/finishJobChange(_:_:_:)``.
    case changeJob(Job, JobControlChange)
}
