import Foundation
import MigrationCore

/// The dashboard's lines for the long jobs (the backfill and the full verification): running
/// or paused and by whom, rows walked, rate and ETA, the health throttle, and mismatches.
enum JobView {
    typealias Line = GuardView.Line

    static func lines(_ data: ConsoleData, readOnly: Bool) -> [Line] {
        data.shownJobs.map { line($0, data: data, readOnly: readOnly) }
    }

    static func line(_ snapshot: ConsoleData.JobSnapshot, data: ConsoleData, readOnly: Bool) -> Line {
        let label = (snapshot.job == .backfill ? "Backfill " : "Verify   ")
        var line: Line = [(label, .bold)]
        let control = snapshot.control
        if control.paused {
            line.append(("paused\(control.changedBy.map { " by \($0.terminalSafe)" } ?? "")", .warning))
        } else {
            line.append(("running", .good))
        }
        if control.rate > 0 { line.append((" · ≤\(Format.count(control.rate))/s", .plain)) }
        guard let progress = snapshot.progress else {
            line.append((" · not started", .dim))
            return line
        }
        let figures = JobFigures(progress, now: data.now)
        var parts = [Format.count(figures.done) + (figures.total.map { "/\(Format.count($0))" } ?? "")]
        if let percent = figures.percent { parts.append(String(format: "%.1f%%", percent)) }
        if figures.finished {
            parts.append("done \(Format.moment(progress.finishedAt ?? data.now, now: data.now))")
        } else {
            if let pace = figures.rowsPerSecond { parts.append("\(Format.count(Int64(clamping: pace.rounded())))/s") }
            if let eta = figures.etaSeconds { parts.append("ETA \(Format.duration(TimeInterval(eta)))") }
        }
        line.append((" · " + parts.joined(separator: " · "), .plain))
        if snapshot.job == .verify {
            let keys = KeyBinding.label(for: .mismatches)
            line.append(progress.mismatches == 0 ? (" · 0 mismatches", .good)
                                                 : (" · \(Format.count(progress.mismatches)) mismatch\(progress.mismatches == 1 ? "" : "es") (\(keys) lists them)", .danger))
        }
        if let throttled = progress.throttled {
            line.append((" · \(throttled.terminalSafe)", .warning))
        }
        return line
    }
}
