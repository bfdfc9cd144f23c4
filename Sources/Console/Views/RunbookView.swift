/// The current phase's runbook, scrolled.
enum RunbookView {
    static func render(_ data: ConsoleData, scroll: Int, in rect: Rect, into screen: inout Screen) {
        guard rect.height > 1 else { return }
        screen.put("Runbook · \(data.state.phase.terminalSafe)", row: rect.top, column: rect.left, style: .bold)
        guard let text = data.runbook else {
            screen.put("this phase has no runbook in the plan", row: rect.top + 2, column: rect.left, style: .dim)
            return
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.dropFirst(scroll).prefix(rect.height - 1).enumerated() {
            let style: Style = line.hasPrefix("#") ? .bold : .plain
            screen.put(String(line).terminalSafe, row: rect.top + 1 + i, column: rect.left, style: style, maxWidth: rect.width)
        }
    }
}
