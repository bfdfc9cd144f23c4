import MigrationCore

/// The whole console frame: header, the current view, any overlay, message and footer.
///
/// A pure function of the data and the console state, drawn into an in-memory
/// ``Screen``; the terminal layer copies the result to the terminal.
public enum ConsoleView {
    /// Draws one frame into `screen`.
    /// - Parameters:
    ///   - data: the last snapshot read; nil before the first read succeeds.
    ///   - problem: why the last read failed, shown instead of stale certainty.
    public static func render(
        data: ConsoleData?, state: ConsoleState, operatorName: String, problem: String? = nil,
        context: RenderContext, into screen: inout Screen
    ) {
        let area = screen.bounds
        screen.fill(area)
        let minimum = RenderContext.minimumSize
        guard area.width >= minimum.width, area.height >= minimum.height else {
            let line = "terminal too small: \(area.width)x\(area.height), migctl needs \(minimum.width)x\(minimum.height)"
            for (i, part) in wrap(line, width: area.width).prefix(area.height).enumerated() {
                screen.put(part, row: i, column: 0, style: .warning)
            }
            if context.glyphs.isASCII { screen.downgradeToASCII() }
            return
        }
        let (header, rest) = area.splitTop(1)
        let body = Rect(left: 0, top: rest.top, width: area.width, height: rest.height - 2)
        HeaderView.render(data, operatorName: operatorName, in: header, into: &screen)

        if let data {
            switch state.view {
            case .dashboard: renderDashboard(data, readOnly: state.readOnly, in: body, context: context, into: &screen)
            case .log: AuditView.renderLog(data, cursor: state.log, in: body.inset(1), context: context, into: &screen)
            case .runbook: RunbookView.render(data, state: state, in: body.inset(1), context: context, into: &screen)
            case .mismatches: MismatchView.render(data, cursor: state.log, in: body.inset(1), context: context, into: &screen)
            }
        } else {
            screen.put("reading the control database…", row: body.top + 1, column: 1, style: .dim)
        }

        let messageRow = area.height - 2
        if let busy = state.busy {
            screen.put(busy, row: messageRow, column: 1, style: .warning, maxWidth: area.width - 2)
        } else if let problem {
            screen.put("database: \(problem.terminalSafe)", row: messageRow, column: 1, style: .danger, maxWidth: area.width - 2)
        } else if let message = state.message {
            screen.put(message.text, row: messageRow, column: 1, style: message.isError ? .danger : .good, maxWidth: area.width - 2)
        } else if let broken = data?.auditChainBreak {
            screen.put("AUDIT LOG TAMPERED: \(broken) (migctl log --verify)", row: messageRow, column: 1, style: .danger, maxWidth: area.width - 2)
        } else if let skipped = data?.skippedRows, let first = skipped.first {
            let count = skipped.count == 1 ? "1 row" : "\(skipped.count) rows"
            screen.put("warning: \(count) skipped; \(first)", row: messageRow, column: 1, style: .warning, maxWidth: area.width - 2)
        }
        FooterView.render(state, data: data, in: Rect(left: 0, top: area.height - 1, width: area.width, height: 1), into: &screen)

        if state.showsHelp { HelpView.render(state, data: data, in: body, context: context, into: &screen) }
        if let dialog = state.dialog { DialogView.render(dialog, data: data, readOnly: state.readOnly, in: body, context: context, into: &screen) }
        if context.glyphs.isASCII { screen.downgradeToASCII() }
    }

    /// Where the dashboard's chart goes at a terminal size, so the session can ask the
    /// store for exactly as many time slots as there are columns.
    public static func chartSlots(width: Int, height: Int) -> Int {
        ChartView.slots(for: DashboardLayout(Rect(left: 0, top: 1, width: width, height: height - 3)).chart)
    }

    static func renderDashboard(_ data: ConsoleData, readOnly: Bool, in body: Rect, context: RenderContext, into screen: inout Screen) {
        let guardLines = JobView.lines(data, readOnly: readOnly) + GuardView.lines(data, readOnly: readOnly, glyphs: context.glyphs, width: body.width - 2)
        let nextLines = NextView.lines(data, width: body.width - 11, glyphs: context.glyphs)
        let layout = DashboardLayout(body, nextRows: nextLines.count, guardRows: guardLines.count)
        PipelineView.render(data, in: layout.pipeline, context: context, into: &screen)
        ChartView.render(data, in: layout.chart, context: context, into: &screen)
        ProgressView.renderRollout(data, in: layout.rollout, context: context, into: &screen)
        ProgressView.renderProgress(data, in: layout.progress, into: &screen)
        SafetyView.render(data, in: layout.safety, into: &screen)
        NextView.render(data, lines: nextLines, in: layout.next, context: context, into: &screen)
        GuardView.render(guardLines, in: layout.guardRows, into: &screen)
        AuditView.renderRecent(data, in: layout.recent, context: context, into: &screen)
    }
}

/// The dashboard's regions: fixed rows at 80x24, the chart and the audit list growing with the terminal.
/// The next phase's blocking gates and the guard's rows come out of the audit list, which keeps
/// at least its title and one event. A fired guard's rows go before all but the first gate.
struct DashboardLayout {
    let pipeline: Rect
    let chart: Rect
    let rollout: Rect
    let progress: Rect
    let safety: Rect
    let next: Rect
    let guardRows: Rect
    let recent: Rect

    init(_ body: Rect, nextRows: Int = 1, guardRows wanted: Int = 0) {
        let inner = Rect(left: body.left + 1, top: body.top, width: body.width - 2, height: body.height)
        let topHeight = 11 + max(0, inner.height - 21) / 2
        let (top, rest) = inner.splitTop(topHeight)
        let (left, right) = top.splitLeft(min(32, top.width / 3))
        pipeline = left
        chart = Rect(left: right.left + 1, top: right.top, width: right.width - 1, height: right.height)
        let (rolloutRow, rest1) = rest.splitTop(1)
        let (progressRow, rest2) = rest1.splitTop(1)
        let (safetyRow, rest3) = rest2.splitTop(1)
        // The audit list keeps two rows; a fired guard (it holds everything) comes before the
        // gates beyond the first one, which say "+N more" when they do not fit.
        let room = max(0, rest3.height - 2)
        let guardHeight = min(wanted, max(0, room - 1 - min(1, nextRows)))
        let nextHeight = min(1 + nextRows, max(1, room - guardHeight))
        let (nextArea, rest4) = rest3.splitTop(nextHeight)
        rollout = rolloutRow
        progress = progressRow
        safety = safetyRow
        next = nextArea
        (guardRows, recent) = rest4.splitTop(guardHeight)
    }
}
