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
    /// How long, for people: the one way migctl writes a duration (`migctl status`, the
    /// console, gate figures, sentences).
    ///
    /// The two largest units, the second with two digits so a countdown keeps its width, and
    /// left out when it is zero: `45s`, `1m 03s`, `1m 43s`, `2m`, `2h 05m`, `1h`, `3d 4h`, `7d`.
    /// Whole seconds, rounded down; negative and non-finite values read `0s`.
    public static func human(_ seconds: Double) -> String {
        let s: Int64 = seconds.isFinite && seconds > 0 ? Int64(min(seconds, 9e18).rounded(.down)) : 0
        func pair(_ big: Int64, _ bigUnit: String, _ small: Int64, _ smallUnit: String, padded: Bool) -> String {
            guard small > 0 else { return "\(big)\(bigUnit)" }
            return "\(big)\(bigUnit) " + (padded && small < 10 ? "0" : "") + "\(small)\(smallUnit)"
        }
        switch s {
        case ..<60: return "\(s)s"
        case ..<3600: return pair(s / 60, "m", s % 60, "s", padded: true)
        case ..<86_400: return pair(s / 3600, "h", s % 3600 / 60, "m", padded: true)
        default: return pair(s / 86_400, "d", s % 86_400 / 3600, "h", padded: false)
        }
    }
}
