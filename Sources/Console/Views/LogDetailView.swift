import MigrationCore

/// The selected audit event's every field (``EventDetail``), as plain wrapped text with no
/// frame inside the text area, so a terminal's mouse selection copies it as it reads.
enum LogDetailView {
    static let hint = "plain text, no frame: select it with the mouse to copy it"

    static func render(_ data: ConsoleData, cursor: LogCursor, in rect: Rect, context: RenderContext, into screen: inout Screen) {
        let placed = cursor.resolved(keys: AuditView.keys(data), rows: rect.height - 2)
        guard data.recentEvents.indices.contains(placed.selected) else {
            screen.put("Audit event · none to show: the log is empty", row: rect.top, column: rect.left, style: .bold, maxWidth: rect.width)
            return
        }
        let event = data.recentEvents[placed.selected]
        let ellipsis = context.glyphs.ellipsis
        let title = "Audit event #\(event.id) · \(event.action) · \(placed.selected + 1) of \(data.recentEvents.count), newest first"
        screen.put(Format.clip(title, rect.width, ellipsis: ellipsis), row: rect.top, column: rect.left, style: .bold)
        let detail = EventDetail(event, now: data.now, chainBreak: data.auditChainBreak, glyphs: context.glyphs)
        let rows = lines(detail, width: rect.width)
        let height = rect.height - 2
        let top = min(max(0, cursor.detailTop), max(0, rows.count - height))
        for (i, row) in rows.dropFirst(top).prefix(height).enumerated() {
            screen.put(row.text, row: rect.top + 1 + i, column: rect.left, style: row.style, maxWidth: rect.width)
        }
        let more = rows.count > height ? "lines \(top + 1)-\(min(rows.count, top + height)) of \(rows.count) · " : ""
        let status = Rect(left: rect.left, top: rect.bottom - 1, width: rect.width, height: 1)
        if cursor.search?.isEditing == true || cursor.search?.status != nil {
            SelectableList.renderStatus(cursor.search, hint: "", in: status, context: context, into: &screen)
        } else {
            screen.put(Format.clip(more + hint, rect.width, ellipsis: ellipsis), row: status.top, column: status.left, style: .dim)
        }
    }

    /// The detail's lines wrapped to `width` columns: the label column, then the text, whose
    /// continuation lines start under it. Everything is made terminal-safe before it is measured.
    static func lines(_ detail: EventDetail, width: Int) -> [(text: String, style: Style)] {
        var out: [(String, Style)] = []
        for line in detail.lines {
            let label = line.label.terminalSafe
            let labelWidth = max(EventDetail.labelWidth, DisplayWidth.of(label) + 1)
            let lead = label + String(repeating: " ", count: labelWidth - DisplayWidth.of(label) + line.indent)
            let indent = String(repeating: " ", count: min(width / 2, EventDetail.labelWidth + line.indent))
            let first = DisplayWidth.of(lead) >= width / 2 ? [lead] : []
            let textWidth = max(10, width - (first.isEmpty ? DisplayWidth.of(lead) : indent.count))
            let wrapped = wrap(line.text.terminalSafe, width: textWidth)
            out += first.map { ($0, line.style) }
            for (n, part) in wrapped.enumerated() {
                out.append(((n == 0 && first.isEmpty ? lead : indent) + part, line.style))
            }
        }
        return out
    }
}
