import Foundation
import MigrationCore

/// Number and time formats the views share, independent of the machine's locale.
enum Format {
    /// `1,234,567`
    static func count(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, digit) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// `950`, `12.3k`, `4.5M`: short rates and scales.
    static func compact(_ value: Double) -> String {
        switch abs(value) {
        case ..<1: value == 0 ? "0" : String(format: "%.2f", value)
        case ..<10: String(format: "%.1f", value)
        case ..<1000: String(format: "%.0f", value)
        case ..<1_000_000: String(format: "%.1fk", value / 1000)
        default: String(format: "%.1fM", value / 1_000_000)
        }
    }

    /// `42s`, `5m 10s`, `2h 5m`, `3d 4h`
    static func duration(_ seconds: Double) -> String { Durations.human(seconds) }

    /// `13:05:22` in UTC.
    static func clock(_ date: Date) -> String {
        let s = Int(Int64(clamping: date.timeIntervalSince1970).floorModulo(86_400))
        return String(format: "%02d:%02d:%02d", s / 3600, s % 3600 / 60, s % 60)
    }

    /// `2026-11-25 13:05:22` in UTC.
    static func dateTime(_ date: Date) -> String {
        String(Timestamp.string(date).prefix(19).replacingOccurrences(of: "T", with: " "))
    }

    /// `12.5%` for a share of 0...1.
    static func percent(_ share: Double) -> String {
        String(format: "%.1f%%", share * 100)
    }

    /// `14:02` for an instant within 20 hours of `now`, else `2027-01-14 14:02` (UTC).
    static func moment(_ date: Date, now: Date) -> String {
        abs(now.timeIntervalSince(date)) < 20 * 3600 ? String(clock(date).prefix(5)) : String(dateTime(date).prefix(16))
    }

    /// `text` made terminal-safe and cut to `columns` terminal columns, an `…` marking the cut
    /// (or `ellipsis`: `...` on an ASCII terminal, ``Glyphs/ellipsis``).
    ///
    /// Only the head of the text is looked at, so a value of megabytes, or one character with
    /// thousands of combining marks, costs no more than a short one.
    static func clip(_ text: String, _ columns: Int, ellipsis: String = "…") -> String {
        guard columns > ellipsis.count else { return String(ellipsis.prefix(max(0, columns))) }
        let limit = columns * 4 + 8
        let head = String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit))).terminalSafe
        let cut = !text.unicodeScalars.dropFirst(limit).isEmpty
        if !cut, DisplayWidth.of(head) <= columns { return head }
        return String(head.prefix(columns: max(1, columns - ellipsis.count))) + ellipsis
    }
}
