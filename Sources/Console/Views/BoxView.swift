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

/// Greedy word wrap to `width` terminal columns (wide characters count two).
func wrap(_ text: String, width: Int) -> [String] {
    guard width > 0 else { return [] }
    var lines: [String] = []
    for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
        var line = ""
        for word in paragraph.split(separator: " ") {
            if line.isEmpty {
                line = String(word)
            } else if DisplayWidth.of(line) + 1 + DisplayWidth.of(word) <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = String(word)
            }
            while DisplayWidth.of(line) > width {
                let head = line.prefix(columns: max(width, 2))
                lines.append(String(head))
                line = String(line.dropFirst(head.count))
            }
        }
        lines.append(line)
    }
    return lines
}

extension String {
    /// The longest prefix that fits in `columns` terminal columns (at least one character).
    func prefix(columns: Int) -> Substring {
        var used = 0
        var end = startIndex
        for character in self {
            let width = DisplayWidth.of(character)
            guard used + width <= columns || end == startIndex else { break }
            used += width
            end = index(after: end)
        }
        return self[..<end]
    }
}
