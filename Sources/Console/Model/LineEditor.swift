/// One line of text being typed, with a cursor: the console's text fields (a reason, a typed
/// confirmation, a percentage, a rate, a search). A pure value: keys go in through
/// ``apply(_:)``, and ``visible(width:)`` says what a field of some width shows.
///
/// The keys are a shell's: Left and Right move by a character, Home and Ctrl+A to the start,
/// End and Ctrl+E to the end; Backspace deletes before the cursor and Delete under it; Ctrl+U
/// deletes everything before the cursor, Ctrl+K everything from it, Ctrl+W the word before it.
///
/// Text can be offered *selected* (a suggestion, such as the previous reason): typing a
/// character replaces it all, Backspace or Delete removes it all, and any move keeps it and
/// starts editing it where the cursor goes.
///
/// ```swift
/// var field = LineEditor("hot keys")
/// _ = field.apply(.home)
/// _ = field.apply(.character("2"))
/// field.text   // "2hot keys"
/// ```
public struct LineEditor: Sendable, Equatable {
    /// The most characters a field holds unless told otherwise (a reason is checked again
    /// against ``MigrationCore/Limits`` when it is sent).
    public static let defaultLimit = 200

    private var characters: [Character]
    /// Characters before the cursor: 0 (at the start) to `characters.count` (after the end).
    public private(set) var cursor: Int
    /// Whether the whole text is an offered suggestion that the next character replaces.
    public private(set) var isSelected: Bool
    /// The most characters the field takes; more typing is ignored.
    public let limit: Int

    /// A field holding `text`, the cursor after it.
    public init(_ text: String = "", selected: Bool = false, limit: Int = Self.defaultLimit) {
        self.limit = max(1, limit)
        characters = Array(text.filter(Self.accepts).prefix(self.limit))
        cursor = characters.count
        isSelected = selected && !characters.isEmpty
    }

    /// The text typed so far.
    public var text: String { String(characters) }

    public var isEmpty: Bool { characters.isEmpty }

    /// Applies an editing key. Returns whether the key is one the field handles (true even
    /// when it changed nothing, like Left at the start), so the caller acts on the others
    /// (Enter, Esc, arrows up and down, Tab).
    public mutating func apply(_ key: Key) -> Bool {
        switch key {
        case .character(let character):
            guard Self.accepts(character) else { return true }
            if isSelected { replaceAll() }
            guard characters.count < limit else { return true }
            characters.insert(character, at: cursor)
            cursor += 1
        case .backspace:
            if isSelected { replaceAll() } else if cursor > 0 {
                characters.remove(at: cursor - 1)
                cursor -= 1
            }
        case .delete:
            if isSelected { replaceAll() } else if cursor < characters.count { characters.remove(at: cursor) }
        case .left: move(to: cursor - 1)
        case .right: move(to: cursor + 1)
        case .home, .control("a"): move(to: 0)
        case .end, .control("e"): move(to: characters.count)
        case .control("u"):
            isSelected = false
            characters.removeSubrange(0..<cursor)
            cursor = 0
        case .control("k"):
            isSelected = false
            characters.removeSubrange(cursor...)
        case .control("w"):
            isSelected = false
            let start = wordStart(before: cursor)
            characters.removeSubrange(start..<cursor)
            cursor = start
        default:
            return false
        }
        return true
    }

    /// Whether a field takes `character`: nothing that could steer a terminal (the same set
    /// `terminalSafe` replaces) and nothing zero columns wide, which the cursor could not show.
    public static func accepts(_ character: Character) -> Bool {
        !character.isNewline && String(character).terminalSafe == String(character) && DisplayWidth.of(character) > 0
    }

    private mutating func move(to position: Int) {
        isSelected = false
        cursor = min(max(0, position), characters.count)
    }

    private mutating func replaceAll() {
        characters.removeAll()
        cursor = 0
        isSelected = false
    }

    /// Where the word before `position` starts: spaces before it are skipped, then the
    /// characters up to the next space (readline's Ctrl+W).
    private func wordStart(before position: Int) -> Int {
        var start = position
        while start > 0, characters[start - 1].isWhitespace { start -= 1 }
        while start > 0, !characters[start - 1].isWhitespace { start -= 1 }
        return start
    }

    // MARK: - What a field shows

    /// What a field `width` columns wide shows: the part of the text around the cursor,
    /// by display width (a wide character takes two columns), with a column for a mark at an
    /// edge past which text is hidden.
    public struct Slice: Sendable, Equatable {
        /// Text is hidden before the first column (draw a mark in column 0).
        public var hiddenBefore: Bool
        /// Text is hidden after the last column (draw a mark in column `width - 1`).
        public var hiddenAfter: Bool
        /// The text to draw from column ``textColumn``; a wide character cut by an edge
        /// is a space.
        public var text: String
        /// The column `text` starts at: 1 after a mark, else 0.
        public var textColumn: Int
        /// The column of the cursor: on the character it is before, or just after the text.
        public var cursorColumn: Int
        /// How many columns the cursor covers: 2 on a wide character, else 1.
        public var cursorWidth: Int
    }

    /// What a field `width` columns wide shows. It scrolls in steps of half its width: the
    /// step that shows the end of the text while the cursor is there, else the first step that
    /// shows the cursor. So the text moves seldom and by a readable amount, and the cursor is
    /// always inside the field, never under a mark (in a field narrower than 8 columns there
    /// may be no room for marks: the cursor then sits at the right edge).
    public func visible(width: Int) -> Slice {
        let width = max(1, width)
        let widths = characters.map(DisplayWidth.of)
        var starts: [Int] = []
        var column = 0
        for w in widths {
            starts.append(column)
            column += w
        }
        let total = column
        let cursorStart = cursor < starts.count ? starts[cursor] : total
        let cursorWidth = cursor < widths.count ? widths[cursor] : 1
        // The text's columns, counting the cell after it when the cursor stands there.
        let end = total + (cursor == characters.count ? 1 : 0)

        func fits(_ offset: Int) -> (before: Bool, after: Bool)? {
            let before = offset > 0
            let after = end - offset > width
            let first = offset + (before ? 1 : 0)
            let last = offset + width - (after ? 1 : 0)
            return cursorStart >= first && cursorStart + cursorWidth <= last ? (before, after) : nil
        }

        let step = max(1, width / 2)
        // The view that shows the end of the text, while the cursor is in it: typing and
        // correcting near the end keep the text still. Elsewhere the first step that shows the cursor.
        var offset = max(0, total + 1 - width + step - 1) / step * step
        var marks = fits(offset)
        if marks == nil {
            offset = 0
            marks = fits(0)
        }
        while marks == nil, offset + step <= cursorStart {
            offset += step
            marks = fits(offset)
        }
        if marks == nil {
            // Too narrow for marks and the cursor: show the cursor at the right edge, no marks.
            offset = max(0, cursorStart + cursorWidth - width)
            marks = (false, false)
        }
        let hiddenBefore = marks?.before ?? false
        let hiddenAfter = marks?.after ?? false
        let first = offset + (hiddenBefore ? 1 : 0)
        let last = offset + width - (hiddenAfter ? 1 : 0)
        var shown = ""
        var x = first
        for (i, character) in characters.enumerated() {
            let start = starts[i], stop = starts[i] + widths[i]
            guard stop > first else { continue }
            guard start < last else { break }
            if start >= first, stop <= last {
                shown.append(character)
                x = stop
            } else {
                // A wide character cut by an edge: the columns it has inside the field are blank.
                shown += String(repeating: " ", count: min(stop, last) - max(start, x))
                x = min(stop, last)
            }
        }
        return Slice(hiddenBefore: hiddenBefore, hiddenAfter: hiddenAfter, text: shown, textColumn: hiddenBefore ? 1 : 0,
                     cursorColumn: cursorStart - offset, cursorWidth: cursorWidth)
    }
}
