import Foundation
import MigrationCore

/// The newest verification run's mismatching keys, each with the first digits of each side's
/// digest, as `migctl verify report` lists them (keys made safe for the terminal).
enum MismatchView {
    /// A mismatch's row: its key and the first digits of each side's digest.
    static func line(_ mismatch: VerifyMismatch) -> String {
        "\(mismatch.key.terminalSafe)  old \(VerifyMismatch.shortDigest(mismatch.oldDigest))  new \(VerifyMismatch.shortDigest(mismatch.newDigest))"
    }

    static func render(_ data: ConsoleData, cursor: LogCursor, in rect: Rect, context: RenderContext, into screen: inout Screen) {
        guard rect.height > 2 else { return }
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
        let list = Rect(left: rect.left, top: rect.top + 1, width: rect.width, height: rect.height - 2)
        let drawn = SelectableList.render(data.mismatches.map(line), keys: data.mismatches.map(\.key), cursor: cursor, in: list,
                                          context: context, into: &screen)
        if run.mismatches > Int64(data.mismatches.count), drawn < list.height {
            screen.put("… \(run.mismatches - Int64(data.mismatches.count)) more: migctl verify report --limit N",
                       row: list.top + drawn, column: rect.left + 2, style: .dim, maxWidth: rect.width - 2)
        }
        SelectableList.renderStatus(cursor.search, hint: "/ search · PgUp PgDn a page · Home End first/last · Esc dashboard",
                                    in: Rect(left: rect.left, top: rect.bottom - 1, width: rect.width, height: 1), context: context, into: &screen)
    }
}
