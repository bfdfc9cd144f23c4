/// Word wrap for styled text, as the runbook view lays out Markdown.
///
/// ```swift
/// WordWrap.lines([("type ", .plain), ("new-primary", .accent), (".", .plain)], width: 12)
/// // [[("type", .plain)], [("new-primary", .accent), (".", .plain)]]
/// ```
public enum WordWrap {
    /// Word-wraps styled text into lines at most `width` columns wide (wide characters count
    /// two). Lines break only at spaces, so punctuation stays with the word or code span before
    /// it; the spaces at a break are dropped, and a word longer than a line is cut. A no-break
    /// space (U+00A0) joins words and comes out as a plain space.
    public static func lines(_ pieces: [(String, Style)], width: Int) -> [[(String, Style)]] {
        let width = max(1, width)
        var lines: [[(String, Style)]] = [[]]
        var used = 0
        var spaces: [(String, Style)] = []
        var word: [(String, Style)] = []
        func append(_ text: String, _ style: Style) {
            if let last = lines[lines.count - 1].last, last.1 == style {
                lines[lines.count - 1][lines[lines.count - 1].count - 1].0 += text
            } else {
                lines[lines.count - 1].append((text, style))
            }
        }
        func flushWord() {
            guard !word.isEmpty else { return }
            let wordWidth = word.reduce(0) { $0 + DisplayWidth.of($1.0) }
            let gap = spaces.reduce(0) { $0 + DisplayWidth.of($1.0) }
            if used > 0, used + gap + wordWidth > width {
                lines.append([])
                used = 0
            } else {
                for (text, style) in spaces { append(text, style) }
                used += gap
            }
            for (text, style) in word {
                for character in text {
                    let columns = DisplayWidth.of(character)
                    if used > 0, used + columns > width {
                        lines.append([])
                        used = 0
                    }
                    append(character == "\u{A0}" ? " " : String(character), style)
                    used += columns
                }
            }
            spaces = []
            word = []
        }
        for (text, style) in pieces {
            for character in text {
                if character == " " {
                    flushWord()
                    spaces.append((" ", style))
                } else if let last = word.last, last.1 == style {
                    word[word.count - 1].0.append(character)
                } else {
                    word.append((String(character), style))
                }
            }
        }
        flushWord()
        return lines
    }
}
