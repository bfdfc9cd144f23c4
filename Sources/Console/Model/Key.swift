/// A key press, decoded by the terminal layer.
public enum Key: Sendable, Hashable {
    case character(Character)
    case enter
    case escape
    case backspace
    case tab
    case up
    case down
    case left
    case right
    case pageUp
    case pageDown
    case home
    case end
    /// Ctrl+L: repaint the whole terminal.
    case redraw
    /// The terminal changed size.
    case resize
}
