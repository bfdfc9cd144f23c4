/// The `?` overlay: every key of the current view, from the binding table, with its state:
/// a key that does nothing now is greyed out and says why (``KeyAvailability``, the same
/// function the footer greys it with and the key handler refuses with). On the dashboard,
/// a legend of the marks it draws follows.
///
/// ```
/// n     advance to the next phase
/// b     roll back one phase — past the point of no return        (greyed)
/// Phases  ✓ done  ● current  ○ ahead  ! irreversible  ┅┅ point of no return
/// ```
enum HelpView {
    typealias Line = (text: String, style: Style)

    static func render(_ state: ConsoleState, data: ConsoleData?, in area: Rect, context: RenderContext, into screen: inout Screen) {
        let width = min(78, area.width)
        let inner = width - 4
        var rows = KeyBinding.bindings(in: state.view)
        let legend = state.view == .dashboard ? self.legend(context.glyphs) : []
        let hints: [Line] = [("In dialogs: type, Enter confirms, Esc cancels. Esc or ? closes this.", .dim),
                             ("Editing: ←→ Home End, ^A ^E start/end, ^U ^K ^W delete, Backspace Del", .dim)]
        let fits = max(1, area.height - 2 - legend.count - hints.count)
        // Too tall for the terminal: the keys of every view that act now go on one line.
        var also: [Line] = []
        if rows.count > fits {
            let folded = rows.filter { $0.scope == .any && KeyAvailability.of($0.action, state: state, data: data).isAvailable }
            rows.removeAll { row in folded.contains { $0.action == row.action } }
            also = [("also  " + folded.map { "\($0.label) \($0.footer ?? $0.help)" }.joined(separator: " · "), .plain)]
        }
        let labelWidth = (rows.map { DisplayWidth.of($0.label) }.max() ?? 1) + 2
        var lines = rows.map { line($0, state: state, data: data, labelWidth: labelWidth, width: inner) } + also
        if lines.count > fits {
            let hidden = lines.count - fits + 1
            lines = Array(lines.prefix(fits - 1)) + [("… \(hidden) more: a taller terminal shows them", .dim)]
        }
        lines += legend + hints

        let box = BoxView.centred(width: width, height: lines.count + 2, in: area)
        let title = state.view == .dashboard ? "Keys · greyed out: not now, and why" : "Keys of the \(name(state.view)) · greyed out: not now, and why"
        BoxView.render(box, title: title, context: context, into: &screen)
        for (i, line) in lines.enumerated() where box.top + 1 + i < box.bottom - 1 {
            screen.put(line.text, row: box.top + 1 + i, column: box.left + 2, style: line.style, maxWidth: inner)
        }
    }

    /// `b     roll back one phase — past the point of no return`: the help sentence, cut
    /// before the reason is, and the whole row dim when the key does nothing now.
    static func line(_ binding: KeyBinding, state: ConsoleState, data: ConsoleData?, labelWidth: Int, width: Int) -> Line {
        let label = binding.label + String(repeating: " ", count: max(1, labelWidth - DisplayWidth.of(binding.label)))
        guard let reason = KeyAvailability.of(binding.action, state: state, data: data).reason else {
            return (label + binding.help, .plain)
        }
        let tail = " — " + reason
        let room = max(8, width - DisplayWidth.of(label) - DisplayWidth.of(tail))
        return (label + Format.clip(binding.help, room) + tail, .dim)
    }

    /// What the dashboard's marks mean: the phases' column and the guard's rows.
    static func legend(_ g: Glyphs) -> [Line] {
        let pointOfNoReturn = String(repeating: g.pointOfNoReturn, count: 2)
        return [
            ("Phases  \(g.done) done  \(g.current) current  \(g.ahead) ahead  ! irreversible  \(pointOfNoReturn) point of no return", .plain),
            ("Guard   \(g.fail) fired, holds changes until cleared  ! a warning, only notifies", .plain),
        ]
    }

    static func name(_ view: ConsoleState.View) -> String {
        switch view {
        case .dashboard: "dashboard"
        case .log: "log"
        case .runbook: "runbook"
        case .mismatches: "mismatch list"
        }
    }
}
