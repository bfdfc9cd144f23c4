import Foundation

/// The one text form of instants in the control database: ISO 8601 UTC with milliseconds,
/// `2026-11-25T12:58:08.123Z` — what SQLite's `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')` writes,
/// so other languages can produce and compare it.
///
/// migctl always writes that form. It reads, besides it, what foreign writers commonly
/// produce (see ``date(_:)``), so one instant written by hand does not stop every reader.
public enum Timestamp {
    /// `date` as stored in the control database, rounded to the nearest millisecond.
    ///
    /// Rounding (not truncating) makes the text round-trip: an instant parsed from
    /// `….300Z` is printed as `….300Z`, even though `0.3` has no exact binary form.
    public static func string(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        // Beyond year 9999 or before year 0 the form has no room; clamp rather than trap.
        let clamped = Int64(max(-62_167_219_200_000, min(253_402_300_799_999, milliseconds.isNaN ? 0 : milliseconds)))
        let seconds = clamped.floorDivided(by: 1000), millis = clamped - seconds * 1000
        let days = seconds.floorDivided(by: 86_400), secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        return String(format: "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                      year, month, day, secondOfDay / 3600, secondOfDay % 3600 / 60, secondOfDay % 60, millis)
    }

    /// Parses a stored instant. Accepted forms, all read as UTC unless they carry an offset:
    /// - `2026-11-25T12:58:08.123Z` (the canonical form), with any number of fraction digits or none;
    /// - `2026-11-25 12:58:08` (SQLite's `datetime('now')`), with or without a fraction;
    /// - `2026-11-25T12:58:08.123456+00:00` or without an offset (Python's `isoformat()`);
    /// - a number of seconds since 1970 (`1764158400` or `1764158400.25`).
    ///
    /// - Returns: nil for anything else, including impossible dates such as February 30.
    public static func date(_ text: String) -> Date? {
        var scanner = InstantScanner(text.utf8)
        return scanner.instant()
    }

    /// An instant written as a number of Unix seconds, when it is within years 0–9999.
    public static func date(unixSeconds: Double) -> Date? {
        guard unixSeconds.isFinite, (-62_167_219_200...253_402_300_799).contains(unixSeconds) else { return nil }
        return Date(timeIntervalSince1970: unixSeconds)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a number of days since 1970-01-01.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Reads one instant in the forms ``Timestamp/date(_:)`` accepts, byte by byte.
private struct InstantScanner {
    private let bytes: [UInt8]
    private var at = 0

    init(_ text: String.UTF8View) { bytes = Array(text) }

    mutating func instant() -> Date? {
        guard !bytes.isEmpty, bytes.count <= 64 else { return nil }
        if bytes.count < 10 || bytes[4] != UInt8(ascii: "-") { return unixSeconds() }
        guard let year = digits(4), literal("-"), let month = digits(2), literal("-"), let day = digits(2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              literal("T") || literal("t") || literal(" "),
              let hour = digits(2), literal(":"), let minute = digits(2), literal(":"), let second = digits(2),
              hour < 24, minute < 60, second < 60 else { return nil }
        var fraction = 0.0
        if literal(".") {
            var scale = 0.1, any = false
            while let digit = digit() {
                fraction += Double(digit) * scale
                scale /= 10
                any = true
            }
            guard any else { return nil }
        }
        var offset: Int64 = 0
        if literal("Z") || literal("z") {
        } else if at < bytes.count {
            let sign: Int64
            if literal("+") { sign = 1 } else if literal("-") { sign = -1 } else { return nil }
            guard let hours = digits(2), hours < 24 else { return nil }
            _ = literal(":")
            guard let minutes = digits(2), minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        }
        guard at == bytes.count else { return nil }
        let seconds = Timestamp.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    private func unixSeconds() -> Date? {
        guard bytes.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: ".") }),
              let value = Double(String(decoding: bytes, as: UTF8.self)) else { return nil }
        return Timestamp.date(unixSeconds: value)
    }

    private mutating func literal(_ character: Unicode.Scalar) -> Bool {
        guard at < bytes.count, bytes[at] == UInt8(ascii: character) else { return false }
        at += 1
        return true
    }

    private mutating func digit() -> Int64? {
        guard at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) else { return nil }
        defer { at += 1 }
        return Int64(bytes[at] - UInt8(ascii: "0"))
    }

    private mutating func digits(_ count: Int) -> Int64? {
        var value: Int64 = 0
        for _ in 0..<count {
            guard let digit = digit() else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    private func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
