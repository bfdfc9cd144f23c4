/// A text field on one row: a prompt, the part of the text around the cursor
/// (``LineEditor/visible(width:)``), a mark at an edge past which text is hidden, and the
/// cursor as a reversed cell. The one way the console draws what is being typed, so every
/// field scrolls, clips wide characters and shows its cursor alike.
///
/// ```
/// > …ys migrated, misses below 1% for the last ten minu█
/// ```
enum FieldView {
    /// Draws `field` at (`row`, `column`) in `width` columns, `prompt` first.
    static func render(_ field: LineEditor, prompt: String = "> ", row: Int, column: Int, width: Int, glyphs: Glyphs,
                       style: Style = .bold, into screen: inout Screen) {
        let start = screen.put(prompt, row: row, column: column, style: style, maxWidth: width)
        let room = width - (start - column)
        guard room > 0 else { return }
        let slice = field.visible(width: room)
        // A suggestion (the previous reason) is shown selected: typing replaces it.
        let textStyle = field.isSelected ? Style(.cyan, bold: true, reverse: true) : style
        screen.put(slice.text, row: row, column: start + slice.textColumn, style: textStyle, maxWidth: room - slice.textColumn)
        let mark: (before: String, after: String) = glyphs.isASCII ? ("<", ">") : ("…", "…")
        if slice.hiddenBefore { screen.put(mark.before, row: row, column: start, style: .dim) }
        if slice.hiddenAfter { screen.put(mark.after, row: row, column: start + room - 1, style: .dim) }
        let characters = Array(field.text)
        let under = field.cursor < characters.count ? String(characters[field.cursor]) : " "
        screen.put(under, row: row, column: start + slice.cursorColumn, style: Style(bold: style.bold, reverse: true),
                   maxWidth: slice.cursorWidth)
    }
}
