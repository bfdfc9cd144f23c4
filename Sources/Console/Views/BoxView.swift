/// A framed, cleared rectangle for overlays and dialogs.
enum BoxView {
    static func render(_ rect: Rect, title: String, context: RenderContext, style: Style = .plain, into screen: inout Screen) {
        let g = context.glyphs
        screen.fill(rect)
        for x in rect.left..<rect.right {
            screen[rect.top, x] = Cell(g.horizontal, style)
            screen[rect.bottom - 1, x] = Cell(g.horizontal, style)
        }
        for y in rect.top..<rect.bottom {
            screen[y, rect.left] = Cell(g.vertical, style)
            screen[y, rect.right - 1] = Cell(g.vertical, style)
        }
        screen[rect.top, rect.left] = Cell(g.corners.topLeft, style)
        screen[rect.top, rect.right - 1] = Cell(g.corners.topRight, style)
        screen[rect.bottom - 1, rect.left] = Cell(g.corners.bottomLeft, style)
        screen[rect.bottom - 1, rect.right - 1] = Cell(g.corners.bottomRight, style)
        screen.put(" \(title) ", row: rect.top, column: rect.left + 2, style: Style(style.color, bold: true), maxWidth: rect.width - 4)
    }

    /// A rectangle of `width` x `height` centred in `area`.
    static func centred(width: Int, height: Int, in area: Rect) -> Rect {
        let w = min(width, area.width), h = min(height, area.height)
        return Rect(left: area.left + (area.width - w) / 2, top: area.top + (area.height - h) / 2, width: w, height: h)
    }
}

/// Greedy word wrap to `width` columns.
func wrap(_ text: String, width: Int) -> [String] {
    guard width > 0 else { return [] }
    var lines: [String] = []
    for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
        var line = ""
        for word in paragraph.split(separator: " ") {
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = String(word)
            }
            while line.count > width {
                lines.append(String(line.prefix(width)))
                line = String(line.dropFirst(width))
            }
        }
        lines.append(line)
    }
    return lines
}
