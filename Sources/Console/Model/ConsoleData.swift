import Foundation
import MigrationCore
import Runbook

/// Everything the console shows, read from the control database in one go.
///
/// Views are functions of this snapshot and of ``ConsoleState``; they never read the
/// database themselves.
public struct ConsoleData: Sendable {
    /// One series of the traffic chart: the counters it sums, its legend, and its mark (its own
    /// fill glyph and colour, so the chart reads without colour and in ASCII).
    public struct ChartSeries: Sendable, Equatable {
        public let counters: [String]
        public let label: String
        public let mark: ChartMark

        public init(counters: [String], label: String, mark: ChartMark) {
            self.counters = counters
            self.label = label
            self.mark = mark
        }

        public init(counter: String, label: String, mark: ChartMark) {
            self.init(counters: [counter], label: label, mark: mark)
        }
    }

    /// Failed secondary writes to either store: the new store's while the old one is primary,
    /// the old store's after. Drawn on top of the stack, at least one cell high when any failed.
    public static let writeErrorSeries = ChartSeries(counters: [CounterName.writeNewError, CounterName.writeOldError],
                                                     label: "errors", mark: .error)
    /// Reads whose two stores disagreed (`verify.mismatch`), on top of the stack like the errors.
    public static let mismatchSeries = ChartSeries(counter: CounterName.verifyMismatch, label: "mismatch", mark: .alert)
    /// What the traffic chart draws once the new store is read, in stacking order.
    public static let newStoreSeries = [ChartSeries(counter: CounterName.hit, label: "hit", mark: .solid),
                                        ChartSeries(counter: CounterName.miss, label: "miss", mark: .medium),
                                        ChartSeries(counter: CounterName.backfill, label: "backfill", mark: .light),
                                        writeErrorSeries, mismatchSeries]
    /// What it draws while only the old store is read: the reads and writes the old store
    /// served and the failed secondary writes, so the first phases show their load.
    public static let oldStoreSeries = [ChartSeries(counter: CounterName.readOld, label: "reads", mark: .solid),
                                        ChartSeries(counter: CounterName.writeOld, label: "writes", mark: .medium),
                                        writeErrorSeries]
    /// The dashboard's Safety line: what must stay at zero, counted since the phase began.
    public static let safetyCounters: [(counter: String, label: String)] = [
        (CounterName.verifyMismatch, "mismatches"), (CounterName.writeNewError, "new-store errors"),
        (CounterName.writeOldError, "old-store errors"),
    ]
    /// Every counter the chart may draw, loaded whatever the phase.
    public static let chartedCounters = Array(Set((newStoreSeries + oldStoreSeries).flatMap(\.counters))).sorted()

    /// What the traffic chart draws in `phase`.
    public static func chartSeries(for phase: Phase?) -> [ChartSeries] {
        phase?.reads == .old ? oldStoreSeries : newStoreSeries
    }

    public var location: String
    public var migration: MigrationInfo
    public var plan: Plan
    public var state: MigrationState
    public var recentEvents: [AuditEvent]
    public var totals: [String: Int64]
    public var gauges: [Gauge]
    public var window: ChartWindow
    public var traffic: CounterSeries
    /// The current phase's runbook, parsed, if it has one.
    public var runbook: RunbookDocument?
    /// The current phase's checklist with its ticks.
    public var checklist: [ChecklistItem]
    /// The next phase's runbook, parsed, so it can be read before advancing; nil at the end or without one.
    public var nextRunbook: RunbookDocument?
    /// The next phase's checklist with any ticks from an earlier visit.
    public var nextChecklist: [ChecklistItem] = []
    /// The next phase's gates, previewed without running command checks; nil at the end.
    public var gates: GateReport?
    /// The application instances that reported.
    public var instances: [FleetInstance] = []
    /// Rows the read skipped because they held values migctl cannot use; shown as a warning.
    public var skippedRows: [RowProblem] = []
    /// Where the audit log's hash chain breaks, if it does (see `migctl log --verify`).
    public var auditChainBreak: String?
    /// The guard's lease as stored (alive or not), or nil when no guard ever ran on this store.
    public var guardLease: GuardLease?
    /// What the lease's holder last published (its guards' figures, its notification targets),
    /// decoded once per read; show it only while the lease is alive (``guardPublished``).
    public var guardStatus: GuardStatus?
    /// The guards that fired and were not cleared yet, newest first.
    public var guardFirings: [GuardFiring] = []
    /// Why the guard's lease could not be read, if it could not; the rest of the console still works.
    public var guardProblem: String?
    /// The ``safetyCounters`` summed since the current phase began.
    public var phaseTotals: [String: Int64] = [:]
    /// The long jobs' settings and progress (both, in ``Job`` order).
    public var jobs: [JobSnapshot] = []
    /// The newest verification run's first mismatches (at most ``mismatchLimit``).
    public var mismatches: [VerifyMismatch] = []
    public var now: Date

    /// One long job as the console shows and steers it.
    public struct JobSnapshot: Sendable, Equatable {
        public var job: Job
        public var control: JobControl
        public var progress: JobProgress?

        public init(job: Job, control: JobControl, progress: JobProgress?) {
            self.job = job
            self.control = control
            self.progress = progress
        }
    }

    public static let mismatchLimit = 200

    public init(
        location: String, migration: MigrationInfo, plan: Plan, state: MigrationState, recentEvents: [AuditEvent],
        totals: [String: Int64], gauges: [Gauge], window: ChartWindow, traffic: CounterSeries, runbook: RunbookDocument?,
        checklist: [ChecklistItem] = [], gates: GateReport? = nil, now: Date
    ) {
        self.checklist = checklist
        self.gates = gates
        self.location = location
        self.migration = migration
        self.plan = plan
        self.state = state
        self.recentEvents = recentEvents
        self.totals = totals
        self.gauges = gauges
        self.window = window
        self.traffic = traffic
        self.runbook = runbook
        self.now = now
    }

    /// Reads a snapshot from `store`.
    /// - Parameters:
    ///   - slots: how many time slots the chart has room for.
    ///   - events: how many recent audit events to keep (the log view scrolls through them).
    public static func load(
        from store: any ControlStore, window: ChartWindow, slots: Int, events: Int = 500, actor: String, now: Date
    ) throws(ControlStoreError) -> ConsoleData {
        let state = try store.state()
        let plan = try store.plan()
        let gates = try plan.next(after: state.phase).map { target throws(ControlStoreError) in
            try store.checkGates(into: target, from: state, actor: actor, now: now, runCommands: false)
        }
        var data = ConsoleData(
            location: store.location, migration: try store.migration(), plan: plan, state: state,
            recentEvents: try store.auditLog(limit: events), totals: try store.counterTotals(), gauges: try store.gauges(),
            window: window,
            traffic: try traffic(from: store, window: window, slots: slots, now: now),
            runbook: try store.runbook(phase: state.phase).map { RunbookDocument(markdown: $0) },
            checklist: try store.checklist(phase: state.phase), gates: gates, now: now)
        if let next = data.nextPhase {
            data.nextRunbook = try store.runbook(phase: next.id).map { RunbookDocument(markdown: $0) }
            data.nextChecklist = try store.checklist(phase: next.id)
        }
        data.instances = try store.instances()
        let phaseSeconds = state.secondsInPhase(at: now)
        let windows = safetyCounters.map { CounterWindow(name: $0.counter, seconds: phaseSeconds) }
        data.phaseTotals = Dictionary(try store.counterSums(windows, now: now).map { ($0.key.name, $0.value) }) { $1 }
        do {
            data.guardLease = try store.guardLease()
            data.guardStatus = data.guardLease?.decodedStatus
        } catch {
            data.guardProblem = error.description
        }
        data.guardFirings = try store.guardFirings(openOnly: true, limit: guardFiringLimit)
        data.jobs = try Job.allCases.map { job throws(ControlStoreError) in
            JobSnapshot(job: job, control: try store.jobControl(job), progress: try store.jobProgress(job))
        }
        if let run = data.jobs.first(where: { $0.job == .verify })?.progress, run.mismatches > 0 {
            data.mismatches = try store.verifyMismatches(runStartedAt: run.startedAt, limit: mismatchLimit)
        }
        data.skippedRows = store.takeRowProblems()
        return data
    }

    /// The charted counters over `window` up to `now`, in `slots` slots: what the chart and
    /// ``ProgressFigures`` read.
    public static func traffic(from store: any ControlStore, window: ChartWindow, slots: Int, now: Date) throws(ControlStoreError) -> CounterSeries {
        let to = Int64(now.timeIntervalSince1970) + 1
        return try store.counterSeries(chartedCounters, from: to - window.seconds, to: to, slots: max(1, slots))
    }

    /// How many open firings a read keeps (a plan has at most a few guards a phase).
    public static let guardFiringLimit = 100

    /// The current phase.
    public var phase: Phase? { plan.phase(state.phase) }
    /// Whether a guard holds the lease now.
    public var guardActing: Bool { guardLease?.isAlive(at: now) ?? false }
    /// What the acting guard published; nil when no guard acts (an expired lease's figures are stale).
    public var guardPublished: GuardStatus? { guardActing ? guardStatus : nil }
    /// The open firings that hold back advancing and raising the rollout.
    public var guardHolds: [GuardFiring] { guardFirings.filter(\.blocks) }
    /// The current phase's next automatic ramp step and when it is due, or nil when it has none left.
    public var rampDue: (step: Rollout, at: Date)? { phase?.automation.ramp?.due(for: state) }
    /// Whether the plan gives the guard anything to do: guards, a ramp schedule or an automatic advance.
    public var planIsGuarded: Bool { plan.phases.contains { !$0.automation.isEmpty } }
    /// The phase an advance would enter.
    public var nextPhase: Phase? { plan.next(after: state.phase) }
    /// Instances whose heartbeat is at most `seconds` old.
    public func liveInstances(within seconds: TimeInterval = 60) -> [FleetInstance] {
        instances.filter { $0.isLive(at: now, within: seconds) }
    }

    /// A gauge's value, if reported.
    public func gauge(_ name: String) -> Gauge? { gauges.first { $0.name == name } }

    /// The job `p` and `R` steer: in the `backfill` phase (or any phase where a job reported
    /// progress) the backfill until it finished, then the verification; nil when neither runs.
    public var steerableJob: JobSnapshot? {
        let backfill = jobs.first { $0.job == .backfill }, verify = jobs.first { $0.job == .verify }
        let inBackfill = state.phase == "backfill"
        if let backfill, backfill.progress?.finishedAt == nil, inBackfill || backfill.progress != nil { return backfill }
        if let verify, inBackfill || verify.progress.map({ $0.finishedAt == nil }) == true { return verify }
        return nil
    }

    /// The jobs worth a dashboard line: those that reported progress, and both in `backfill`.
    public var shownJobs: [JobSnapshot] {
        jobs.filter { $0.progress != nil || state.phase == "backfill" }
    }
}
