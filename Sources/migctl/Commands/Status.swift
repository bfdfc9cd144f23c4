import ArgumentParser
import Foundation
import MigrationCore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the phase, rollout, version, next phase and counter totals.",
        discussion: """
            --watch prints one line each time what it shows changes, for logs and CI: the time, the \
            phase, the rollout, the version and who set it, the next phase's gates passing (previewed \
            as the console does: command checks are not run, Prometheus is not queried), the \
            backfill's progress, rate and ETA, \
            and the hit ratio over 15 minutes. It reads the store every --interval and runs until \
            SIGINT or SIGTERM (exit 0). A failed read is one line on stderr per distinct problem, and \
            it keeps trying; a replaced file is reopened; a deleted file stops it (exit 1). With \
            --json each line is one JSON object (JSON Lines), with status --json's names for the same data.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Flag(name: .long, help: "Print a line each time the status changes, until SIGINT or SIGTERM.")
    var watch = false

    @Option(name: .long, help: ArgumentHelp("With --watch: how often to read the store, 100ms to 1h (default 1s).", valueName: "duration"))
    var interval: String?

    /// The bounds of --interval: fast enough for a demo, slow enough for a week-long soak.
    static let intervals: ClosedRange<Double> = 0.1...3600

    func validate() throws {
        guard let interval else { return }
        guard watch else { throw ValidationError("--interval goes with --watch.") }
        _ = try DurationArgument.seconds(interval, option: "--interval", within: Self.intervals)
    }

    func run() throws {
        if watch {
            // Handled from the start, so a SIGTERM while the store is still being opened stops cleanly too.
            let stop = StopRequest(parent: nil)
            try reportingFailures {
                let every = try DurationArgument.seconds(interval ?? "1s", option: "--interval", within: Self.intervals)
                try StatusWatch(interval: every, json: output.json).run(try store.open(), stop: stop)
            }
            return
        }
        try reportingFailures {
            let report = try StatusReport(store: store.open(), now: Date())
            if output.json {
                try JSONOutput.print(report)
            } else {
                say(report.text)
            }
        }
    }
}

/// What `status` shows; its JSON shape is part of the contract scripts rely on.
struct StatusReport: Encodable {
    struct PhaseSummary: Encodable {
        let id: String
        let title: String
        let position: Int
        let reads: String
        let writes: [String]
        let irreversible: Bool
        let ramp: Bool
    }

    let migration: String
    let phase: String
    let phaseDetail: PhaseSummary
    let phases: Int
    let rollout: Double
    let rolloutBasisPoints: Int
    let version: Int64
    let since: Date
    let changedAt: Date
    let changedBy: String
    let next: String?
    let previous: String?
    let irreversible: Bool
    let pointOfNoReturn: String?
    let counters: [String: Int64]
    let gauges: [String: Double]
    let secondsInPhase: Int

    init(store: some ControlStore, now: Date) throws {
        let plan = try store.plan()
        let state = try store.state()
        guard let index = plan.index(of: state.phase) else { throw ControlError.refused(.unknownPhase(state.phase)) }
        let phase = plan.phases[index]
        migration = try store.migration().name
        self.phase = phase.id
        phaseDetail = PhaseSummary(id: phase.id, title: phase.title, position: index + 1, reads: phase.reads.rawValue,
                                   writes: phase.writes.map(\.rawValue), irreversible: phase.irreversible, ramp: phase.ramp)
        phases = plan.phases.count
        rollout = state.rollout.percent
        rolloutBasisPoints = state.rollout.basisPoints
        version = state.version
        since = state.phaseSince
        changedAt = state.changedAt
        changedBy = state.changedBy
        next = plan.next(after: phase.id)?.id
        previous = plan.previous(before: phase.id)?.id
        irreversible = phase.irreversible
        pointOfNoReturn = plan.pointOfNoReturn?.id
        counters = try store.counterTotals()
        // Two rows may read as one name (a NUL cuts a name short; a hand-written row skips the
        // store's checks): the first is kept, never a crash.
        gauges = Dictionary(try store.gauges().map { ($0.name, $0.value) }) { first, _ in first }
        secondsInPhase = max(0, Int(now.timeIntervalSince(state.phaseSince)))
    }

    var text: String {
        var lines = [
            "migration  \(migration.terminalSafe)",
            "phase      \(phase.terminalSafe) (\(phaseDetail.position)/\(phases)) · \(phaseDetail.title.terminalSafe)\(irreversible ? " · irreversible" : "")",
            "rollout    \((try? Rollout(basisPoints: rolloutBasisPoints))?.description ?? "?")\(phaseDetail.ramp ? "" : " (not ramped)")",
            "version    \(version) · in phase \(humanDuration(Double(secondsInPhase))) since \(Timestamp.string(since)) · last change by \(changedBy.terminalSafe)",
        ]
        if let next {
            let marker = next == pointOfNoReturn ? " · the point of no return" : ""
            lines.append("next       \(next.terminalSafe)\(marker)")
        } else {
            lines.append("next       none: this is the last phase")
        }
        let counterText = counters.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "  ")
        lines.append("counters   \(counterText.isEmpty ? "none yet" : counterText)")
        if !gauges.isEmpty {
            lines.append("gauges     " + gauges.sorted { $0.key < $1.key }.map { "\($0.key) \(formatGauge($0.value))" }.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }
}

func formatGauge(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
}
