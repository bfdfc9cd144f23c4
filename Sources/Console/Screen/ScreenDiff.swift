/// A run of cells in one row and one style that a terminal must write.
public struct ScreenRun: Sendable, Equatable {
    public var row: Int
    public var column: Int
    public var text: String
    public var style: Style

    public init(row: Int, column: Int, text: String, style: Style) {
        self.row = row
        self.column = column
        self.text = text
        self.style = style
    }
}

extension Screen {
    /// The runs that turn `previous` into this screen: only changed cells, grouped by row and
    /// style. With no previous frame (or a different size), every cell. The bottom-right cell
    /// is never written: on many terminals that scrolls the screen.
    public func changes(since previous: Screen?) -> [ScreenRun] {
        let before = previous.flatMap { $0.width == width && $0.height == height ? $0 : nil }
        var runs: [ScreenRun] = []
        for row in 0..<height {
            var column = 0
            while column < width {
                let cell = self[row, column]
                if let before, before[row, column] == cell {
                    column += 1
                    continue
                }
                var text = String(cell.character)
                var end = column + 1
                while end < width {
                    let next = self[row, end]
                    guard next.style == cell.style, before == nil || before![row, end] != next else { break }
                    text.append(next.character)
                    end += 1
                }
                if row == height - 1, end == width { text = String(text.dropLast()) }
                if !text.isEmpty { runs.append(ScreenRun(row: row, column: column, text: text, style: cell.style)) }
                column = end
            }
        }
        return runs
    }
}
