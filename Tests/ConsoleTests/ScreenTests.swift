import Console
import Testing

struct ScreenTests {
    @Test func putClipsToTheGridAndReturnsTheNextColumn() {
        var screen = Screen(width: 6, height: 2, filler: ".")
        #expect(screen.put("abcdefgh", row: 0, column: 2) == 6)
        screen.put("zz", row: 5, column: 0)
        screen.put("yy", row: 1, column: -1)
        #expect(screen.lines == ["..abcd", "y....."])
    }

    @Test func putHonoursMaxWidthAndNeutralisesControlCharacters() {
        var screen = Screen(width: 10, height: 1)
        screen.put("a\u{1b}[2Jbcdef", row: 0, column: 0, maxWidth: 5)
        #expect(screen.lines == ["a?[2J     "])
    }

    @Test func zeroSizedScreensAreHarmless() {
        var screen = Screen(width: 0, height: 0)
        screen.put("x", row: 0, column: 0)
        screen.fill(Rect(left: 0, top: 0, width: 3, height: 3))
        #expect(screen.lines.isEmpty)
    }

    @Test func textTrimsTrailingSpaces() {
        var screen = Screen(width: 5, height: 2)
        screen.put("hi", row: 1, column: 1)
        #expect(screen.text == "\n hi")
    }
}

struct ScreenDiffTests {
    @Test func anUnchangedFrameWritesNothing() {
        var screen = Screen(width: 10, height: 3)
        screen.put("hello", row: 1, column: 2, style: .bold)
        #expect(screen.changes(since: screen).isEmpty)
    }

    @Test func onlyChangedCellsAreWrittenGroupedByStyle() {
        var before = Screen(width: 10, height: 3)
        before.put("hello", row: 1, column: 2)
        var after = before
        after.put("HEL", row: 1, column: 2)
        after.put("!", row: 1, column: 7, style: .bold)
        #expect(after.changes(since: before) == [
            ScreenRun(row: 1, column: 2, text: "HEL", style: .plain),
            ScreenRun(row: 1, column: 7, text: "!", style: .bold),
        ])
    }

    @Test func aFirstFrameWritesEverythingButTheBottomRightCell() {
        let screen = Screen(width: 4, height: 2)
        let runs = screen.changes(since: nil)
        #expect(runs.map(\.text) == ["    ", "   "])
        #expect(screen.changes(since: Screen(width: 5, height: 2)).count == 2, "a new size redraws all")
    }
}

struct WideCharacterTests {
    @Test func wideCharactersTakeTwoCellsAndKeepTheLineWidth() {
        var screen = Screen(width: 10, height: 1, filler: ".")
        #expect(screen.put("漢字ab", row: 0, column: 1) == 7)
        #expect(screen.lines == [".漢字ab..."])
        #expect(DisplayWidth.of(screen.lines[0]) == 10)
    }

    @Test func zeroWidthAndCombiningCharactersTakeNoExtraCell() {
        var screen = Screen(width: 6, height: 1, filler: ".")
        screen.put("e\u{301}\u{200B}x", row: 0, column: 0)
        #expect(screen.lines == ["e\u{301}x...."])
    }

    @Test func aWideCharacterWithRoomForHalfIsASpace() {
        var screen = Screen(width: 4, height: 1, filler: ".")
        screen.put("ab漢", row: 0, column: 1)
        #expect(screen.lines == [".ab "])
    }

    @Test func overwritingHalfAWideCharacterBlanksTheOtherHalf() {
        var screen = Screen(width: 6, height: 1, filler: ".")
        screen.put("漢字", row: 0, column: 0)
        screen.put("x", row: 0, column: 1)
        screen.put("y", row: 0, column: 2)
        #expect(screen.lines == [" xy .."])
    }

    @Test func diffsNeverSplitAWideCharacter() {
        var before = Screen(width: 8, height: 2)
        before.put("漢字漢字", row: 0, column: 0)
        var after = before
        after.put("ab", row: 0, column: 3)
        let runs = after.changes(since: before)
        #expect(runs.map(\.column) == [2])
        #expect(runs.map(\.text) == [" ab "])
        for run in after.changes(since: nil) {
            #expect(DisplayWidth.of(run.text) + run.column <= after.width)
        }
    }
}
