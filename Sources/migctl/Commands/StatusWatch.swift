import Console
import Foundation
import MigrationCore

/// `migctl status --watch`: one line each time what it shows changes, for logs and CI, like
/// gh-ost's status lines. It reads the store every interval and prints a line when any figure
/// but the time differs from the last line printed, until SIGINT or SIGTERM (exit 0).
///
/// It survives the store (``WatchedStore``): a replaced file is reopened, a failed read is one
/// stderr line per distinct problem and it tries again at the next interval; a deleted file
/// ends it with exit 1.
struct StatusWatch {
    let interval: Double
    let json: Bool

    func run(_ opened: any ControlStore, stop: StopRequest) throws {
        let watched = WatchedStore(opened)
        let actor = opened.previewActor()
        var last: String?
        while !stop.isRequested {
            if let line = try watched.read({ try StatusLine(store: $0, actor: actor, now: $0.now()) }) {
                let shown = line.figures
                if shown != last {
                    last = shown
                    if json {
                        try JSONOutput.printLine(line)
                    } else {
                        sayLine("\(Timestamp.string(line.at))  \(shown)")
                    }
                }
            }
            stop.wait(seconds: interval)
        }
    }
}

/// One line of `status --watch`. Its JSON uses `status --json`'s names for the same data
/// (`migration`, `phase`, `phases`, `rollout`, `rolloutBasisPoints`, `version`, `changedBy`,
/// `next`), plus the figures the console derives: the next phase's gates passing, the
/// backfill's progress, what it is doing, its recent rate and ETA, and the hit ratio.
struct StatusLine: Encodable {
    /// When the store was read.
    let at: Date
    let migration: String
    let phase: String
    /// The phase's position in the plan, from 1.
    let position: Int
    let phases: Int
    let rollout: Double
    let rolloutBasisPoints: Int
    let version: Int64
    let changedBy: String
    let next: String?
    /// Gates of the next phase that pass, and how many it has (nil at the last phase); command
    /// checks are not run and Prometheus is not queried, so they count as not passing, as on the console.
    let gatesPassing: Int?
    let gatesTotal: Int?
    /// The backfill's records copied and total, and the share done (nil until it records a run
    /// or reports a total).
    let backfillDone: Double?
    let backfillTotal: Double?
    let progress: Double?
    /// `running`, `paused`, `throttled`, `stalled` or `done` (``JobFigures/Pace``); nil before the backfill reports.
    let backfillPace: String?
    /// Records copied since init (misses and backfill copies).
    let copied: Int64
    /// The backfill's records a second over about the last 30 s, and the seconds left at that
    /// rate (nil unless it runs and published a current rate).
    let copyRate: Double?
    let etaSeconds: Int?
    /// Hits over hits and misses in `window` (nil when no read was counted).
    let hitRatio: Double?
    let window: String

    /// The window the hit ratio is taken over, and its slots (15 s each), as the console's
    /// default chart reads them.
    static let window = ChartWindow.fifteenMinutes
    static let slots = 60

    /// Reads the line at `now`: the state, plan, counters and gauges, the charted counters
    /// over the window, and the next phase's gates as the console previews them (no command
    /// check is run, no program started).
    init(store: any ControlStore, actor: String, now: Date) throws {
        let state = try store.state()
        let plan = try store.plan()
        guard let index = plan.index(of: state.phase) else { throw ControlError.refused(.unknownPhase(state.phase)) }
        let next = plan.next(after: state.phase)
        let gates = try next.map { target throws(ControlStoreError) in
            try store.checkGates(into: target, from: state, actor: actor, now: now, runCommands: false)
        }
        let backfill = ConsoleData.JobSnapshot(job: .backfill, control: try store.jobControl(.backfill), progress: try store.jobProgress(.backfill))
        let figures = ProgressFigures(job: backfill, phase: state.phase, totals: try store.counterTotals(), gauges: try store.gauges(),
                                      traffic: try ConsoleData.traffic(from: store, window: Self.window, slots: Self.slots, now: now),
                                      window: Self.window, now: now)
        at = now
        migration = try store.migration().name
        phase = state.phase
        position = index + 1
        phases = plan.phases.count
        rollout = state.rollout.percent
        rolloutBasisPoints = state.rollout.basisPoints
        version = state.version
        changedBy = state.changedBy
        self.next = next?.id
        gatesPassing = gates?.results.filter { $0.status == .pass }.count
        gatesTotal = gates?.results.count
        backfillDone = figures.backfill.map { Double($0.done) }
        backfillTotal = figures.backfill?.total.map(Double.init)
        progress = figures.share
        backfillPace = figures.backfill?.pace.rawValue
        copied = figures.copied
        copyRate = figures.backfill?.rowsPerSecond
        etaSeconds = figures.backfill?.etaSeconds.map { Int(min($0, 9_000_000_000_000_000)) }
        hitRatio = figures.hitRatio
        window = Self.window.label
        shownParts = figures.parts
    }

    /// The console's progress words, kept for ``figures``.
    private let shownParts: [String]

    enum CodingKeys: String, CodingKey {
        case at, migration, phase, position, phases, rollout, rolloutBasisPoints, version, changedBy, next, gatesPassing, gatesTotal
        case backfillDone, backfillTotal, progress, backfillPace, copied, copyRate, etaSeconds, hitRatio, window
    }

    /// Everything the line shows but the time, not yet sanitised:
    /// `backfill (6/8) · rollout 100% · v7 by ana · gates 3/5 for cleanup · copied 1,234/10,000 12.3% · 950/s · ETA 9m 14s · hit ratio 97.0% over 15m`.
    /// A new line is printed when this changes.
    var figures: String {
        // Each value from the store is made inert on its own: a newline in an actor's name
        // must not start a line of its own, which a log reader would take for a real one.
        let gates = next.map { "gates \(gatesPassing ?? 0)/\(gatesTotal ?? 0) for \($0.terminalSafe)" } ?? "last phase"
        let rolloutText = (try? Rollout(basisPoints: rolloutBasisPoints))?.description ?? "?"
        return (["\(phase.terminalSafe) (\(position)/\(phases))", "rollout \(rolloutText)", "v\(version) by \(changedBy.terminalSafe)", gates]
            + shownParts.map(\.terminalSafe)).joined(separator: " · ")
    }
}
