/// What every view needs besides its data: the glyph set.
public struct RenderContext: Sendable {
    public var glyphs: Glyphs

    public init(glyphs: Glyphs = .unicode) {
        self.glyphs = glyphs
    }

    /// The smallest terminal the console lays out in; below it, it says so instead.
    public static let minimumSize = (width: 80, height: 24)
}
