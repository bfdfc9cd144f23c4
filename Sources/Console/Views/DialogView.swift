import MigrationCore

/// A dialog: what will change, the reason being typed, and any refusal, in a box.
enum DialogView {
    static func render(_ dialog: Dialog, data: ConsoleData?, in area: Rect, context: RenderContext, into screen: inout Screen) {
        let width = min(72, area.width - 2)
        let inner = width - 4
        var lines: [(String, Style)] = []
        var style: Style = .plain
        switch dialog.kind {
        case .refusal(let sentence):
            style = Style(.red)
            lines += wrap(sentence, width: inner).map { ($0, .plain) }
            lines.append(("", .plain))
            lines.append(("Nothing was changed. Enter or Esc closes.", .dim))
        case .rolloutPrompt:
            let current = data.map { "\($0.state.phase.terminalSafe) is at \($0.state.rollout)" } ?? ""
            lines.append((current, .dim))
            lines.append(("New rollout in percent (0–100, two decimals):", .plain))
            lines.append(("> \(dialog.input.terminalSafe)_", .bold))
        case .change(_, let preview, let version):
            guard let data else { break }
            let before = data.state
            let arrow = context.glyphs.arrow
            if before.phase != preview.phase {
                lines.append(("phase    \(before.phase.terminalSafe) \(arrow) \(preview.phase.terminalSafe)", .bold))
            }
            lines.append(("rollout  \(before.phase == preview.phase ? "" : "\(preview.phase.terminalSafe) ")\(before.phase == preview.phase ? "\(before.rollout) \(arrow) " : "")\(preview.rollout)", .bold))
            lines.append(("version  \(version) \(arrow) \(version + 1)", .dim))
            if let target = data.plan.phase(preview.phase), target.irreversible, before.phase != preview.phase {
                style = Style(.red)
                lines.append(("", .plain))
                lines += wrap("IRREVERSIBLE: after this the old store misses writes; there is no rolling back.", width: inner).map { ($0, .danger) }
            }
            if data.state.version != version {
                lines.append(("", .plain))
                lines += wrap("The state changed since this dialog opened (version \(version) → \(data.state.version)). Esc and look again.", width: inner).map { ($0, .warning) }
            }
            lines.append(("", .plain))
            lines.append(("Reason (for the audit log):", .plain))
            lines.append(("> \(dialog.input.terminalSafe)_", .bold))
        }
        if let error = dialog.error {
            lines.append(("", .plain))
            lines += wrap(error.terminalSafe, width: inner).map { ($0, .danger) }
        }
        let box = BoxView.centred(width: width, height: lines.count + 4, in: area)
        BoxView.render(box, title: dialog.title, context: context, style: style, into: &screen)
        for (i, line) in lines.prefix(box.height - 4).enumerated() {
            screen.put(line.0, row: box.top + 2 + i, column: box.left + 2, style: line.1, maxWidth: inner)
        }
    }
}
