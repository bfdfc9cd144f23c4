import MigrationCore

/// Audit events: the few most recent on the dashboard, all of them in the log view.
enum AuditView {
    static func line(_ event: AuditEvent, withDate: Bool, arrow: String) -> String {
        "\(withDate ? Format.dateTime(event.at) : Format.clock(event.at))  \(event.actor.terminalSafe)  \(event.summary(arrow: arrow))"
    }

    static func renderRecent(_ data: ConsoleData, in rect: Rect, context: RenderContext, into screen: inout Screen) {
        guard rect.height > 1 else { return }
        screen.put("Recent", row: rect.top, column: rect.left, style: .bold)
        for (i, event) in data.recentEvents.prefix(rect.height - 1).enumerated() {
            screen.put(line(event, withDate: false, arrow: context.glyphs.arrow), row: rect.top + 1 + i, column: rect.left,
                       style: i == 0 ? .plain : .dim, maxWidth: rect.width)
        }
    }

    static func renderLog(_ data: ConsoleData, scroll: Int, in rect: Rect, context: RenderContext, into screen: inout Screen) {
        guard rect.height > 1 else { return }
        let events = data.recentEvents
        screen.put("Audit log · newest first · \(events.count) events shown", row: rect.top, column: rect.left, style: .bold)
        for (i, event) in events.dropFirst(scroll).prefix(rect.height - 1).enumerated() {
            screen.put("#\(event.id)  " + line(event, withDate: true, arrow: context.glyphs.arrow),
                       row: rect.top + 1 + i, column: rect.left, maxWidth: rect.width)
        }
    }
}
