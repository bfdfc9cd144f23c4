/// How much history the traffic chart shows; `w` cycles through them.
///
/// The console opens on the window that fits the current phase's age (``fitting(_:)``), so a
/// phase entered five minutes ago fills the chart instead of a few columns of an hour.
public enum ChartWindow: Int, Sendable, CaseIterable {
    case fiveMinutes = 300
    case fifteenMinutes = 900
    case hour = 3600
    case sixHours = 21_600
    case day = 86_400
    case week = 604_800

    public var seconds: Int64 { Int64(rawValue) }

    public var label: String {
        switch self {
        case .fiveMinutes: "5m"
        case .fifteenMinutes: "15m"
        case .hour: "1h"
        case .sixHours: "6h"
        case .day: "24h"
        case .week: "7d"
        }
    }

    /// The next window in the cycle.
    public var next: ChartWindow {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }

    /// The smallest window that covers `seconds` of history (the longest when none does).
    ///
    /// ```swift
    /// ChartWindow.fitting(4 * 60)     // .fiveMinutes
    /// ChartWindow.fitting(2 * 3600)   // .sixHours
    /// ```
    public static func fitting(_ seconds: Double) -> ChartWindow {
        allCases.first { Double($0.seconds) >= seconds } ?? .week
    }
}
