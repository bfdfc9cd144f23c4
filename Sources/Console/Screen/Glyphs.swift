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
    /// Fill characters of the chart's three series, distinguishable without colour.
    public let series: (Character, Character, Character)
    public let arrow: String
    public let pointOfNoReturn: Character
    public let pass: Character
    public let fail: Character
    public let unknown: Character

    /// What ends text cut to fit: `…`, or `...` on an ASCII terminal (where `…` would become a
    /// lone `.`, easily read as a full stop).
    public var ellipsis: String { isASCII ? "..." : "…" }

    public static let unicode = Glyphs(
        isASCII: false, done: "✓", current: "●", ahead: "○", barFull: "█", barEmpty: "░", horizontal: "─", vertical: "│",
        corners: ("┌", "┐", "└", "┘"), series: ("█", "▒", "░"), arrow: "→", pointOfNoReturn: "┅",
        pass: "✓", fail: "✗", unknown: "?")

    public static let ascii = Glyphs(
        isASCII: true, done: "+", current: "*", ahead: "-", barFull: "#", barEmpty: ".", horizontal: "-", vertical: "|",
        corners: ("+", "+", "+", "+"), series: ("#", "+", "."), arrow: "->", pointOfNoReturn: "=",
        pass: "+", fail: "x", unknown: "?")
}
