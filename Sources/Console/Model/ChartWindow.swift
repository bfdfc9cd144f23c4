/// How much history the traffic chart shows; `w` cycles through them.
public enum ChartWindow: Int, Sendable, CaseIterable {
    case fifteenMinutes = 900
    case hour = 3600
    case day = 86_400
    case week = 604_800

    public var seconds: Int64 { Int64(rawValue) }

    public var label: String {
        switch self {
        case .fifteenMinutes: "15m"
        case .hour: "1h"
        case .day: "24h"
        case .week: "7d"
        }
    }

    /// The next window in the cycle.
    public var next: ChartWindow {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}
