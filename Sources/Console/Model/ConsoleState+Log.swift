import MigrationCore

extension ConsoleState {
    /// Keys of the list views (the audit log, the mismatches): move the selection, a page,
    /// to the first or last row; Enter opens an event's details (the log); `/` searches,
    /// `n`/`N` jump to the next/previous match.
    ///
    /// They come before the key table, as the runbook's keys do: `n` in a list is the next
    /// match and can never advance the migration.
    /// - Returns: nil when the key is not the view's, so the table's bindings act on it.
    mutating func handleList(_ key: Key, data: ConsoleData?) -> Effect? {
        guard view == .log || view == .mismatches else { return nil }
        let rows = listRows(data)
        log = log.resolved(keys: rows.keys, rows: log.page)
        if log.search?.isEditing == true {
            typeSearch(key, rows: rows)
            return Effect.none
        }
        if view == .log, log.showsDetail, scrollDetail(key, data: data) { return Effect.none }
        let page = log.page
        switch key {
        case .up, .character("k"): log.select(log.selected - 1, keys: rows.keys)
        case .down, .character("j"): log.select(log.selected + 1, keys: rows.keys)
        case .pageUp: log.select(log.selected - page, scrollingBy: -page, keys: rows.keys)
        case .pageDown, .character(" "): log.select(log.selected + page, scrollingBy: page, keys: rows.keys)
        case .home: log.select(0, keys: rows.keys)
        case .end: log.select(rows.keys.count - 1, keys: rows.keys)
        case .enter:
            guard view == .log, !rows.keys.isEmpty else { return Effect.none }
            // Pinned: an event arriving meanwhile does not replace the one being read.
            log.selectedKey = rows.keys[log.selected]
            log.showsDetail = true
            log.detailTop = 0
        case .character("/"):
            let previous = log.search?.query ?? ""
            var search = LogSearch(editor: LineEditor(previous, selected: true))
            search.query = previous
            log.search = search
        case .character("n"): jump(forward: true, rows: rows)
        case .character("N"): jump(forward: false, rows: rows)
        case .escape where log.search != nil: log.search = nil
        default: return nil
        }
        if var search = log.search {
            search.current = log.selectedKey.flatMap { search.matches.firstIndex(of: $0) }
            log.search = search
        }
        return Effect.none
    }

    /// The rows of the list on screen: their identities and the text a search looks through
    /// (an event's row and every line of its details; a mismatch's row).
    func listRows(_ data: ConsoleData?) -> (keys: [String], texts: () -> [String]) {
        guard let data else { return ([], { [] }) }
        if view == .mismatches {
            return (data.mismatches.map(\.key), { data.mismatches.map(MismatchView.line) })
        }
        return (AuditView.keys(data), {
            data.recentEvents.map { AuditView.row($0, arrow: "→") + "\n" + EventDetail($0, now: data.now).text }
        })
    }

    /// Keys of the details view: scroll its text, close it. Others (`/`, `n`, `N`) act on the
    /// list, whose selection the details follow.
    private mutating func scrollDetail(_ key: Key, data: ConsoleData?) -> Bool {
        let page = log.page
        var lineCount: Int {
            guard let data, data.recentEvents.indices.contains(log.selected) else { return 0 }
            let detail = EventDetail(data.recentEvents[log.selected], now: data.now, chainBreak: data.auditChainBreak)
            return LogDetailView.lines(detail, width: log.viewColumns).count
        }
        switch key {
        case .up, .character("k"): log.detailTop -= 1
        case .down, .character("j"): log.detailTop += 1
        case .pageUp: log.detailTop -= page
        case .pageDown, .character(" "): log.detailTop += page
        case .home: log.detailTop = 0
        case .end: log.detailTop = lineCount
        case .escape, .enter:
            log.showsDetail = false
            return true
        default: return false
        }
        log.detailTop = min(max(0, log.detailTop), max(0, lineCount - page))
        return true
    }

    /// A key while the search prompt is open: Enter searches (from the selected row on), Esc
    /// closes the prompt and keeps the previous search, the rest edit the text.
    private mutating func typeSearch(_ key: Key, rows: (keys: [String], texts: () -> [String])) {
        guard var search = log.search, let editor = search.editor else { return }
        switch key {
        case .enter:
            search.editor = nil
            search.query = editor.text
            log.search = search.query.isEmpty ? nil : search
            if log.search != nil { jump(forward: true, rows: rows, includingSelected: true) }
        case .escape:
            search.editor = nil
            log.search = search.query.isEmpty ? nil : search
        default:
            var edited = editor
            _ = edited.apply(key)
            search.editor = edited
            log.search = search
        }
    }

    /// Selects the next (or previous) row matching the search, wrapping around the list, and
    /// notes which match it is; `no match` when none does. Never anything else: without a
    /// search it only says how to start one.
    private mutating func jump(forward: Bool, rows: (keys: [String], texts: () -> [String]), includingSelected: Bool = false) {
        guard var search = log.search, !search.query.isEmpty else {
            message = Message("no search yet: / searches this list, then n and N jump between its matches", isError: true)
            return
        }
        let texts = rows.texts()
        let matching = texts.indices.filter { LogSearch.text(texts[$0], contains: search.query) }
        search.matches = matching.map { rows.keys[$0] }
        search.current = nil
        log.search = search
        guard !matching.isEmpty else { return }
        let here = log.selected
        let target: Int
        if forward {
            target = matching.first { includingSelected ? $0 >= here : $0 > here } ?? matching[0]
        } else {
            target = matching.last { $0 < here } ?? matching[matching.count - 1]
        }
        log.select(target, keys: rows.keys)
        log.search?.current = matching.firstIndex(of: target)
    }
}
