import MigrationCore
import Runbook

/// A phase's runbook rendered from its Markdown: headings, lists, emphasis, code, quotes and
/// checklist items with their ticks, a cursor, and scrolling that follows it. The current
/// phase's runbook by default; the next phase's, read-only, when the operator switches to it.
///
/// A gate marker (`` `gate: miss` ``) is drawn as the named gate's live figure from the next
/// phase's gate report (`✗ miss 0.21 (210/1000) want ≤ 0.05`), so an item is never ticked
/// blind; a ticked item whose gate does not pass is drawn as a warning.
enum RunbookView {
    /// One laid-out row: styled segments, the block it belongs to, and whether it is the
    /// block's first row (the one the cursor marks).
    struct Row {
        var segments: [(String, Style)]
        var block: Int
        var lead: Bool
    }

    static func render(_ data: ConsoleData, state: ConsoleState, in rect: Rect, context: RenderContext, into screen: inout Screen) {
        guard rect.height > 2 else { return }
        let switchKey = KeyBinding.label(for: .runbookSwitch)
        guard let page = data.runbookPage(next: state.runbookShowsNext) else {
            screen.put("Runbook · \(data.state.phase.terminalSafe) is the last phase: there is no next runbook",
                       row: rect.top, column: rect.left, style: .bold, maxWidth: rect.width)
            return
        }
        let hint: String
        if page.isNext {
            hint = "\(switchKey): back to \(data.state.phase.terminalSafe)"
            screen.put("Runbook · \(page.phase.terminalSafe) (NEXT phase, read-only)", row: rect.top, column: rect.left,
                       style: .warning, maxWidth: rect.width - DisplayWidth.of(hint) - 2)
        } else {
            let ticked = page.checklist.filter(\.isTicked).count
            hint = data.nextPhase.map { "\(switchKey): next phase, \($0.id.terminalSafe)" } ?? "the last phase"
            screen.put("Runbook · \(page.phase.terminalSafe) · checklist \(ticked)/\(page.checklist.count) ticked",
                       row: rect.top, column: rect.left, style: .bold, maxWidth: rect.width - DisplayWidth.of(hint) - 2)
        }
        screen.put(hint, row: rect.top, column: rect.right - DisplayWidth.of(hint), style: .dim)
        guard let document = page.document, !document.blocks.isEmpty else {
            screen.put("this phase has no runbook in the plan", row: rect.top + 2, column: rect.left, style: .dim)
            return
        }
        let rows = layout(page, width: rect.width - 2, glyphs: context.glyphs)
        let height = rect.height - 2
        let cursorRow = rows.firstIndex { $0.block == state.runbookCursor && $0.lead } ?? 0
        let top = max(0, min(cursorRow - height / 3, rows.count - height))
        for (i, row) in rows.dropFirst(top).prefix(height).enumerated() {
            let y = rect.top + 2 + i
            if row.lead, row.block == state.runbookCursor { screen.put(">", row: y, column: rect.left, style: .accent) }
            var x = rect.left + 2
            for (text, style) in row.segments {
                x = screen.put(text.terminalSafe, row: y, column: x, style: style, maxWidth: rect.right - x)
            }
        }
    }

    /// Lays the page's blocks out as rows `width` columns wide.
    static func layout(_ page: RunbookPage, width: Int, glyphs: Glyphs) -> [Row] {
        var rows: [Row] = []
        for (index, block) in (page.document?.blocks ?? []).enumerated() {
            /// Rows of `pieces` after `prefix` (on every row when `repeats`, else blanks under it).
            func add(_ pieces: [(String, Style)], prefix: String, indent: Int, repeats: Bool = false, prefixStyle: Style = .plain) {
                let room = max(10, width - indent - DisplayWidth.of(prefix))
                for (n, line) in WordWrap.lines(pieces, width: room).enumerated() {
                    let lead = String(repeating: " ", count: indent)
                        + (n == 0 || repeats ? prefix : String(repeating: " ", count: DisplayWidth.of(prefix)))
                    rows.append(Row(segments: [(lead, prefixStyle)] + line, block: index, lead: n == 0))
                }
            }
            func styled(_ spans: [RunbookDocument.Span], base: Style = .plain) -> [(String, Style)] {
                pieces(spans, base: base, page: page, glyphs: glyphs)
            }
            switch block {
            case .heading(let level, let spans):
                if !rows.isEmpty { rows.append(Row(segments: [], block: index, lead: false)) }
                add(styled(spans, base: Style(level == 1 ? .cyan : .standard, bold: true, underline: level == 1)),
                    prefix: level == 1 ? "" : String(repeating: "#", count: level) + " ", indent: 0)
            case .paragraph(let spans, let depth):
                add(styled(spans), prefix: "", indent: depth * 2)
            case .item(let marker, let spans, let depth):
                add(styled(spans), prefix: "\(marker == "•" ? String(glyphs.isASCII ? "*" : "•") : marker) ", indent: depth * 2)
            case .task(let number, let spans, let depth):
                let item = page.checklist.first { $0.number == number }
                let ticked = item?.isTicked == true
                let worrying = page.isNext ? false : spans.contains { $0.kind == .gate && page.tie(for: $0.text).isWorrying }
                let base: Style = ticked ? (worrying ? .warning : .good) : .plain
                let who = item?.tickedBy.map { [RunbookDocument.Span("  (\($0))")] } ?? []
                add(styled(spans + who, base: base), prefix: ticked ? "[x] " : "[ ] ", indent: depth * 2, prefixStyle: base)
            case .code(let lines):
                for (n, line) in lines.enumerated() { rows.append(Row(segments: [("    " + line, .accent)], block: index, lead: n == 0)) }
            case .quote(let spans):
                add(styled(spans, base: Style(.yellow)), prefix: "\(glyphs.vertical) ", indent: 0, repeats: true, prefixStyle: Style(.yellow))
            case .rule:
                rows.append(Row(segments: [(String(repeating: glyphs.horizontal, count: max(0, min(width, 40))), .dim)], block: index, lead: true))
            }
        }
        return rows
    }

    /// The spans as styled text; each gate marker becomes its gate's figure.
    static func pieces(_ spans: [RunbookDocument.Span], base: Style, page: RunbookPage, glyphs: Glyphs) -> [(String, Style)] {
        spans.map { span in
            var style = base
            switch span.kind {
            case .strong: style.bold = true
            case .emphasis, .link: style.underline = true
            case .code: style.color = .cyan
            case .text: break
            case .gate: return figure(span.text, page: page, glyphs: glyphs)
            }
            return (span.text, style)
        }
    }

    /// A gate marker as shown: the gate's figure in the style of its outcome.
    static func figure(_ name: String, page: RunbookPage, glyphs: Glyphs) -> (String, Style) {
        let (text, tone) = page.figure(name, glyphs: glyphs)
        switch tone {
        case .pass?: return (text, .good)
        case .fail?: return (text, .danger)
        case .unknown?: return (text, .warning)
        case nil: return (text, .dim)
        }
    }
}
