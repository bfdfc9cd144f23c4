/// How many terminal columns a character takes: 0, 1 or 2.
///
/// East Asian wide and fullwidth characters (CJK, Hangul, fullwidth forms) and emoji
/// shown as pictures take two columns; combining marks travel with their base character
/// (a `Character` is a whole grapheme cluster); a character made only of zero-width
/// scalars (ZERO WIDTH SPACE, joiners, variation selectors) takes none. The table follows
/// Unicode's East Asian Width property as terminals' `wcwidth` does, so the cell grid and
/// the terminal agree on where every following character lands.
public enum DisplayWidth {
    /// The columns `character` occupies.
    public static func of(_ character: Character) -> Int {
        if character.isASCII { return 1 }
        let scalars = character.unicodeScalars
        guard let first = scalars.first(where: { !isZeroWidth($0) }) else { return 0 }
        if isWide(first) || scalars.contains(where: { $0.value == 0xFE0F }) && first.properties.isEmoji { return 2 }
        return 1
    }

    /// The columns `text` occupies.
    public static func of(_ text: some StringProtocol) -> Int {
        text.reduce(0) { $0 + of($1) }
    }

    static func isZeroWidth(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: true
        default: scalar.value == 0x200B || (0xFE00...0xFE0F).contains(scalar.value)
        }
    }

    static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x1100 { return false }
        if scalar.properties.isEmojiPresentation { return true }
        return wideRanges.contains { $0.contains(v) }
    }

    /// East Asian Wide (W) and Fullwidth (F) blocks, outside the emoji that
    /// `isEmojiPresentation` already covers.
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF,
        0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF,
        0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x18AFF,
        0x1B000...0x1B2FF, 0x1F200...0x1F2FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]
}
