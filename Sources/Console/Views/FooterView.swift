/// The bottom row: the keys of the current view, from the one binding table.
enum FooterView {
    static func render(_ state: ConsoleState, in rect: Rect, into screen: inout Screen) {
        let y = rect.top
        screen.fill(Rect(left: rect.left, top: y, width: rect.width, height: 1), style: .inverse)
        var x = rect.left + 1
        let items: [(String, String)]
        if case .clearGuard(_, _, chosen: false) = state.dialog?.kind {
            items = [("↑↓ 1-9", "choose"), ("Enter", "confirm"), ("Esc", "cancel")]
        } else if state.dialog != nil {
            items = [("Enter", "confirm"), ("Esc", "cancel")]
        } else if state.showsHelp {
            items = [("Esc", "close help")]
        } else if state.view != .dashboard {
            items = [("↑↓ PgUp PgDn", "scroll"), ("Esc", "dashboard")]
                + KeyBinding.all.filter { !$0.changes && $0.footer != nil && $0.action != .cycleWindow }.map { ($0.label, $0.footer!) }
        } else {
            items = KeyBinding.all.filter { $0.footer != nil && !(state.readOnly && $0.changes) }.map { ($0.label, $0.footer!) }
        }
        for (key, label) in items {
            guard x + key.count + label.count + 1 < rect.right else { break }
            x = screen.put(key, row: y, column: x, style: Style(bold: true, reverse: true))
            x = screen.put(" " + label + "  ", row: y, column: x, style: .inverse)
        }
        if state.readOnly {
            screen.put("READ-ONLY", row: y, column: rect.right - 10, style: Style(.yellow, bold: true, reverse: true))
        }
    }
}
