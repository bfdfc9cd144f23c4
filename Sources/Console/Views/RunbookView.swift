import MigrationCore
import Runbook

/// The current phase's runbook rendered from its Markdown: headings, lists, emphasis,
/// code and checklist items with their ticks, a cursor, and scrolling that follows it.
enum RunbookView {
    /// One laid-out row: styled segments, and the block it belongs to.
    struct Row {
        var segments: [(String, Style)]
        var block: Int
    }

    static func render(_ data: ConsoleData, cursor: Int, in rect: Rect, context: RenderContext, into screen: inout Screen) {
        guard rect.height > 2 else { return }
        let ticked = data.checklist.filter(\.isTicked).count
        screen.put("Runbook · \(data.state.phase.terminalSafe) · checklist \(ticked)/\(data.checklist.count) ticked",
                   row: rect.top, column: rect.left, style: .bold, maxWidth: rect.width)
        guard let document = data.runbook, !document.blocks.isEmpty else {
            screen.put("this phase has no runbook in the plan", row: rect.top + 2, column: rect.left, style: .dim)
            return
        }
        let rows = layout(document, checklist: data.checklist, width: rect.width - 2, glyphs: context.glyphs)
        let height = rect.height - 2
        let cursorRow = rows.firstIndex { $0.block == cursor } ?? 0
        let top = max(0, min(cursorRow - height / 3, rows.count - height))
        for (i, row) in rows.dropFirst(top).prefix(height).enumerated() {
            let y = rect.top + 2 + i
            if row.block == cursor { screen.put(">", row: y, column: rect.left, style: .accent) }
            var x = rect.left + 2
            for (text, style) in row.segments {
                x = screen.put(text.terminalSafe, row: y, column: x, style: style, maxWidth: rect.right - x)
            }
        }
        screen.put("[ ] or Tab: sections · Space: tick", row: rect.top, column: rect.right - 34, style: .dim)
    }

    /// Lays the blocks out as rows `width` columns wide.
    static func layout(_ document: RunbookDocument, checklist: [ChecklistItem], width: Int, glyphs: Glyphs) -> [Row] {
        var rows: [Row] = []
        for (index, block) in document.blocks.enumerated() {
            func add(_ spans: [RunbookDocument.Span], prefix: String, indent: Int, base: Style = .plain) {
                let lines = wrapSpans(spans, width: max(10, width - indent - prefix.count), base: base)
                for (n, line) in lines.enumerated() {
                    let lead = String(repeating: " ", count: indent) + (n == 0 ? prefix : String(repeating: " ", count: prefix.count))
                    rows.append(Row(segments: [(lead, .plain)] + line, block: index))
                }
            }
            switch block {
            case .heading(let level, let spans):
                if !rows.isEmpty { rows.append(Row(segments: [], block: index)) }
                add(spans, prefix: level == 1 ? "" : String(repeating: "#", count: level) + " ", indent: 0,
                    base: Style(level == 1 ? .cyan : .standard, bold: true, underline: level == 1))
            case .paragraph(let spans, let depth):
                add(spans, prefix: "", indent: depth * 2)
            case .item(let marker, let spans, let depth):
                add(spans, prefix: "\(marker == "•" ? String(glyphs.current == "●" ? "•" : "*") : marker) ", indent: depth * 2)
            case .task(let number, let spans, let depth):
                let item = checklist.first { $0.number == number }
                let box = item?.isTicked == true ? "[x] " : "[ ] "
                let who = item?.tickedBy.map { [RunbookDocument.Span("  (\($0))")] } ?? []
                add(spans + who, prefix: box, indent: depth * 2, base: item?.isTicked == true ? .good : .plain)
            case .code(let lines):
                for line in lines { rows.append(Row(segments: [("    " + line, .accent)], block: index)) }
            case .quote(let spans):
                add(spans, prefix: "\(glyphs.vertical) ", indent: 0, base: Style(.yellow))
            case .rule:
                rows.append(Row(segments: [(String(repeating: glyphs.horizontal, count: max(0, min(width, 40))), .dim)], block: index))
            }
        }
        return rows
    }

    /// Word-wraps styled spans into lines of at most `width` characters.
    static func wrapSpans(_ spans: [RunbookDocument.Span], width: Int, base: Style) -> [[(String, Style)]] {
        var lines: [[(String, Style)]] = [[]]
        var used = 0
        for span in spans {
            var style = base
            switch span.kind {
            case .strong: style.bold = true
            case .emphasis: style.underline = true
            case .code: style.color = .cyan
            case .link: style.underline = true
            case .text: break
            }
            for (i, word) in span.text.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
                let piece = (i > 0 ? " " : "") + word
                if used + DisplayWidth.of(piece) > width, used > 0 {
                    lines.append([])
                    used = 0
                    let trimmed = String(word)
                    lines[lines.count - 1].append((trimmed, style))
                    used = DisplayWidth.of(trimmed)
                } else {
                    lines[lines.count - 1].append((piece, style))
                    used += DisplayWidth.of(piece)
                }
            }
        }
        return lines
    }
}
