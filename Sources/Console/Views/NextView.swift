import MigrationCore

/// The next transition and what stands in its way.
enum NextView {
    static func render(_ data: ConsoleData, in rect: Rect, context: RenderContext, into screen: inout Screen) {
        guard rect.height > 0 else { return }
        let g = context.glyphs
        var x = screen.put("Next     ", row: rect.top, column: rect.left, style: .bold)
        guard let next = data.nextPhase else {
            screen.put("none: \(data.state.phase.terminalSafe) is the last phase", row: rect.top, column: x)
            return
        }
        x = screen.put(next.id.terminalSafe, row: rect.top, column: x, style: .bold)
        let live = data.liveInstances()
        let current = live.filter { $0.servingVersion == data.state.version }
        let laggards = live.filter { $0.servingVersion != data.state.version }.prefix(2).map { "\($0.host.terminalSafe):\($0.pid)" }
        let fleet = "instances \(current.count)/\(live.count) on v\(data.state.version)" + (laggards.isEmpty ? "" : " · behind: " + laggards.joined(separator: ", "))
        screen.put(fleet, row: rect.top, column: rect.right - DisplayWidth.of(fleet), style: laggards.isEmpty ? .dim : .warning)
        if next.irreversible {
            screen.put(" · IRREVERSIBLE", row: rect.top, column: x, style: .danger, maxWidth: rect.right - x - DisplayWidth.of(fleet) - 1)
        } else {
            screen.put(" · reversible", row: rect.top, column: x, style: .dim)
        }
        guard rect.height > 1 else { return }
        let full = data.state.rollout == .full
        x = rect.left + 9
        x = screen.put("\(full ? g.pass : g.fail) rollout 100%", row: rect.top + 1, column: x, style: full ? .good : .warning)
        let results = data.gates?.results ?? []
        let passed = results.filter { $0.status == .pass }.count
        x = screen.put(" · gates \(passed)/\(results.count) pass", row: rect.top + 1, column: x,
                       style: passed == results.count ? .good : .warning)
        if let first = results.first(where: { $0.status != .pass }) {
            let mark = first.status == .fail ? g.fail : g.unknown
            screen.put(" · \(mark) \(first.label.terminalSafe): \(first.observed.terminalSafe)", row: rect.top + 1, column: x,
                       style: .warning, maxWidth: rect.right - x)
        }
    }
}
