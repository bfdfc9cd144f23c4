/// The `?` overlay: every key, from the binding table.
enum HelpView {
    static func render(_ state: ConsoleState, in area: Rect, context: RenderContext, into screen: inout Screen) {
        let rows = KeyBinding.all
        let box = BoxView.centred(width: 72, height: rows.count + 5, in: area)
        BoxView.render(box, title: "Keys", context: context, into: &screen)
        for (i, binding) in rows.enumerated() {
            let disabled = state.readOnly && binding.changes
            let text = binding.label.padding(toLength: 6, withPad: " ", startingAt: 0)
                + binding.help + (disabled ? " (read-only)" : "")
            screen.put(text, row: box.top + 1 + i, column: box.left + 2, style: disabled ? .dim : .plain, maxWidth: box.width - 4)
        }
        screen.put("In dialogs: type, Enter confirms, Esc cancels. Esc or ? closes this.", row: box.bottom - 2, column: box.left + 2,
                   style: .dim, maxWidth: box.width - 4)
    }
}
