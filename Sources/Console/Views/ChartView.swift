import MigrationCore

/// The phase's traffic over the chart window as stacked columns, one column per time slot,
/// each series with its own fill so the chart reads without colour: hit, miss and backfill
/// once the new store is read, the old store's reads and writes before (``ConsoleData/chartSeries(for:)``).
enum ChartView {
    /// Columns the y-axis labels take.
    static let axisWidth = 7

    /// How many time slots fit in a chart drawn in `rect`.
    static func slots(for rect: Rect) -> Int { max(1, rect.width - axisWidth) }

    static func render(_ data: ConsoleData, in rect: Rect, context: RenderContext, into screen: inout Screen) {
        guard rect.height >= 4, rect.width > axisWidth + 4 else { return }
        let g = context.glyphs
        let charted = ConsoleData.chartSeries(for: data.phase)
        let fills = [g.series.0, g.series.1, g.series.2]
        let colors: [Style.Color] = [.green, .yellow, .blue]
        var x = screen.put("Traffic/s · \(data.window.label)  ", row: rect.top, column: rect.left, style: .bold)
        for (i, series) in charted.enumerated() {
            x = screen.put("\(fills[i]) \(series.label)  ", row: rect.top, column: x, style: Style(colors[i]))
        }

        let plotHeight = rect.height - 2
        let plotLeft = rect.left + axisWidth
        let plotWidth = rect.width - axisWidth
        let series = data.traffic
        let slotSeconds = Double(max(1, series.slotSeconds))
        let count = series.values.values.first?.count ?? 0
        let columns = min(count, plotWidth)
        let rates: [[Double]] = charted.map { charted in
            (series.values[charted.counter] ?? []).suffix(columns).map { Double($0) / slotSeconds }
        }
        let totals = (0..<columns).map { c in rates.reduce(0) { $0 + ($1.indices.contains(c) ? $1[c] : 0) } }
        let peak = max(totals.max() ?? 0, 0)
        let scale = niceCeiling(peak)

        screen.put(Format.compact(scale).leftPadded(axisWidth - 1), row: rect.top + 1, column: rect.left, style: .dim)
        screen.put("0".leftPadded(axisWidth - 1), row: rect.top + plotHeight, column: rect.left, style: .dim)
        for row in 0..<plotHeight {
            screen.put(String(g.vertical), row: rect.top + 1 + row, column: plotLeft - 1, style: .dim)
        }
        let startColumn = plotLeft + plotWidth - columns
        for c in 0..<columns where scale > 0 {
            var cumulative = 0.0
            var filled = 0
            for (s, rate) in rates.enumerated() {
                cumulative += rate[c]
                let top = Int((cumulative / scale * Double(plotHeight)).rounded())
                let visible = rate[c] > 0 ? max(top, filled + 1) : top
                while filled < min(visible, plotHeight) {
                    screen[rect.top + plotHeight - filled, startColumn + c] = Cell(fills[s], Style(colors[s]))
                    filled += 1
                }
            }
        }
        let axisRow = rect.top + rect.height - 1
        screen.put("-\(data.window.label)", row: axisRow, column: plotLeft, style: .dim)
        screen.put("now", row: axisRow, column: plotLeft + plotWidth - 3, style: .dim)
        if peak == 0 {
            screen.put("no traffic in this window", row: rect.top + plotHeight / 2 + 1, column: plotLeft + max(0, (plotWidth - 25) / 2), style: .dim)
        }
    }

    /// The smallest of 1, 2, 5 × 10ⁿ at or above `value`, so the axis label is a round number.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 0 }
        var magnitude = 1.0
        while magnitude * 10 <= value { magnitude *= 10 }
        while magnitude > value { magnitude /= 10 }
        for step in [1.0, 2, 5, 10] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        DisplayWidth.of(self) >= width ? self : String(repeating: " ", count: width - DisplayWidth.of(self)) + self
    }
}
