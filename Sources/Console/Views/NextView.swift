import MigrationCore

/// The next transition and everything that stands in its way: the phase (and whether it can be
/// left again), the fleet, the rollout, and every gate that does not pass, non-overridable first,
/// each with its figure (a soak with a live countdown).
enum NextView {
    typealias Line = GateLines.Line

    /// The lines below the title: the rollout if it is not at 100%, then every blocking gate.
    static func lines(_ data: ConsoleData, width: Int, glyphs g: Glyphs) -> [Line] {
        guard data.nextPhase != nil else { return [] }
        var lines: [Line] = []
        if data.state.rollout != .full {
            lines.append([("\(g.fail) ", .warning), ("rollout of \(data.state.phase.terminalSafe):", .bold),
                          (" \(data.state.rollout) (want 100%; \(KeyBinding.label(for: .rolloutUp)) ramps)", .warning)])
        }
        let blocking = GateLines.blocking(data.gates?.results ?? [])
        lines += blocking.map { GateLines.line($0, now: data.now, width: width, glyphs: g) }
        return lines
    }

    static func render(_ data: ConsoleData, lines: [Line], in rect: Rect, context: RenderContext, into screen: inout Screen) {
        guard rect.height > 0 else { return }
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
        let fleetColumn = rect.right - DisplayWidth.of(fleet)
        screen.put(fleet, row: rect.top, column: fleetColumn, style: laggards.isEmpty ? .dim : .warning)
        let label = PointOfNoReturn.label(of: next, in: data.plan)
        x = screen.put(" · \(label.rawValue)", row: rect.top, column: x, style: label == .reversible ? .dim : .danger,
                       maxWidth: max(0, fleetColumn - x - 1))
        let results = data.gates?.results ?? []
        let passed = results.filter { $0.status == .pass }.count
        screen.put(" · gates \(passed)/\(results.count) pass", row: rect.top, column: x,
                   style: passed == results.count ? .good : .warning, maxWidth: max(0, fleetColumn - x - 1))
        let room = rect.height - 1
        guard room > 0 else { return }
        // Cut to the room: the first (worst) gate always shows; "+N more" takes the last row when there are two or more.
        let shown = lines.count > room ? Array(lines.prefix(max(1, room - 1))) : lines
        for (i, line) in shown.enumerated() {
            var column = rect.left + 9
            for (text, style) in line {
                column = screen.put(text, row: rect.top + 1 + i, column: column, style: style, maxWidth: max(0, rect.right - column))
            }
        }
        if lines.count > room, room > 1 {
            screen.put("+\(lines.count - shown.count) more: \(KeyBinding.label(for: .advance)) shows every gate", row: rect.top + room,
                       column: rect.left + 9, style: .warning, maxWidth: rect.width - 9)
        }
    }
}
