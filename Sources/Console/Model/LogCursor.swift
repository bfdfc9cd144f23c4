/// Where the operator is in a list view (the audit log, the verification's mismatches): the
/// selected row, the first row shown, whether the selected event's details are open, and the
/// search.
///
/// Rows are newest first, so a new audit event pushes every row down by one: the selection
/// follows its row by identity (``selectedKey``, an event's id or a mismatch's key), not by
/// position, and the operator never finds a different event under the cursor.
public struct LogCursor: Sendable, Equatable {
    /// The selected row's position in the list.
    public var selected = 0
    /// The selected row's identity, when the operator moved to it.
    public var selectedKey: String?
    /// The first row shown.
    public var top = 0
    /// Whether the selected event's details are shown instead of the list.
    public var showsDetail = false
    /// The first line of the details shown.
    public var detailTop = 0
    /// The terminal's size, which a page (PgUp/PgDn) and the details' wrapping follow; the
    /// session keeps it current.
    public var terminalRows = RenderContext.minimumSize.height
    public var terminalColumns = RenderContext.minimumSize.width
    /// The search typed at `/`, while it is typed and after.
    public var search: LogSearch?

    public init() {}

    /// A fresh cursor (the first row, no details, no search) on the terminal `other` knew.
    public init(terminal other: LogCursor) {
        (terminalRows, terminalColumns) = (other.terminalRows, other.terminalColumns)
    }

    /// How many rows a list or details view shows on a terminal `terminalRows` high: the
    /// console's body (all but the header, message and footer rows) inset by one, less the
    /// view's title row and its status row (see `ConsoleView.render`).
    public static func visibleRows(terminalRows: Int) -> Int {
        max(1, terminalRows - 3 - 2 - 2)
    }

    /// One page: the rows visible now.
    public var page: Int { Self.visibleRows(terminalRows: terminalRows) }

    /// The width of a list or details view: the terminal's, inset by one on each side.
    public var viewColumns: Int { max(1, terminalColumns - 2) }

    /// The cursor placed on the list `keys` as it is now: the selection back on its row (or
    /// kept in range when the row went away), and the first row shown chosen so the selection
    /// is among the `rows` visible and no room is left empty below the last row.
    public func resolved(keys: [String], rows: Int) -> LogCursor {
        var cursor = self
        let last = max(0, keys.count - 1)
        if let key = selectedKey, let index = keys.firstIndex(of: key) {
            cursor.selected = index
        }
        cursor.selected = min(max(0, cursor.selected), last)
        let rows = max(1, rows)
        cursor.top = min(cursor.top, cursor.selected, max(0, keys.count - rows))
        cursor.top = max(cursor.top, cursor.selected - rows + 1, 0)
        return cursor
    }

    /// Moves the selection to `row` of `keys`, shifting the first row shown by `scroll` too
    /// (a page keeps the selection where it was on screen), then keeps it visible.
    public mutating func select(_ row: Int, scrollingBy scroll: Int = 0, keys: [String]) {
        selected = row
        top += scroll
        selectedKey = nil
        self = resolved(keys: keys, rows: page)
        selectedKey = keys.indices.contains(selected) ? keys[selected] : nil
        detailTop = 0
    }
}
