/// Durations as plans and commands write them: `90s`, `15m`, `1h`, `7d`, or a number of seconds.
public enum Durations {
    /// The longest duration a plan may give: ten years.
    public static let maximumSeconds: Int64 = 3650 * 86_400

    /// The number of seconds `text` stands for, or nil when it is not a positive duration
    /// of at most ``maximumSeconds``.
    public static func seconds(_ text: String) -> Int64? {
        let trimmed = text.trimmingWhitespace()
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        var digits = Substring(trimmed)
        var unit: Int64 = 1
        if let last = trimmed.last, let size = units[last] {
            unit = size
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let value = Int64(digits) else { return nil }
        let (seconds, overflow) = value.multipliedReportingOverflow(by: unit)
        return overflow || seconds <= 0 || seconds > maximumSeconds ? nil : seconds
    }
}

extension Durations {
    /// `42s`, `5m 10s`, `2h 5m`, `3d 4h`: how long, for people.
    public static func human(_ seconds: Double) -> String {
        let s = max(0, Int(clamping: seconds))
        switch s {
        case ..<60: return "\(s)s"
        case ..<3600: return "\(s / 60)m \(s % 60)s"
        case ..<86_400: return "\(s / 3600)h \(s % 3600 / 60)m"
        default: return "\(s / 86_400)d \(s % 86_400 / 3600)h"
        }
    }
}
