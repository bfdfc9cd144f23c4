import CCurses
import Console
import Foundation

/// The real terminal, through ncursesw. The only code in migctl that touches curses.
///
/// It draws a ``Screen`` by writing only the runs of cells that changed since the last
/// one shown (``Screen/changes(since:)``). Every exit restores the terminal: ``close()`` on the
/// normal path, and signal handlers (installed by the C shim) on SIGINT, SIGTERM and
/// SIGHUP. Ctrl+Z is handled by ncurses itself (it restores, stops, and repaints on resume).
public final class CursesTerminal: TerminalDevice {
    /// Whether the terminal draws colours (false under `NO_COLOR` or without colour support).
    public let usesColor: Bool
    /// Whether the locale can show Unicode glyphs; otherwise draw with ``Glyphs/ascii``.
    public let unicode: Bool
    private var shown: Screen?
    private var open = true

    /// Enters curses mode.
    /// - Parameter environment: `NO_COLOR` (non-empty) turns colours off.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
        usesColor = mc_start(noColor ? 0 : 1) == 1
        unicode = mc_locale_is_utf8() == 1
    }

    /// Leaves curses mode and restores the terminal; safe to call twice.
    public func close() {
        guard open else { return }
        open = false
        mc_stop()
    }

    deinit { close() }

    public var size: (width: Int, height: Int) { (Int(mc_width()), Int(mc_height())) }

    public func present(_ screen: Screen, repaint: Bool) {
        if repaint { mc_clear() }
        for run in screen.changes(since: repaint ? nil : shown) {
            mc_put(Int32(run.row), Int32(run.column), run.text, Self.bits(run.style))
        }
        mc_refresh()
        shown = screen
    }

    public func nextKey(timeoutMilliseconds: Int) -> Key? {
        var code: UInt32 = 0
        switch mc_read(Int32(timeoutMilliseconds), &code) {
        case Int32(MC_CHAR): return Self.decode(character: code)
        case Int32(MC_KEY): return Self.decode(key: Int32(code))
        case Int32(MC_GONE): return .hangup
        default: return nil
        }
    }

    static func decode(character code: UInt32) -> Key? {
        switch code {
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 9: return .tab
        case 12: return .redraw
        case 1...26: return .control(Character(Unicode.Scalar(UInt8(96 + code))))
        default:
            guard code >= 32, let scalar = Unicode.Scalar(code) else { return nil }
            return .character(Character(scalar))
        }
    }

    static func decode(key code: Int32) -> Key? {
        switch code {
        case KEY_UP: .up
        case KEY_DOWN: .down
        case KEY_LEFT: .left
        case KEY_RIGHT: .right
        case KEY_PPAGE: .pageUp
        case KEY_NPAGE: .pageDown
        case KEY_HOME: .home
        case KEY_END: .end
        case KEY_ENTER: .enter
        case KEY_BACKSPACE: .backspace
        case KEY_DC: .delete
        case KEY_RESIZE: .resize
        default: nil
        }
    }

    static func bits(_ style: Style) -> Int32 {
        var bits = Int32(style.color.rawValue)
        if style.bold { bits |= Int32(MC_BOLD) }
        if style.dim { bits |= Int32(MC_DIM) }
        if style.reverse { bits |= Int32(MC_REVERSE) }
        if style.underline { bits |= Int32(MC_UNDERLINE) }
        return bits
    }
}
