import Foundation

/// The one text form of instants in the control database: ISO 8601 UTC with milliseconds,
/// `2026-11-25T12:58:08.123Z` — what SQLite's `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')` writes,
/// so other languages can produce and compare it.
public enum Timestamp {
    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
    private static let withoutFraction = Date.ISO8601FormatStyle(timeZone: .gmt)

    /// `date` as stored in the control database.
    public static func string(_ date: Date) -> String {
        withFraction.format(date)
    }

    /// Parses a stored instant, with or without milliseconds.
    public static func date(_ text: String) -> Date? {
        (try? withFraction.parse(text)) ?? (try? withoutFraction.parse(text))
    }
}
