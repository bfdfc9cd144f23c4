import MigrationCore

/// The dashboard's Safety line: mismatches and write errors counted since the current phase
/// began, so a burst that left the gates' rolling windows is still on screen.
enum SafetyView {
    static func render(_ data: ConsoleData, in rect: Rect, into screen: inout Screen) {
        guard rect.height > 0 else { return }
        let y = rect.top
        var x = screen.put("Safety   ", row: y, column: rect.left, style: .bold)
        let since = Format.duration(data.now.timeIntervalSince(data.state.phaseSince))
        x = screen.put("phase \(since): ", row: y, column: x, style: .dim, maxWidth: max(0, rect.right - x))
        for (i, counter) in ConsoleData.safetyCounters.enumerated() {
            let count = data.phaseTotals[counter.counter] ?? 0
            let text = (i == 0 ? "" : " · ") + "\(Format.count(count)) \(counter.label)"
            x = screen.put(text, row: y, column: x, style: count > 0 ? .danger : .good, maxWidth: max(0, rect.right - x))
        }
    }
}
