import MigrationCore

/// Audit events: the few most recent on the dashboard, all of them in the log view, where a
/// row is selected, searched (`/`) and opened (Enter, ``LogDetailView``).
enum AuditView {
    static func line(_ event: AuditEvent, withDate: Bool, arrow: String) -> String {
        "\(withDate ? Format.dateTime(event.at) : Format.clock(event.at))  \(event.actor.terminalSafe)  \(event.summary(arrow: arrow))"
    }

    /// A row of the log view: `#12  2026-11-25 13:05:22  ana  advance  …`.
    static func row(_ event: AuditEvent, arrow: String) -> String {
        "#\(event.id)  " + line(event, withDate: true, arrow: arrow)
    }

    /// The log's rows' identities, as ``LogCursor`` follows them.
    static func keys(_ data: ConsoleData) -> [String] {
        data.recentEvents.map { String($0.id) }
    }

    static let hint = "Enter details · / search · PgUp PgDn a page · Home End first/last · Esc dashboard"

    static func renderRecent(_ data: ConsoleData, in rect: Rect, context: RenderContext, into screen: inout Screen) {
        guard rect.height > 1 else { return }
        screen.put("Recent", row: rect.top, column: rect.left, style: .bold)
        for (i, event) in data.recentEvents.prefix(rect.height - 1).enumerated() {
            screen.put(Format.clip(line(event, withDate: false, arrow: context.glyphs.arrow), rect.width, ellipsis: context.glyphs.ellipsis),
                       row: rect.top + 1 + i, column: rect.left, style: i == 0 ? .plain : .dim, maxWidth: rect.width)
        }
    }

    /// The log view: the details of the selected event when open, else the list.
    static func renderLog(_ data: ConsoleData, cursor: LogCursor, in rect: Rect, context: RenderContext, into screen: inout Screen) {
        guard rect.height > 2 else { return }
        if cursor.showsDetail {
            LogDetailView.render(data, cursor: cursor, in: rect, context: context, into: &screen)
            return
        }
        let events = data.recentEvents
        let keys = keys(data)
        let placed = cursor.resolved(keys: keys, rows: rect.height - 2)
        let position = events.isEmpty ? "no events" : "\(placed.selected + 1) of \(events.count)"
        screen.put(Format.clip("Audit log · newest first · \(position)", rect.width, ellipsis: context.glyphs.ellipsis),
                   row: rect.top, column: rect.left, style: .bold)
        SelectableList.render(events.map { row($0, arrow: context.glyphs.arrow) }, keys: keys, cursor: cursor,
                              in: Rect(left: rect.left, top: rect.top + 1, width: rect.width, height: rect.height - 2),
                              context: context, into: &screen)
        SelectableList.renderStatus(cursor.search, hint: hint, in: Rect(left: rect.left, top: rect.bottom - 1, width: rect.width, height: 1),
                                    context: context, into: &screen)
    }
}
