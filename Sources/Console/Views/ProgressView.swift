import MigrationCore

/// The rollout bar and the migration's progress: records copied of the total, the backfill's recent
/// rate and ETA (or paused, throttled, no progress, done), the hit ratio (``ProgressFigures``).
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
        let x = screen.put("Progress ", row: y, column: rect.left, style: .bold)
        screen.put(ProgressFigures(data).parts.joined(separator: " · "), row: y, column: x, maxWidth: rect.right - x)
    }
}
