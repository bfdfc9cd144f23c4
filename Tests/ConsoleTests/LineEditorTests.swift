import Console
import Testing

/// The text field's keys and its horizontal scrolling, on the pure value.
struct LineEditorTests {
    func edited(_ start: String, selected: Bool = false, _ keys: [Key]) -> LineEditor {
        var field = LineEditor(start, selected: selected)
        for key in keys {
            let handled = field.apply(key)
            #expect(handled, "\(key) is an editing key")
        }
        return field
    }

    func typing(_ text: String) -> [Key] { text.map { Key.character($0) } }

    func edited(_ parts: [Key]...) -> LineEditor { edited("", parts.flatMap { $0 }) }

    @Test func arrowsHomeAndEndMoveTheCursorWhereTypingInserts() {
        #expect(edited(typing("helo"), [.left], typing("l")).text == "hello")
        #expect(edited(typing("ello"), [.home], typing("h"), [.end], typing("!")).text == "hello!")
        #expect(edited(typing("bc"), [.control("a")], typing("a"), [.control("e")], typing("d")).text == "abcd")
        #expect(edited("abc", [.left, .left, .right]).cursor == 2)
        #expect(edited("abc", [.right, .right]).cursor == 3, "Right stops after the end")
        #expect(edited("abc", [.home, .left]).cursor == 0, "Left stops at the start")
    }

    @Test func backspaceAndDeleteRemoveBeforeAndUnderTheCursor() {
        #expect(edited("abcd", [.left, .backspace]).text == "abd")
        #expect(edited("abcd", [.left, .left, .delete]).text == "abd")
        #expect(edited("abcd", [.delete]).text == "abcd", "Delete after the end deletes nothing")
        #expect(edited("abcd", [.home, .backspace]).text == "abcd", "Backspace at the start deletes nothing")
    }

    @Test func controlKeysDeleteToTheStartToTheEndAndTheWordBefore() {
        #expect(edited("rollout looks fine", [.left, .left, .left, .left, .control("u")]).text == "fine")
        #expect(edited("rollout looks fine", [.home, .right, .control("k")]).text == "r")
        #expect(edited("rollout looks fine  ", [.control("w")]).text == "rollout looks ")
        #expect(edited("rollout looks fine", [.left, .left, .control("w")]).text == "rollout looks ne")
        let field = edited("one two", [.control("w"), .control("w"), .control("w")])
        #expect(field.text == "" && field.cursor == 0)
    }

    @Test func otherKeysAreLeftToTheCaller() {
        var field = LineEditor("x")
        for key: Key in [.enter, .escape, .up, .down, .tab, .pageUp, .redraw, .control("g")] {
            let handled = field.apply(key)
            #expect(!handled, "\(key)")
        }
        #expect(field.text == "x")
    }

    @Test func controlCharactersAndInvisibleOnesAreNotTyped() {
        let field = edited(typing("a\u{1B}[31m\u{9B}\u{202E}\u{200B}b"))
        #expect(field.text == "a[31mb")
        #expect(LineEditor("x\ny\u{7}").text == "xy")
    }

    @Test func theLimitStopsTyping() {
        let field = edited(String(repeating: "a", count: 199), typing("bcd"))
        #expect(field.text.count == LineEditor.defaultLimit && field.text.hasSuffix("ab"))
    }

    @Test func aSelectedSuggestionIsReplacedByTypingAndKeptByAMove() {
        #expect(edited("old reason", selected: true, typing("new")).text == "new")
        #expect(edited("old reason", selected: true, [.backspace]).text == "")
        #expect(edited("old reason", selected: true, [.delete]).text == "")
        let moved = edited("old reason", selected: true, [.left] + typing("X"))
        #expect(moved.text == "old reasoXn" && !moved.isSelected)
        #expect(edited("old reason", selected: true, [.end] + typing(", again")).text == "old reason, again")
        #expect(!LineEditor("", selected: true).isSelected, "nothing to select")
    }

    // MARK: - Scrolling

    @Test func shortTextShowsWholeWithTheCursorAfterIt() {
        let slice = LineEditor("abc").visible(width: 10)
        #expect(!slice.hiddenBefore && !slice.hiddenAfter && slice.text == "abc" && slice.textColumn == 0)
        #expect(slice.cursorColumn == 3 && slice.cursorWidth == 1)
    }

    @Test func longTextScrollsByHalfAWidthAndKeepsTheCursorInside() {
        let text = String((0..<50).map { Character(Unicode.Scalar(UInt8(97 + $0 % 26))) })
        var field = LineEditor(text)
        for _ in 0...50 {
            let slice = field.visible(width: 20)
            #expect(slice.cursorColumn >= slice.textColumn && slice.cursorColumn + slice.cursorWidth <= 20 - (slice.hiddenAfter ? 1 : 0),
                    "cursor \(field.cursor) at column \(slice.cursorColumn)")
            #expect(slice.textColumn + DisplayWidth.of(slice.text) <= 20 - (slice.hiddenAfter ? 1 : 0))
            // The character under the cursor is the one drawn in its column.
            if field.cursor < text.count {
                let under = Array(slice.text)[slice.cursorColumn - slice.textColumn]
                #expect(under == Array(text)[field.cursor])
            }
            _ = field.apply(.left)
        }
        let atEnd = LineEditor(text).visible(width: 20)
        #expect(atEnd.hiddenBefore && !atEnd.hiddenAfter && atEnd.text.hasSuffix("x") && atEnd.cursorColumn == 1 + DisplayWidth.of(atEnd.text))
        let atStart = edited(text, [.home]).visible(width: 20)
        #expect(!atStart.hiddenBefore && atStart.hiddenAfter && atStart.text == String(text.prefix(19)) && atStart.cursorColumn == 0)
    }

    @Test func theViewStaysPutWhileTheCursorMovesWithinIt() {
        var field = LineEditor(String((0..<60).map { Character(Unicode.Scalar(UInt8(65 + $0 % 26))) }))
        let first = field.visible(width: 20)
        _ = field.apply(.left)
        let second = field.visible(width: 20)
        #expect(second.text == first.text && second.cursorColumn == first.cursorColumn - 1, "a correction near the end moves nothing")
        // Walking left through the whole text, the view moves only in half-width steps.
        var views = Set<String>()
        for _ in 0..<60 {
            views.insert(field.visible(width: 20).text)
            _ = field.apply(.left)
        }
        #expect(views.count <= 60 / 10 + 1, "\(views.count) views")
    }

    @Test func wideCharactersScrollByTheirColumns() {
        var field = LineEditor(String(repeating: "漢", count: 30))
        for _ in 0...30 {
            let slice = field.visible(width: 15)
            #expect(slice.textColumn + DisplayWidth.of(slice.text) <= 15)
            #expect(slice.cursorColumn >= slice.textColumn && slice.cursorColumn + slice.cursorWidth <= 15 - (slice.hiddenAfter ? 1 : 0))
            if field.cursor < 30 {
                #expect(slice.cursorWidth == 2)
            }
            _ = field.apply(.left)
        }
    }

    @Test func aTinyFieldStillShowsTheCursor() {
        for width in 1...4 {
            let slice = LineEditor("abcdefgh").visible(width: width)
            #expect(slice.cursorColumn >= 0 && slice.cursorColumn < width, "width \(width)")
        }
    }
}
