import MigrationCore

/// The plan's phases, done / current / ahead, with the point of no return marked and each
/// irreversible phase ahead marked `!` (with a legend on the last row when there is room).
enum PipelineView {
    static func render(_ data: ConsoleData, in rect: Rect, context: RenderContext, into screen: inout Screen) {
        guard !rect.isEmpty else { return }
        let g = context.glyphs
        screen.put("Phases", row: rect.top, column: rect.left, style: .bold)
        let currentIndex = data.plan.index(of: data.state.phase) ?? 0
        let pointOfNoReturn = data.plan.pointOfNoReturn?.id
        var lines: [(String, Style)] = []
        var currentLine = 0
        for (i, phase) in data.plan.phases.enumerated() {
            if phase.id == pointOfNoReturn {
                let mark = String(repeating: g.pointOfNoReturn, count: 2)
                lines.append(("\(mark) point of no return \(mark)", Style(.red)))
            }
            let marker = i < currentIndex ? g.done : i == currentIndex ? g.current : g.ahead
            var text = "\(marker) \(i + 1) \(phase.id.terminalSafe)"
            if i == currentIndex, phase.ramp { text += "  \(data.state.rollout)" }
            if phase.irreversible { text += i == currentIndex ? "" : " !" }
            let style: Style = i < currentIndex ? .good : i == currentIndex ? Style(.cyan, bold: true, reverse: false) : .dim
            if i == currentIndex { currentLine = lines.count }
            lines.append((text, style))
        }
        var room = rect.height - 1
        // The `!` gets its legend on the last row when the phases leave one free.
        if lines.count < room, data.plan.phases.enumerated().contains(where: { $0.element.irreversible && $0.offset != currentIndex }) {
            screen.put("! irreversible", row: rect.top + room, column: rect.left, style: .dim, maxWidth: rect.width)
            room -= 1
        }
        let first = max(0, min(currentLine - room / 2, lines.count - room))
        for (offset, line) in lines.dropFirst(first).prefix(room).enumerated() {
            screen.put(line.0, row: rect.top + 1 + offset, column: rect.left, style: line.1, maxWidth: rect.width)
        }
    }
}
