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
    ///
    /// A wide character and its continuation cell change together: a run never starts or
    /// ends in the middle of one, and its text holds each wide character once.
    public func changes(since previous: Screen?) -> [ScreenRun] {
        let before = previous.flatMap { $0.width == width && $0.height == height ? $0 : nil }
        var runs: [ScreenRun] = []
        for row in 0..<height {
            var column = 0
            while column < width {
                let span = glyphWidth(row: row, column: column)
                guard changed(row: row, column: column, span: span, since: before) else {
                    column += span
                    continue
                }
                let style = self[row, column].style
                var text = ""
                var end = column
                while end < width {
                    let next = glyphWidth(row: row, column: end)
                    guard self[row, end].style == style, changed(row: row, column: end, span: next, since: before) else { break }
                    if row == height - 1, end + next == width { break }
                    text.append(self[row, end].isContinuation ? " " : self[row, end].character)
                    end += next
                }
                if !text.isEmpty { runs.append(ScreenRun(row: row, column: column, text: text, style: style)) }
                column = max(end, column + span)
            }
        }
        return runs
    }

    /// 2 for a wide character followed by its continuation, else 1.
    private func glyphWidth(row: Int, column: Int) -> Int {
        column + 1 < width && self[row, column + 1].isContinuation && !self[row, column].isContinuation ? 2 : 1
    }

    private func changed(row: Int, column: Int, span: Int, since before: Screen?) -> Bool {
        guard let before else { return true }
        return (column..<(column + span)).contains { before[row, $0] != self[row, $0] }
            || (column + span < width && before[row, column + span].isContinuation && !self[row, column + span].isContinuation)
    }
}
