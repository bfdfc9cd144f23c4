import ArgumentParser
import Foundation
import MigrationCore

/// `migctl backfill status` and `migctl verify status`: the operators' settings and the job's
/// progress, recent rate and ETA; with `--wait`, until the job is done.
struct JobStatus<Steered: SteeredJob>: ParsableCommand {
    static var configuration: CommandConfiguration {
        let job = Steered.job
        return CommandConfiguration(
            commandName: "status",
            abstract: "Show the \(job.rawValue)'s settings, progress, recent rate and ETA; with --wait, wait until it is done.",
            discussion: """
                Progress comes from the job's record in the control store (job_progress: rows \
                \(job.walkedWord), the total, when the run started and finished). The rate is the one \
                the job publishes after each batch (the \(job.rateGauge) gauge: rows a second over about \
                the last \(RecentRate.windowLabel), paused time left out), and the ETA the rows left at \
                that rate. A finished, paused or throttled job says so instead of a rate, and a job \
                that has not reported for a while says how long (no progress for ...). A job that \
                records no progress there is followed by its gauges (\(job.gauges.joined(separator: ", "))). \
                --wait exits 0 once the job is done, 1 when a running (not paused) job makes no \
                progress for --stall\(job == .verify ? ", and 3 when the finished verification found mismatches" : "").
                """)
    }

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Flag(name: .long, help: "Wait until the job is done (exit 0), or has stalled (exit 1).")
    var wait = false

    @Option(name: .long, help: ArgumentHelp("With --wait: how long without progress is a stall.", valueName: "duration"))
    var stall = "60s"

    @Option(name: .long, help: ArgumentHelp("With --wait: how often to look.", valueName: "duration"))
    var interval = "1s"

    func validate() throws {
        _ = try DurationArgument.seconds(stall, option: "--stall", within: 1...86_400)
        _ = try DurationArgument.seconds(interval, option: "--interval", within: 0.05...3600)
    }

    func run() throws {
        try reportingFailures {
            let opened = try store.open()
            let stallSeconds = try DurationArgument.seconds(stall, option: "--stall", within: 1...86_400)
            let every = try DurationArgument.seconds(interval, option: "--interval", within: 0.05...3600)
            var report = try JobReport(Steered.job, opened)
            show(report)
            guard wait else { return }
            var lastProgress = (done: report.done, at: opened.now())
            while !report.isDone {
                Thread.sleep(forTimeInterval: every)
                report = try JobReport(Steered.job, opened)
                let now = opened.now()
                if report.done != lastProgress.done || report.paused {
                    lastProgress = (report.done, now)
                } else if now.timeIntervalSince(lastProgress.at) >= stallSeconds {
                    let never = report.done == nil ? " (it has not reported any progress yet)" : ""
                    throw JobWaitFailure.stalled(
                        "the \(Steered.job.rawValue) has stalled: no progress for \(DurationArgument.describe(stallSeconds)) while running\(never); check the process that runs it (its log, 'migctl fleet list')")
                }
            }
            if let mismatches = report.mismatches, mismatches > 0 {
                throw JobWaitFailure.mismatches(
                    "the verification found \(mismatches) mismatching key\(mismatches == 1 ? "" : "s"); 'migctl verify report' lists them")
            }
            if !output.json { say("\(Steered.job.rawValue): done") }
        }
    }

    private func show(_ report: JobReport) {
        if output.json {
            try? JSONOutput.printLine(report)
            return
        }
        let job = report.job
        let control = JobControl(paused: report.paused, rate: report.rate, batch: report.batch)
        let changed = report.changedBy.map { " (changed by \($0.terminalSafe) at \(report.changedAt ?? "?"))" } ?? ""
        say("\(job): \(JobControlLine.describe(control))\(changed)")
        if let throttled = report.throttled { say("throttled: \(throttled.terminalSafe)") }
        guard let total = report.total, let done = report.done else {
            say("progress: the \(job) has not reported any progress yet")
            return
        }
        let percent = report.percent.map { String(format: "%.1f%%", $0) } ?? "?"
        var line = "progress: \(done) of \(total) rows \(Steered.job.walkedWord) (\(percent))"
        if report.pace == JobFigures.Pace.done.rawValue {
            line += ", done\(report.finishedAt.map { " at \($0)" } ?? "")"
        } else {
            line += ", \(report.remaining.map(String.init) ?? "?") remaining, " + report.paceWords
        }
        say(line + "; reported at \(report.reportedAt ?? "?")")
        if let mismatches = report.mismatches {
            say("mismatches: \(mismatches)\(mismatches > 0 ? " ('migctl verify report' lists them)" : "") in the run started at \(report.startedAt ?? "?") in \(report.sincePhase?.terminalSafe ?? "?")")
        }
    }
}

/// Why `status --wait` gave up: a stall (exit 1) or a verification that found mismatches (exit 3).
enum JobWaitFailure: Error, CustomStringConvertible {
    case stalled(String)
    case mismatches(String)

    var description: String {
        switch self {
        case .stalled(let sentence), .mismatches(let sentence): sentence
        }
    }
}

/// A job's settings and progress, as `status` prints them and `--json` gives them: the
/// figures of ``JobFigures``, the same the console shows.
struct JobReport: Encodable, Equatable {
    let job: String
    let paused: Bool
    let rate: Int64
    let batch: Int
    let changedAt: String?
    let changedBy: String?
    let total: Int64?
    let done: Int64?
    let remaining: Int64?
    let percent: Double?
    /// `running`, `paused`, `throttled`, `stalled` or `done` (``JobFigures/Pace``); nil before any progress.
    let pace: String?
    /// Rows a second over about the last 30 s as the job published it; nil unless running with a current figure.
    let rowsPerSecond: Double?
    /// Seconds left at that rate; nil without one (and once done).
    let etaSeconds: Int64?
    /// Seconds since the job last reported, when it has stalled.
    let silentSeconds: Double?
    let startedAt: String?
    let finishedAt: String?
    let reportedAt: String?
    let instance: String?
    let throttled: String?
    /// The verifier's run: mismatches so far and the phase it started in.
    let mismatches: Int64?
    let sincePhase: String?

    /// Done: the run finished, or (for a job that records no progress) its remaining gauge is 0.
    var isDone: Bool { finishedAt != nil || (startedAt == nil && remaining == 0) }

    init(_ job: Job, _ store: any ControlStore) throws {
        let control = try store.jobControl(job)
        let gauges = try store.gauges()
        func gauge(_ name: String) -> Gauge? { gauges.first { $0.name == name } }
        let now = store.now()
        self.job = job.rawValue
        paused = control.paused
        rate = control.rate
        batch = control.batch
        changedAt = control.changedAt.map(Timestamp.string)
        changedBy = control.changedBy
        if let progress = try store.jobProgress(job) {
            let figures = JobFigures(progress, control: control, rate: gauge(job.rateGauge), now: now)
            total = figures.total
            done = figures.done
            remaining = figures.remaining
            percent = figures.percent
            pace = figures.pace.rawValue
            rowsPerSecond = figures.rowsPerSecond
            etaSeconds = figures.etaSeconds
            silentSeconds = figures.silentSeconds
            startedAt = Timestamp.string(progress.startedAt)
            finishedAt = progress.finishedAt.map(Timestamp.string)
            reportedAt = (progress.updatedAt ?? progress.finishedAt ?? progress.startedAt).map(Timestamp.string)
            instance = progress.instance
            throttled = progress.throttled
            mismatches = job == .verify ? progress.mismatches : nil
            sincePhase = job == .verify ? progress.sincePhase : nil
            return
        }
        let (totalName, doneName, remainingName) = job.gaugeNames
        let walked = gauge(doneName).map { Int64(clamping: $0.value) }
        let left = gauge(remainingName).map { Int64(clamping: $0.value) }
        let seen = totalName.flatMap(gauge).map { Int64(clamping: $0.value) }
            ?? walked.flatMap { walked in left.map { walked.saturatingAdding($0) } }
        let reported = [totalName.flatMap(gauge), gauge(doneName), gauge(remainingName)].compactMap { $0?.updatedAt }.max()
        let figures = walked.map {
            JobFigures(done: $0, total: seen, finished: left == 0, reportedAt: reported, throttled: nil,
                       control: control, rate: gauge(job.rateGauge), now: now)
        }
        done = walked
        remaining = left
        total = seen
        percent = seen.flatMap { seen in walked.map { seen == 0 ? 100 : min(100, max(0, Double($0) / Double(seen) * 100)) } }
        pace = figures?.pace.rawValue
        rowsPerSecond = figures?.rowsPerSecond
        etaSeconds = figures?.etaSeconds
        silentSeconds = figures?.silentSeconds
        startedAt = nil
        finishedAt = nil
        reportedAt = reported.map(Timestamp.string)
        instance = nil
        throttled = nil
        mismatches = nil
        sincePhase = nil
    }

    /// What the job does instead of being done, in words: `4210 rows/s over the last 30s, about
    /// 1s left`, `paused`, `throttled`, `no progress for 2m 10s`, or `no rate published yet`.
    var paceWords: String {
        switch pace.flatMap(JobFigures.Pace.init(rawValue:)) {
        case .paused?: return "paused"
        case .throttled?: return "throttled"
        case .stalled?: return "no progress for \(DurationArgument.describe(silentSeconds ?? 0))"
        case .done?: return "done"
        case .running?, nil:
            guard let pace = rowsPerSecond else { return "no rate published yet" }
            let rate = "\(Int64(clamping: pace.rounded())) rows/s over the last \(RecentRate.windowLabel)"
            return rate + (etaSeconds.map { ", about \(DurationArgument.describe(Double($0))) left" } ?? "")
        }
    }
}

extension Job {
    /// The gauges the job sets: its total (the verifier sets none: done + remaining), rows walked and rows remaining.
    var gaugeNames: (total: String?, done: String, remaining: String) {
        switch self {
        case .backfill: (CounterName.backfillTotal, CounterName.backfillDone, CounterName.backfillRemaining)
        case .verify: (nil, CounterName.verifyFullDone, CounterName.verifyFullRemaining)
        }
    }

    var gauges: [String] {
        let names = gaugeNames
        return [names.total, names.done, names.remaining].compactMap { $0 }
    }
}
