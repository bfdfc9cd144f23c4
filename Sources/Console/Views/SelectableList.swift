/// The rows of a list view (the audit log, the mismatches) with the selected one highlighted,
/// and the view's status row: the search prompt, the search's place among its matches, or a
/// hint of the keys.
enum SelectableList {
    /// Draws `texts` (one a row, identified by `keys`) from `rect.top`, as many as fit,
    /// scrolled so the selection shows; each row cut with an ellipsis when it is too long.
    /// - Returns: how many rows were drawn.
    @discardableResult
    static func render(_ texts: [String], keys: [String], cursor: LogCursor, in rect: Rect, context: RenderContext,
                       into screen: inout Screen) -> Int {
        guard rect.height > 0, !texts.isEmpty else { return 0 }
        let placed = cursor.resolved(keys: keys, rows: rect.height)
        let shown = texts.indices.dropFirst(placed.top).prefix(rect.height)
        for (i, index) in shown.enumerated() {
            let y = rect.top + i
            let selected = index == placed.selected
            if selected { screen.fill(Rect(left: rect.left, top: y, width: rect.width, height: 1), style: .inverse) }
            screen.put(selected ? ">" : " ", row: y, column: rect.left, style: selected ? .inverse : .plain)
            screen.put(Format.clip(texts[index], rect.width - 2, ellipsis: context.glyphs.ellipsis), row: y, column: rect.left + 2,
                       style: selected ? .inverse : .plain, maxWidth: rect.width - 2)
        }
        return shown.count
    }

    /// The status row: the prompt while a search is typed, else where the search stands, else `hint`.
    static func renderStatus(_ search: LogSearch?, hint: String, in rect: Rect, context: RenderContext, into screen: inout Screen) {
        guard rect.height > 0, rect.width > 4 else { return }
        let y = rect.top
        if let editor = search?.editor {
            let hint = "Enter searches · Esc cancels"
            let width = max(8, rect.width - hint.count - 2)
            FieldView.render(editor, prompt: "/", row: y, column: rect.left, width: width, glyphs: context.glyphs, into: &screen)
            screen.put(hint, row: y, column: rect.left + width + 2, style: .dim)
            return
        }
        if let search, let status = search.status {
            let text = "search \"\(Format.clip(search.query, 30, ellipsis: context.glyphs.ellipsis))\": \(status) · n next · N previous · Esc clears"
            screen.put(text, row: y, column: rect.left, style: search.matches.isEmpty ? .warning : .accent, maxWidth: rect.width)
            return
        }
        screen.put(Format.clip(hint, rect.width, ellipsis: context.glyphs.ellipsis), row: y, column: rect.left, style: .dim)
    }
}
