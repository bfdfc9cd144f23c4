/// One character cell of a ``Screen``.
///
/// A character two columns wide sits in one cell and makes the cell to its right a
/// *continuation*, which holds nothing of its own and is never written to the terminal.
public struct Cell: Sendable, Equatable {
    public var character: Character
    public var style: Style
    /// Whether this cell is the right half of the wide character in the cell to its left.
    public var isContinuation: Bool

    public init(_ character: Character = " ", _ style: Style = .plain) {
        self.character = character
        self.style = style
        isContinuation = false
    }

    /// The right half of a wide character.
    static func continuation(_ style: Style) -> Cell {
        var cell = Cell(" ", style)
        cell.isContinuation = true
        return cell
    }
}

/// An in-memory grid of cells that views draw into.
///
/// Views never talk to a terminal: they fill a screen, tests read it back as text,
/// and the terminal layer copies it to the real terminal, touching only changed cells.
/// Writes outside the grid are clipped, so a view cannot corrupt a neighbour or crash
/// on a tiny terminal.
///
/// ```swift
/// var screen = Screen(width: 20, height: 2)
/// screen.put("hello", row: 0, column: 1, style: .bold)
/// screen.lines[0]   // " hello              "
/// ```
public struct Screen: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, filler: Character = " ") {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(filler), count: self.width * self.height)
    }

    /// A cell. Overwriting either half of a wide character blanks its other half, so no
    /// half character is ever left behind.
    public subscript(row: Int, column: Int) -> Cell {
        get { cells[row * width + column] }
        set {
            guard (0..<height).contains(row), (0..<width).contains(column) else { return }
            let index = row * width + column
            if cells[index].isContinuation, column > 0 { cells[index - 1] = Cell(" ", cells[index - 1].style) }
            if column + 1 < width, cells[index + 1].isContinuation, !newValue.isContinuation {
                cells[index + 1] = Cell(" ", cells[index + 1].style)
            }
            cells[index] = newValue
        }
    }

    /// Writes `text` from (`row`, `column`), clipped to the grid and to `maxWidth` columns,
    /// by display width: a wide character takes two cells, a zero-width one none, and a wide
    /// character with room for only one half left is drawn as a space.
    ///
    /// Whatever the text holds, it goes through the one sanitiser (`String.terminalSafe`):
    /// no control character, escape sequence or bidirectional override reaches the grid.
    /// - Returns: the column after the last character written.
    @discardableResult
    public mutating func put(_ text: String, row: Int, column: Int, style: Style = .plain, maxWidth: Int? = nil) -> Int {
        guard (0..<height).contains(row) else { return column }
        let limit = min(width, column + (maxWidth ?? width))
        var x = column
        for character in text.terminalSafe {
            guard x < limit else { break }
            switch DisplayWidth.of(character) {
            case 0:
                continue
            case 2 where x + 1 < limit:
                if x >= 0 { self[row, x] = Cell(character, style) }
                if x + 1 >= 0 { self[row, x + 1] = .continuation(style) }
                x += 2
            case 2:
                if x >= 0 { self[row, x] = Cell(" ", style) }
                x += 1
            default:
                if x >= 0 { self[row, x] = Cell(character, style) }
                x += 1
            }
        }
        return x
    }

    /// Fills a rectangle with a character.
    public mutating func fill(_ rect: Rect, with character: Character = " ", style: Style = .plain) {
        for row in rect.top..<rect.bottom {
            for column in rect.left..<rect.right { self[row, column] = Cell(character, style) }
        }
    }

    /// Replaces every non-ASCII character by an ASCII look-alike (or `?`), for terminals
    /// whose locale cannot show Unicode: text from the database included.
    public mutating func downgradeToASCII() {
        for i in cells.indices {
            if cells[i].isContinuation {
                cells[i] = Cell(" ", cells[i].style)
            } else if !cells[i].character.isASCII {
                cells[i].character = Self.asciiFallback[cells[i].character] ?? "?"
            }
        }
    }

    private static let asciiFallback: [Character: Character] = [
        "·": "-", "→": ">", "←": "<", "…": ".", "–": "-", "—": "-", "↑": "^", "↓": "v", "✓": "+", "✗": "x",
    ]

    /// The whole grid.
    public var bounds: Rect { Rect(left: 0, top: 0, width: width, height: height) }

    /// Each row as plain text, the form tests compare: a wide character appears once, so
    /// every line is `width` columns wide on a terminal.
    public var lines: [String] {
        (0..<height).map { row in
            String(cells[(row * width)..<((row + 1) * width)].filter { !$0.isContinuation }.map(\.character))
        }
    }

    /// The rows with trailing spaces trimmed, joined by newlines.
    public var text: String {
        lines.map { String($0.reversed().drop { $0 == " " }.reversed()) }.joined(separator: "\n")
    }
}

/// A rectangle of cells.
public struct Rect: Sendable, Equatable {
    public var left: Int
    public var top: Int
    public var width: Int
    public var height: Int

    public init(left: Int, top: Int, width: Int, height: Int) {
        self.left = left
        self.top = top
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var right: Int { left + width }
    public var bottom: Int { top + height }
    public var isEmpty: Bool { width == 0 || height == 0 }

    /// The top `rows` rows, and what remains below them.
    public func splitTop(_ rows: Int) -> (Rect, Rect) {
        let taken = min(max(0, rows), height)
        return (Rect(left: left, top: top, width: width, height: taken),
                Rect(left: left, top: top + taken, width: width, height: height - taken))
    }

    /// The left `columns` columns, and what remains right of them.
    public func splitLeft(_ columns: Int) -> (Rect, Rect) {
        let taken = min(max(0, columns), width)
        return (Rect(left: left, top: top, width: taken, height: height),
                Rect(left: left + taken, top: top, width: width - taken, height: height))
    }

    /// The rectangle shrunk by `by` cells on every side.
    public func inset(_ by: Int) -> Rect {
        Rect(left: left + by, top: top + by, width: width - 2 * by, height: height - 2 * by)
    }
}
