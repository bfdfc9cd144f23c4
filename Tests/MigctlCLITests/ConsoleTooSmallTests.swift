import Foundation
import Testing

extension ConsoleTerminalTests {
    /// Shrinking the terminal below 80x24 leaves nothing of the dashboard behind: the cell that
    /// becomes the bottom-right corner (which the console never writes, since writing it
    /// scrolls some terminals) held a character of the dashboard and kept showing it beside
    /// "terminal too small" (curses kept its old window content across the resize).
    @Test func theTooSmallScreenLeavesNoStrayCharacterInItsCorner() throws {
        let tmux = try startConsole()
        let lines: [[Character]] = try tmux.screen().split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        // A dashboard cell far enough down and right that the too-small sentence cannot reach it.
        var cell: (row: Int, column: Int)?
        for row in (6..<min(22, lines.count)).reversed() where cell == nil {
            if let column = (20..<max(20, min(79, lines[row].count))).last(where: { lines[row][$0] != " " }) { cell = (row, column) }
        }
        let corner = try #require(cell, "the dashboard has text in its lower right part")
        try tmux.resize(width: corner.column + 1, height: corner.row + 1)
        let small = try tmux.waitFor(text: "terminal too small: \(corner.column + 1)x\(corner.row + 1)")
        let shown: String = small.split(separator: "\n", omittingEmptySubsequences: false).prefix(corner.row + 1).joined(separator: " ")
        let trimmed = String(shown.reversed().drop { $0 == " " }.reversed())
        #expect(trimmed.hasSuffix("migctl needs 80x24"), "nothing but the sentence on screen:\n\(small)")
        try tmux.resize(width: 80, height: 24)
        try tmux.waitFor(text: "Phases")
        try tmux.type("q")
        try tmux.waitFor(text: "EXIT=0")
    }
}
