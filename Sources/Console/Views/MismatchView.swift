import Foundation
import MigrationCore

/// The newest verification run's mismatching keys, each with the first digits of each side's
/// digest, as `migctl verify report` lists them (keys made safe for the terminal).
enum MismatchView {
    static func render(_ data: ConsoleData, scroll: Int, in rect: Rect, into screen: inout Screen) {
        guard rect.height > 1 else { return }
        guard let run = data.jobs.first(where: { $0.job == .verify })?.progress else {
            screen.put("Verification · no run yet: the verifier (the demo's service, or your Verifier) has not started", row: rect.top,
                       column: rect.left, style: .bold, maxWidth: rect.width)
            return
        }
        let state = run.finishedAt.map { "finished \(Format.moment($0, now: data.now))" } ?? "under way"
        let title = "Verification · run started \(Format.moment(run.startedAt, now: data.now)) in \((run.sincePhase ?? "?").terminalSafe) · \(state) · "
            + "\(Format.count(run.done)) keys walked · \(Format.count(run.mismatches)) mismatch\(run.mismatches == 1 ? "" : "es")"
        screen.put(title, row: rect.top, column: rect.left, style: .bold, maxWidth: rect.width)
        if data.mismatches.isEmpty {
            screen.put(run.mismatches == 0 ? "every key walked so far is as it should be" : "the mismatches could not be read",
                       row: rect.top + 1, column: rect.left, style: run.mismatches == 0 ? .good : .warning, maxWidth: rect.width)
            return
        }
        for (i, mismatch) in data.mismatches.dropFirst(scroll).prefix(rect.height - 1).enumerated() {
            let line = "\(mismatch.key.terminalSafe)  old \(VerifyMismatch.shortDigest(mismatch.oldDigest))  new \(VerifyMismatch.shortDigest(mismatch.newDigest))"
            screen.put(line, row: rect.top + 1 + i, column: rect.left, maxWidth: rect.width)
        }
        if run.mismatches > Int64(data.mismatches.count), rect.height - 1 > data.mismatches.count - scroll {
            screen.put("… \(run.mismatches - Int64(data.mismatches.count)) more: migctl verify report --limit N",
                       row: rect.top + 1 + data.mismatches.count - scroll, column: rect.left, style: .dim, maxWidth: rect.width)
        }
    }
}
