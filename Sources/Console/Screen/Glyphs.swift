/// The characters views draw with: Unicode where the locale is UTF-8, ASCII otherwise.
public struct Glyphs: Sendable {
    /// Whether every glyph is ASCII (the console then also downgrades text from the database).
    public let isASCII: Bool
    public let done: Character
    public let current: Character
    public let ahead: Character
    public let barFull: Character
    public let barEmpty: Character
    public let horizontal: Character
    public let vertical: Character
    public let corners: (topLeft: Character, topRight: Character, bottomLeft: Character, bottomRight: Character)
    /// Fill characters of the chart's series, one per ``ChartMark`` in its order: each series
    /// its own, distinguishable without colour and from every other mark.
    public let fills: [Character]
    public let arrow: String
    public let pointOfNoReturn: Character
    public let pass: Character
    public let fail: Character
    public let unknown: Character

    /// What ends text cut to fit: `…`, or `...` on an ASCII terminal (where `…` would become a
    /// lone `.`, easily read as a full stop).
    public var ellipsis: String { isASCII ? "..." : "…" }

    /// The fill that draws a series with `mark`.
    public func fill(_ mark: ChartMark) -> Character { fills[mark.rawValue] }

    public static let unicode = Glyphs(
        isASCII: false, done: "✓", current: "●", ahead: "○", barFull: "█", barEmpty: "░", horizontal: "─", vertical: "│",
        corners: ("┌", "┐", "└", "┘"), fills: ["█", "▒", "░", "×", "≠"], arrow: "→", pointOfNoReturn: "┅",
        pass: "✓", fail: "✗", unknown: "?")

    /// Every mark has a glyph of its own: a done phase (`v`) is not a passed gate (`+`), and
    /// no chart series shares its fill with a mark (`# % : X ~`).
    public static let ascii = Glyphs(
        isASCII: true, done: "v", current: "*", ahead: "-", barFull: "#", barEmpty: ".", horizontal: "-", vertical: "|",
        corners: ("+", "+", "+", "+"), fills: ["#", "%", ":", "X", "~"], arrow: "->", pointOfNoReturn: "=",
        pass: "+", fail: "x", unknown: "?")
}
