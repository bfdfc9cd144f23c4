import Foundation
import MigrationCore

/// A dialog: what will change, the reason being typed (``FieldView``), and any refusal, in a box.
enum DialogView {
    static func render(_ dialog: Dialog, data: ConsoleData?, readOnly: Bool = false, in area: Rect, context: RenderContext,
                       into screen: inout Screen) {
        let width = min(72, area.width - 2)
        let inner = width - 4
        var lines: [(String, Style)] = []
        var style: Style = .plain
        // The row of the text field among `lines`, drawn by FieldView once the box is placed.
        var fieldLine: Int?
        func field() {
            fieldLine = lines.count
            lines.append(("", .plain))
        }
        switch dialog.kind {
        case .refusal(let sentence, let detail):
            style = Style(.red)
            lines += wrap(sentence.terminalSafe, width: inner).map { ($0, .plain) }
            if !detail.isEmpty {
                lines.append(("", .plain))
                lines += detail.flatMap { wrap($0.terminalSafe, width: inner) }.map { ($0, Style(.yellow)) }
            }
            lines.append(("", .plain))
            lines.append(("Nothing was changed. Enter or Esc closes.", .dim))
        case .advance(let report, let preview, let version, let confirmed):
            guard let data else { break }
            let g = context.glyphs
            if data.state.version != version {
                lines += staleLines(data, version: version, inner: inner, glyphs: g)
                break
            }
            lines.append(("phase    \(data.state.phase.terminalSafe) \(g.arrow) \(preview.phase.terminalSafe) at \(preview.rollout)", .bold))
            lines.append(("version  \(version) \(g.arrow) \(version + 1)", .dim))
            lines.append(("Gates of \(report.target.terminalSafe):", .bold))
            for result in GateLines.ordered(report.results) {
                // The figure is never cut: the line wraps, and a soak counts down live.
                let text = GateLines.line(result, now: data.now, width: 10_000, glyphs: g).map(\.0).joined()
                lines += wrap(text, width: inner).map { ($0, result.status == .pass ? .good : .danger) }
                if result.status != .pass {
                    lines += wrap("  \(result.sentence.terminalSafe)", width: inner).map { ($0, .dim) }
                }
            }
            if report.results.isEmpty { lines.append(("(none)", .dim)) }
            if !report.allPass, dialog.overriding == nil {
                style = Style(.red)
                lines.append(("", .plain))
                lines += RefusalAdvice.gateAdvice(report, readOnly: readOnly).flatMap { wrap($0, width: inner) }.map { ($0, .warning) }
                lines.append(("Enter or Esc closes.", .dim))
                break
            }
            if let overriding = dialog.overriding {
                style = Style(.red)
                lines.append(("", .plain))
                lines += wrap(overriding.terminalSafe + " The reason you type is recorded with the override.", width: inner).map { ($0, .danger) }
            }
            if let current = data.phase, let target = data.plan.phase(report.target),
               let warning = PointOfNoReturn.warning(entering: target, from: current, in: data.plan) {
                style = Style(.red)
                lines.append(("", .plain))
                lines += wrap(warning.terminalSafe, width: inner).map { ($0, .danger) }
            }
            lines.append(("", .plain))
            if report.irreversible, !confirmed {
                lines.append(("Type \(report.target.terminalSafe) to confirm:", .plain))
            } else {
                lines.append(("Reason (for the audit log):", .plain))
            }
            field()
        case .clearGuard(let firings, let selected, let chosen):
            lines += clearGuardLines(firings, selected: selected, chosen: chosen, data: data, inner: inner, glyphs: context.glyphs)
            if chosen { field() }
        case .jobRatePrompt(let job):
            let control = data?.jobs.first { $0.job == job }?.control ?? .standard
            lines.append(("the \(job.rawValue) is \(control.rate == 0 ? "not rate-limited" : "limited to \(control.rate) rows a second")", .dim))
            lines.append(("Rows a second (0 lifts the limit):", .plain))
            field()
        case .rolloutPrompt:
            let current = data.map { "\($0.state.phase.terminalSafe) is at \($0.state.rollout)" } ?? ""
            lines.append((current, .dim))
            lines.append(("New rollout in percent (0–100, two decimals):", .plain))
            field()
        case .change(_, let preview, let version):
            guard let data else { break }
            if data.state.version != version {
                lines += staleLines(data, version: version, inner: inner, glyphs: context.glyphs)
                break
            }
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
                lines += wrap("'\(target.id.terminalSafe)' is irreversible: once back in it at 100%, rolling back further is refused.", width: inner)
                    .map { ($0, .danger) }
            }
            if let overriding = dialog.overriding {
                style = Style(.red)
                lines.append(("", .plain))
                lines += wrap(overriding.terminalSafe, width: inner).map { ($0, .danger) }
                lines += wrap("Confirming with a reason overrides this (audited). Plan to purge or re-copy those keys first.", width: inner)
                    .map { ($0, .warning) }
            }
            lines.append(("", .plain))
            lines.append((dialog.offersPreviousReason ? "Reason (for the audit log), your previous one filled in:" : "Reason (for the audit log):", .plain))
            field()
            if dialog.input.isSelected {
                lines.append(("Enter reuses it · typing replaces it · ← or Home edits it", .dim))
            }
        case .confirmQuit(let question):
            lines += wrap(question.terminalSafe, width: inner).map { ($0, .plain) }
            lines.append(("", .plain))
            lines.append(("y stops it and quits · any other key keeps it running", .bold))
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
        if let fieldLine, fieldLine < box.height - 4 {
            FieldView.render(dialog.input, row: box.top + 2 + fieldLine, column: box.left + 2, width: inner, glyphs: context.glyphs,
                             into: &screen)
        }
    }

    /// A change or advance dialog whose state moved on: the state as it is now, and that the
    /// change worked out for the old one will not be made (Enter refuses it in the same words).
    static func staleLines(_ data: ConsoleData, version: Int64, inner: Int, glyphs: Glyphs) -> [(String, Style)] {
        let now = data.state
        var lines = wrap("The state changed since this dialog opened (version \(version) \(glyphs.arrow) \(now.version)).", width: inner)
            .map { ($0, Style.warning) }
        lines.append(("now      \(now.phase.terminalSafe) at \(now.rollout) (version \(now.version))", .bold))
        lines.append(("         changed by \(Format.clip(now.changedBy, 24)) at \(Format.moment(now.changedAt, now: data.now))", .plain))
        lines.append(("", .plain))
        lines += wrap("This dialog's change was worked out for version \(version); it will not be made. Esc closes it; ask again to see the change from the state as it is now.", width: inner)
            .map { ($0, .plain) }
        return lines
    }

    /// The clear-guard dialog: a list to choose from, or the chosen firing with its figures and the reason prompt.
    static func clearGuardLines(_ firings: [GuardFiring], selected: Int, chosen: Bool, data: ConsoleData?, inner: Int,
                                glyphs: Glyphs) -> [(String, Style)] {
        var lines: [(String, Style)] = []
        let now = data?.now ?? Date()
        guard chosen else {
            lines.append(("\(firings.count) guards fired. Which one? Arrows or its number, Enter chooses:", .plain))
            lines.append(("", .plain))
            let first = max(0, min(selected - 4, firings.count - 9))
            for (i, firing) in firings.enumerated().dropFirst(first).prefix(9) {
                let row = GuardView.fired(firing, now: now, offersKey: false, glyphs: glyphs, width: inner - 4).map(\.0).joined()
                lines.append(("\(i == selected ? ">" : " ") \(i + 1) " + row, i == selected ? Style(.cyan, bold: true) : .plain))
            }
            if firings.count > 9 { lines.append(("(\(firings.count) in all; arrows scroll)", .dim)) }
            return lines
        }
        guard firings.indices.contains(selected) else { return lines }
        let firing = firings[selected]
        lines.append(("guard    \(Format.clip(firing.name, 40)) (\(Format.clip(firing.action, 10))) in \(Format.clip(firing.phase, 24))", .bold))
        lines.append(("fired    \(Format.moment(firing.firedAt, now: now)) by \(Format.clip(firing.firedBy, inner - 24))", .plain))
        let figures = "\(Format.clip(firing.observed, inner * 2 - 20)), wanted \(Format.clip(firing.bound, inner / 2))"
        for (i, part) in wrap(figures, width: inner - 9).prefix(3).enumerated() {
            lines.append(((i == 0 ? "saw      " : "         ") + part, .plain))
        }
        lines += wrap(Format.clip(firing.sentence, inner * 2), width: inner).prefix(2).map { ($0, .dim) }
        lines.append(("", .plain))
        let effect = firing.blocks
            ? "Clearing lets the migration move forward again. If the condition still fails, the guard fires again at its next look."
            : "Clearing lets this notify guard fire again when its condition next fails."
        lines += wrap(effect, width: inner).map { ($0, .warning) }
        if let data, !data.guardFirings.contains(where: { $0.id == firing.id }) {
            lines += wrap("This firing is not open any more (cleared, or the guard fired again). Esc and look again.", width: inner)
                .map { ($0, .warning) }
        }
        lines.append(("", .plain))
        lines.append(("Reason (for the audit log):", .plain))
        return lines
    }
}
