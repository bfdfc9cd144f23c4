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
