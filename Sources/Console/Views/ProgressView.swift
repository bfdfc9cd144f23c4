import MigrationCore

/// The rollout bar and the migration's progress: migrated / total, rate, ETA, hit ratio.
enum ProgressView {
    static func renderRollout(_ data: ConsoleData, in rect: Rect, context: RenderContext, into screen: inout Screen) {
        guard rect.height > 0 else { return }
        let g = context.glyphs
        let y = rect.top
        var x = screen.put("Rollout  ", row: y, column: rect.left, style: .bold)
        let barWidth = max(10, rect.width / 3)
        let filled = data.state.rollout.basisPoints * barWidth / 10_000
        x = screen.put("[", row: y, column: x)
        x = screen.put(String(repeating: g.barFull, count: filled), row: y, column: x, style: .accent)
        x = screen.put(String(repeating: g.barEmpty, count: barWidth - filled), row: y, column: x, style: .dim)
        x = screen.put("] ", row: y, column: x)
        x = screen.put(data.state.rollout.description.leftPadded(6), row: y, column: x, style: .bold)
        let inPhase = Format.duration(data.now.timeIntervalSince(data.state.phaseSince))
        screen.put("  \(data.state.phase.terminalSafe) for \(inPhase) · v\(data.state.version) by \(data.state.changedBy.terminalSafe)",
                   row: y, column: x, maxWidth: rect.right - x)
    }

    static func renderProgress(_ data: ConsoleData, in rect: Rect, into screen: inout Screen) {
        guard rect.height > 0 else { return }
        let y = rect.top
        var x = screen.put("Progress ", row: y, column: rect.left, style: .bold)
        let series = data.traffic.values
        let hits = series["hit"]?.saturatingSum ?? 0
        let misses = series["miss"]?.saturatingSum ?? 0
        var parts: [String] = []
        if let total = data.gauge("backfill.total")?.value, total > 0 {
            let done = data.gauge("backfill.done")?.value ?? 0
            parts.append("migrated \(Format.count(Int64(clamping: done)))/\(Format.count(Int64(clamping: total))) \(Format.percent(min(1, max(0, done / total))))")
            let rate = recentCopyRate(data)
            if rate > 0 {
                parts.append("\(Format.compact(rate))/s")
                parts.append("ETA \(Format.duration(max(0, total - done) / rate))")
            }
        } else {
            let copied = (data.totals["miss"] ?? 0).saturatingAdding(data.totals["backfill"] ?? 0)
            parts.append("copied \(Format.count(copied)) (no backfill.total gauge yet)")
        }
        if hits > 0 || misses > 0 {
            parts.append("hit ratio \(Format.percent(Double(hits) / (Double(hits) + Double(misses)))) over \(data.window.label)")
        } else {
            parts.append("no reads counted over \(data.window.label)")
        }
        x = screen.put(parts.joined(separator: " · "), row: y, column: x, maxWidth: rect.right - x)
    }

    /// Records copied per second (misses + backfill) over the last quarter of the window.
    static func recentCopyRate(_ data: ConsoleData) -> Double {
        let series = data.traffic
        let count = series.values["miss"]?.count ?? 0
        let recent = max(1, count / 4)
        let copied = ["miss", "backfill"].map { series.values[$0]?.suffix(recent).saturatingSum ?? 0 }.saturatingSum
        return Double(copied) / (Double(recent) * Double(max(1, series.slotSeconds)))
    }
}
