/// How a chart series is drawn: each mark has its own fill glyph in Unicode and in ASCII
/// (``Glyphs/fill(_:)``) and its own colour, so the series tell apart without colour.
public enum ChartMark: Int, Sendable, CaseIterable {
    /// The main traffic: hits, or the old store's reads.
    case solid
    /// The second series: misses, or the old store's writes.
    case medium
    /// The third: the backfill's copies.
    case light
    /// Failed writes, on top of the stack.
    case error
    /// Reads whose stores disagreed (verification mismatches), on top of the stack.
    case alert
}
