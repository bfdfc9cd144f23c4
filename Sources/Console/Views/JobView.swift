import Foundation
import MigrationCore

/// The dashboard's lines for the long jobs (the backfill and the full verification): running
/// or paused and by whom, rows copied (checked) of the total, the recent rate and ETA or why
/// there is none (done, paused, throttled, no progress for a while), the health throttle, and
/// mismatches. The figures are ``JobFigures``, as `migctl backfill|verify status` shows them.
enum JobView {
    typealias Line = GuardView.Line

    static func lines(_ data: ConsoleData, readOnly: Bool) -> [Line] {
        data.shownJobs.map { line($0, data: data, readOnly: readOnly) }
    }

    static func line(_ snapshot: ConsoleData.JobSnapshot, data: ConsoleData, readOnly: Bool) -> Line {
        let label = (snapshot.job == .backfill ? "Backfill " : "Verify   ")
        var line: Line = [(label, .bold)]
        let control = snapshot.control
        let figures = snapshot.progress.map { JobFigures($0, control: control, rate: data.gauge(snapshot.job.rateGauge), now: data.now) }
        if let progress = snapshot.progress, figures?.pace == .done {
            line.append(("done \(Format.moment(progress.finishedAt ?? data.now, now: data.now))", .good))
        } else if control.paused {
            line.append(("paused\(control.changedBy.map { " by \($0.terminalSafe)" } ?? "")", .warning))
        } else {
            line.append(("running", .good))
        }
        if control.rate > 0 && figures?.pace != .done { line.append((" · ≤\(Format.count(control.rate))/s", .plain)) }
        guard let progress = snapshot.progress, let figures else {
            line.append((" · not started", .dim))
            return line
        }
        var parts = [Format.count(figures.done) + (figures.total.map { "/\(Format.count($0))" } ?? "") + " \(snapshot.job.walkedWord)"]
        if figures.pace != .done, let percent = figures.percent { parts.append(Format.percent(percent / 100)) }
        line.append((" · " + parts.joined(separator: " · "), .plain))
        let pace = ProgressFigures.paceWords(figures)
        if !pace.isEmpty { line.append((" · " + pace.joined(separator: " · "), figures.pace == .stalled ? .warning : .plain)) }
        if snapshot.job == .verify {
            let keys = KeyBinding.label(for: .mismatches)
            line.append(progress.mismatches == 0 ? (" · 0 mismatches", .good)
                                                 : (" · \(Format.count(progress.mismatches)) mismatch\(progress.mismatches == 1 ? "" : "es") (\(keys) lists them)", .danger))
        }
        if let throttled = progress.throttled, figures.pace != .done {
            line.append((" · \(throttled.terminalSafe)", .warning))
        }
        return line
    }
}
