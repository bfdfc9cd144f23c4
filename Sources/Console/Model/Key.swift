/// A key press, decoded by the terminal layer.
public enum Key: Sendable, Hashable {
    case character(Character)
    case enter
    case escape
    /// Backspace: delete the character before the cursor.
    case backspace
    /// Delete (the key labelled Del): delete the character under the cursor.
    case delete
    case tab
    case up
    case down
    case left
    case right
    case pageUp
    case pageDown
    case home
    case end
    /// Ctrl and a letter, as the lowercase letter: Ctrl+A is `.control("a")`. Never typed into
    /// a field as text. Ctrl+H, I, J and M arrive as ``backspace``, ``tab`` and ``enter``
    /// (terminals send the same bytes), Ctrl+L as ``redraw``; Ctrl+C and Ctrl+Z are signals.
    case control(Character)
    /// Ctrl+L: repaint the whole terminal.
    case redraw
    /// The terminal changed size.
    case resize
    /// The terminal hung up or was closed (its window or SSH session gone): the console quits.
    case hangup
}
