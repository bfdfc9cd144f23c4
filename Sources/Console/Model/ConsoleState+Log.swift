import MigrationCore

extension ConsoleState {
    /// Scroll keys of the log view.
    mutating func scrollLog(_ key: Key, data: ConsoleData?) -> Bool {
        guard view == .log || view == .mismatches else { return false }
        let delta: Int
        switch key {
        case .up, .character("k"): delta = -1
        case .down, .character("j"): delta = 1
        case .pageUp: delta = -10
        case .pageDown, .character(" "): delta = 10
        case .home: delta = Int.min / 2
        case .end: delta = Int.max / 2
        default: return false
        }
        let rows = view == .log ? data?.recentEvents.count : data?.mismatches.count
        let limit = max(0, (rows ?? 0) - 1)
        logScroll = min(max(0, logScroll + delta), limit)
        return true
    }
}
