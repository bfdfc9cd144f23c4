/// What the console needs of a terminal. The curses terminal implements it; tests use
/// a scripted fake, so the whole loop runs without a real terminal.
public protocol TerminalDevice: AnyObject {
    /// Columns and rows now.
    var size: (width: Int, height: Int) { get }
    /// Shows `screen`, writing only cells that differ from the last frame unless `repaint`.
    func present(_ screen: Screen, repaint: Bool)
    /// The next key, or nil when `timeoutMilliseconds` pass without one.
    func nextKey(timeoutMilliseconds: Int) -> Key?
}
