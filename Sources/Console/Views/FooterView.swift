/// The bottom row: the keys of the current view, from the one binding table, each greyed out
/// (dim) when it does nothing now (``KeyAvailability``; `?` says why).
enum FooterView {
    /// One footer item: its keys (each with its own availability) and the word for them.
    struct Item {
        var keys: [(label: String, available: Bool)]
        var word: String
        var essential = false

        var width: Int { DisplayWidth.of(keys.map(\.label).joined(separator: "/")) + 1 + DisplayWidth.of(word) + 2 }
        var available: Bool { keys.contains { $0.available } }
    }

    static func render(_ state: ConsoleState, data: ConsoleData?, in rect: Rect, into screen: inout Screen) {
        let y = rect.top
        screen.fill(Rect(left: rect.left, top: y, width: rect.width, height: 1), style: .inverse)
        var items = self.items(state, data: data)
        let badge = state.readOnly ? "READ-ONLY" : ""
        let room = rect.width - 1 - (badge.isEmpty ? 0 : badge.count + 2)
        // Too many for the row: the view's less essential keys give way; the way back, help and quit stay.
        while items.map(\.width).reduce(0, +) > room, let last = items.lastIndex(where: { !$0.essential }) {
            items.remove(at: last)
        }
        var x = rect.left + 1
        for item in items {
            guard x + item.width - 2 <= rect.left + room else { break }
            for (i, key) in item.keys.enumerated() {
                if i > 0 { x = screen.put("/", row: y, column: x, style: .inverse) }
                x = screen.put(key.label, row: y, column: x, style: Style(bold: key.available, dim: !key.available, reverse: true))
            }
            x = screen.put(" " + item.word + "  ", row: y, column: x, style: Style(dim: !item.available, reverse: true))
        }
        if !badge.isEmpty {
            screen.put(badge, row: y, column: rect.right - badge.count - 1, style: Style(.yellow, bold: true, reverse: true))
        }
    }

    /// What the footer offers in `state`: a dialog's or the help's own keys, else the view's
    /// bindings with a footer word, neighbours with the same word as one item (`+/- ramp`).
    /// A read-only console leaves out the keys that change the migration: they never act there.
    static func items(_ state: ConsoleState, data: ConsoleData?) -> [Item] {
        func fixed(_ pairs: [(String, String)]) -> [Item] {
            pairs.map { Item(keys: [($0.0, true)], word: $0.1, essential: true) }
        }
        if case .clearGuard(_, _, chosen: false) = state.dialog?.kind {
            return fixed([("↑↓ 1-9", "choose"), ("Enter", "confirm"), ("Esc", "cancel")])
        }
        if state.dialog != nil { return fixed([("Enter", "confirm"), ("Esc", "cancel")]) }
        if state.showsHelp { return fixed([("Esc", "close help")]) }
        if state.log.search?.isEditing == true, [.log, .mismatches].contains(state.view) { return fixed([("Enter", "search"), ("Esc", "cancel")]) }
        if state.view == .log, state.log.showsDetail {
            return fixed([("↑↓ PgUp PgDn", "scroll"), ("/", "search"), ("n/N", "match"), ("Esc", "list"), ("?", "help"), ("q", "quit")])
        }
        var items: [Item] = []
        for binding in KeyBinding.bindings(in: state.view) {
            guard let word = binding.footer, !(state.readOnly && binding.changes) else { continue }
            let key = (label: binding.label, available: KeyAvailability.of(binding.action, state: state, data: data).isAvailable)
            if let last = items.last, last.word == word {
                items[items.count - 1].keys.append(key)
            } else {
                items.append(Item(keys: [key], word: word, essential: [.help, .quit, .dashboard].contains(binding.action)))
            }
        }
        return items
    }
}
