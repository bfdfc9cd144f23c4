/// How a cell is drawn: a foreground colour and attributes.
///
/// Colours are a hint: under `NO_COLOR` or on a terminal without colours the
/// terminal layer draws attributes only, so no meaning may rest on colour alone.
public struct Style: Sendable, Hashable {
    public enum Color: UInt8, Sendable {
        case standard = 0, red, green, yellow, blue, magenta, cyan, white
    }

    public var color: Color
    public var bold: Bool
    public var dim: Bool
    public var reverse: Bool
    public var underline: Bool

    public init(_ color: Color = .standard, bold: Bool = false, dim: Bool = false, reverse: Bool = false, underline: Bool = false) {
        self.color = color
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
        self.underline = underline
    }

    public static let plain = Style()
    public static let bold = Style(bold: true)
    public static let dim = Style(dim: true)
    public static let inverse = Style(reverse: true)
    public static let good = Style(.green)
    public static let warning = Style(.yellow, bold: true)
    public static let danger = Style(.red, bold: true)
    public static let accent = Style(.cyan)
}
