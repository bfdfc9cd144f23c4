import MigrationCore

/// The phase's traffic over the chart window as stacked columns, one column per time slot,
/// each series with its own fill (``Glyphs/fill(_:)``) and colour so the chart reads without
/// colour and in ASCII: hit, miss, backfill and write errors once the new store is read; the
/// old store's reads and writes and the write errors before (``ConsoleData/chartSeries(for:)``).
enum ChartView {
    /// Columns the y-axis labels take.
    static let axisWidth = 7

    /// How many time slots fit in a chart drawn in `rect`.
    static func slots(for rect: Rect) -> Int { max(1, rect.width - axisWidth) }

    /// Each mark's colour, a hint on top of its glyph.
    static func color(_ mark: ChartMark) -> Style.Color {
        switch mark {
        case .solid: .green
        case .medium: .yellow
        case .light: .blue
        case .error: .red
        case .alert: .magenta
        }
    }

    static func render(_ data: ConsoleData, in rect: Rect, context: RenderContext, into screen: inout Screen) {
        guard rect.height >= 4, rect.width > axisWidth + 4 else { return }
        let g = context.glyphs
        let charted = ConsoleData.chartSeries(for: data.phase)
        renderLegend(charted, window: data.window, in: rect, glyphs: g, into: &screen)

        let plotHeight = rect.height - 2
        let plotLeft = rect.left + axisWidth
        let plotWidth = rect.width - axisWidth
        let series = data.traffic
        let slotSeconds = Double(max(1, series.slotSeconds))
        let count = series.values.values.first?.count ?? 0
        let columns = min(count, plotWidth)
        let rates: [[Double]] = charted.map { charted in
            let summed = charted.counters.map { (series.values[$0] ?? []).suffix(columns).map(Double.init) }
            return (0..<columns).map { c in summed.reduce(0) { $0 + ($1.indices.contains(c) ? $1[c] : 0) } / slotSeconds }
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
                let cell = Cell(g.fill(charted[s].mark), Style(color(charted[s].mark)))
                // Errors and mismatches show even in a full column: they take its top cell.
                if rate[c] > 0, filled >= plotHeight, [.error, .alert].contains(charted[s].mark) {
                    screen[rect.top + 1, startColumn + c] = cell
                }
                while filled < min(visible, plotHeight) {
                    screen[rect.top + plotHeight - filled, startColumn + c] = cell
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

    /// `Traffic/s · 15m  █ hit  ▒ miss  ░ backfill  × errors` on the chart's first row; on a
    /// narrow chart the gaps, then the title, give way before any series' legend.
    static func renderLegend(_ charted: [ConsoleData.ChartSeries], window: ChartWindow, in rect: Rect, glyphs g: Glyphs,
                             into screen: inout Screen) {
        let entries = charted.map { "\(g.fill($0.mark)) \($0.label)" }
        let layouts = [("Traffic/s · \(window.label)", "  "), ("Traffic/s · \(window.label)", " "), (window.label, " ")]
        let (title, gap) = layouts.first { title, gap in
            DisplayWidth.of(title) + entries.map { gap.count + DisplayWidth.of($0) }.reduce(0, +) <= rect.width
        } ?? layouts[layouts.count - 1]
        var x = screen.put(title, row: rect.top, column: rect.left, style: .bold, maxWidth: rect.width)
        for (series, entry) in zip(charted, entries) where x + gap.count < rect.right {
            x = screen.put(gap + entry, row: rect.top, column: x, style: Style(color(series.mark)), maxWidth: rect.right - x)
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
