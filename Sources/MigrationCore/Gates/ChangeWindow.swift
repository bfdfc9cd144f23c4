import Foundation

/// A change window: the days and wall-clock hours, in a named time zone, during which a
/// window gate lets an irreversible move through.
///
/// A plan writes it as
///
/// ```yaml
/// - kind: window
///   days: [mon, tue, wed, thu]
///   hours: "09:00-16:00"
///   tz: Europe/Berlin
/// ```
///
/// and the gate asks ``verdict(at:zone:)`` with the zone loaded by ``ZoneInfo/load(_:directory:)``:
///
/// ```swift
/// let check = try WindowCheck(days: ["mon", "tue", "wed", "thu"], hours: "09:00-16:00", tz: "Europe/Berlin")
/// let verdict = check.verdict(at: now, zone: try ZoneInfo.load(check.zone))
/// verdict.sentence   // "closed: the window opens Mon 2026-03-30 09:00 CEST (in 14h 20m)"
/// ```
///
/// Hours whose end is before their start run overnight and belong to the day they start:
/// `fri` with `22:00-02:00` is open from Friday 22:00 to Saturday 02:00. An end of `24:00` is
/// midnight at the end of the day.
///
/// Across a change of the clocks, an opening of the window runs from the first instant the
/// clock shows its start to the first instant it shows its end. A start or end the clocks
/// skip (spring forward) is the instant the gap ends; a start or end they repeat (fall back)
/// is its first showing, so the window opens once and never closes early a second time.
public struct WindowCheck: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The days an opening may start on, in week order, each once.
    public let days: [Weekday]
    /// Minutes after midnight when the window opens: 0–1439.
    public let startMinute: Int
    /// Minutes after midnight when it closes: 0–1440. Less than ``startMinute``: the next day.
    public let endMinute: Int
    /// The IANA zone its hours are in, e.g. `Europe/Berlin` (the plan's `tz`).
    public let zone: String

    /// How far ahead ``verdict(at:zone:)`` looks for the next opening or closing: openings that
    /// start on this many calendar days after today (in the window's zone).
    public static let horizonDays = 8

    /// A window from its parts.
    ///
    /// - Throws: ``Problem`` when no day is given, a day is repeated, a minute is out of range,
    ///   the window is empty (it ends when it starts) or the zone name is refused.
    public init(days: [Weekday], startMinute: Int, endMinute: Int, zone: String) throws(Problem) {
        guard !days.isEmpty else { throw .noDays }
        var seen = Set<Weekday>()
        for day in days where !seen.insert(day).inserted { throw .repeatedDay(day.rawValue) }
        let hours = "\(Self.clock(startMinute))-\(Self.clock(endMinute))"
        guard (0..<1440).contains(startMinute), (0...1440).contains(endMinute) else { throw .malformedHours(hours) }
        guard startMinute != endMinute else { throw .emptyWindow(hours) }
        do { try ZoneInfo.checkName(zone) } catch { throw .invalidZone(error) }
        self.days = days.sorted()
        self.startMinute = startMinute
        self.endMinute = endMinute
        self.zone = zone
    }

    /// Parses a window gate as a plan writes it.
    ///
    /// ```swift
    /// try WindowCheck(days: ["fri"], hours: "22:00-02:00", tz: "UTC")   // overnight, Friday into Saturday
    /// ```
    ///
    /// - Parameters:
    ///   - days: `mon` … `sun`, lower case, each once.
    ///   - hours: `HH:MM-HH:MM` (an en dash also separates them); the end may be `24:00`.
    ///   - tz: an IANA zone name; only its spelling is checked here.
    /// - Throws: ``Problem``, whose ``Problem/field`` names the plan's field.
    public init(days: [String], hours: String, tz: String) throws(Problem) {
        var parsed: [Weekday] = []
        for name in days {
            guard let day = Weekday(rawValue: name) else { throw .unknownDay(name) }
            parsed.append(day)
        }
        guard let (start, end) = Self.parseHours(hours) else { throw .malformedHours(hours) }
        guard start != end else { throw .emptyWindow(hours) }
        try self.init(days: parsed, startMinute: start, endMinute: end, zone: tz)
    }

    /// Whether an opening ends on the day after it starts.
    public var isOvernight: Bool { endMinute < startMinute }

    /// `09:00–16:00`
    public var hours: String { "\(Self.clock(startMinute))–\(Self.clock(endMinute))" }

    /// `window mon–thu 09:00–16:00 Europe/Berlin`: a gate's label.
    public var description: String { "window \(Weekday.list(days)) \(hours) \(zone)" }

    // MARK: The verdict

    /// Whether the window is open at `now` in `zone`, until when, or when it next opens.
    ///
    /// A pure function: `zone` is the loaded ``zone``, and the answer looks ``horizonDays``
    /// calendar days ahead, so it finds the next opening of any weekly window unless the
    /// clocks skip that one.
    ///
    /// ```swift
    /// check.verdict(at: now, zone: berlin).isOpen
    /// ```
    public func verdict(at now: Date, zone: ZoneInfo) -> WindowVerdict {
        let instant = ZoneInfo.seconds(now)
        let localNow = zone.localTime(atSecond: instant)
        let today = (instant + Int64(localNow.utOffset)).floorDivided(by: 86_400)
        let lastDay = today + Int64(Self.horizonDays)
        // Yesterday too: an overnight opening may still be running.
        var openings: [(open: Int64, close: Int64, day: Int64)] = []
        for day in today - 1...lastDay where days.contains(Weekday(daysSince1970: day)) {
            let midnight = day * 86_400
            let open = zone.firstInstant(atOrAfterLocal: midnight + Int64(startMinute) * 60)
            let close = zone.firstInstant(atOrAfterLocal: midnight + Int64(endMinute + (isOvernight ? 1440 : 0)) * 60)
            if close > open { openings.append((open, close, day)) }
        }
        func when(_ instant: Int64) -> String {
            "\(zone.localTime(atSecond: instant)) (in \(Self.span(Double(instant) - now.timeIntervalSince1970)))"
        }
        if let index = openings.firstIndex(where: { $0.open <= instant && instant < $0.close }) {
            // Openings that touch (every day 00:00-24:00) close only at the end of the last.
            var close = openings[index].close, next = index + 1
            while next < openings.count, openings[next].open <= close {
                close = max(close, openings[next].close)
                next += 1
            }
            if next == openings.count, openings[next - 1].day == lastDay {
                return WindowVerdict(state: .open(closes: nil), observed: localNow.short,
                                     sentence: "open: the window does not close within the next \(Self.horizonDays - 1) days")
            }
            return WindowVerdict(state: .open(closes: Date(timeIntervalSince1970: TimeInterval(close))), observed: localNow.short,
                                 sentence: "open: the window closes \(when(close))")
        }
        // Every weekday comes round within the horizon, so only a change of the clocks can leave none.
        guard let opening = openings.first(where: { $0.open > instant }) else {
            return WindowVerdict(state: .closed(opens: nil), observed: localNow.short,
                                 sentence: "closed: the window does not open within the next \(Self.horizonDays) days (the clocks skip its hours)")
        }
        return WindowVerdict(state: .closed(opens: Date(timeIntervalSince1970: TimeInterval(opening.open))), observed: localNow.short,
                             sentence: "closed: the window opens \(when(opening.open))")
    }

    // MARK: Text

    /// `HH:MM-HH:MM` as start and end minutes, or nil.
    static func parseHours(_ text: String) -> (Int, Int)? {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count == 11, scalars[5] == "-" || scalars[5] == "–" else { return nil }
        func minutes(_ part: ArraySlice<Unicode.Scalar>) -> Int? {
            let part = Array(part)
            guard part[2] == ":" else { return nil }
            var digits: [Int] = []
            for scalar in part where scalar != ":" {
                guard ("0"..."9").contains(scalar) else { return nil }
                digits.append(Int(scalar.value) - 48)
            }
            let hour = digits[0] * 10 + digits[1], minute = digits[2] * 10 + digits[3]
            guard minute < 60, hour < 24 || (hour == 24 && minute == 0) else { return nil }
            return hour * 60 + minute
        }
        guard let start = minutes(scalars[0..<5]), start < 1440, let end = minutes(scalars[6..<11]) else { return nil }
        return (start, end)
    }

    /// `09:00`; `24:00` for 1440.
    static func clock(_ minute: Int) -> String {
        "\(ZoneInfo.LocalTime.digits(minute / 60)):\(ZoneInfo.LocalTime.digits(minute % 60))"
    }

    /// `14h 20m`, `3d 2h`, `44m 30s`, `30s`: a wait, in whole seconds rounded up (``Durations/human(_:)``).
    static func span(_ seconds: Double) -> String {
        Durations.human(seconds.isFinite ? seconds.rounded(.up) : 0)
    }

    // MARK: Coding

    enum CodingKeys: String, CodingKey {
        case days, startMinute, endMinute, zone
    }

    /// Decodes through the checks of ``init(days:startMinute:endMinute:zone:)``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(days: try container.decode([Weekday].self, forKey: .days),
                          startMinute: try container.decode(Int.self, forKey: .startMinute),
                          endMinute: try container.decode(Int.self, forKey: .endMinute),
                          zone: try container.decode(String.self, forKey: .zone))
        } catch let problem as Problem {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: problem.description))
        }
    }
}

// MARK: - The verdict

/// Whether a change window is open, and the sentence a gate shows for it.
public struct WindowVerdict: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        /// Open now, until `closes` (nil: not within the horizon).
        case open(closes: Date?)
        /// Closed now, until `opens` (nil: not within the horizon).
        case closed(opens: Date?)
    }

    public let state: State
    /// The wall clock in the window's zone at the time asked, e.g. `Sun 16:20 CEST`: the figure a gate shows.
    public let observed: String
    /// One sentence, e.g. `closed: the window opens Mon 2026-03-30 09:00 CEST (in 14h 20m)`.
    public let sentence: String

    public init(state: State, observed: String, sentence: String) {
        self.state = state
        self.observed = observed
        self.sentence = sentence
    }

    public var isOpen: Bool {
        if case .open = state { true } else { false }
    }
}

// MARK: - Weekdays

/// A day of the week as plans spell it, Monday first.
public enum Weekday: String, Sendable, Codable, CaseIterable, Comparable {
    case mon, tue, wed, thu, fri, sat, sun

    /// The weekday of a day counted from 1970-01-01, a Thursday.
    init(daysSince1970 days: Int64) {
        self = Self.allCases[Int((days + 3).floorModulo(7))]
    }

    /// 0 for Monday … 6 for Sunday.
    var index: Int { Self.allCases.firstIndex(of: self)! }

    /// `Mon`
    public var title: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.index < rhs.index }

    /// `mon–thu`, `mon, wed, fri`, `mon–wed, sat, sun`: runs of three or more days as a range.
    static func list(_ days: [Weekday]) -> String {
        var parts: [String] = [], run: [Weekday] = []
        func flush() {
            if run.count >= 3 { parts.append("\(run[0].rawValue)–\(run[run.count - 1].rawValue)") } else { parts += run.map(\.rawValue) }
            run = []
        }
        for day in days.sorted() {
            if let last = run.last, last.index + 1 != day.index { flush() }
            run.append(day)
        }
        flush()
        return parts.joined(separator: ", ")
    }
}

// MARK: - Problems

extension WindowCheck {
    /// Why a window gate in a plan is refused: one sentence that says what to write instead.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// `days` is empty.
        case noDays
        /// A day that is not `mon` … `sun`.
        case unknownDay(String)
        /// A day named twice.
        case repeatedDay(String)
        /// `hours` is not `HH:MM-HH:MM` with real times.
        case malformedHours(String)
        /// The window ends when it starts.
        case emptyWindow(String)
        /// The zone name is refused.
        case invalidZone(ZoneInfo.Problem)

        /// The plan field at fault: `days`, `hours` or `tz`.
        public var field: String {
            switch self {
            case .noDays, .unknownDay, .repeatedDay: "days"
            case .malformedHours, .emptyWindow: "hours"
            case .invalidZone: "tz"
            }
        }

        public var description: String {
            switch self {
            case .noDays:
                "a window needs at least one day; list them, e.g. [mon, tue, wed, thu]"
            case .unknownDay(let day):
                "'\(Self.shown(day))' is not a day; use mon, tue, wed, thu, fri, sat or sun (lower case)"
            case .repeatedDay(let day):
                "'\(day)' is listed twice; name each day once"
            case .malformedHours(let hours):
                "'\(Self.shown(hours))' is not a span of hours; write HH:MM-HH:MM, e.g. 09:00-16:00 (22:00-02:00 runs overnight, 24:00 is the end of the day)"
            case .emptyWindow(let hours):
                "'\(Self.shown(hours))' is an empty window: it ends when it starts; give it a length (00:00-24:00 is the whole day)"
            case .invalidZone(let problem):
                problem.description
            }
        }

        /// A value from a plan as it may be shown: terminal-safe, at most 40 characters.
        private static func shown(_ text: String) -> String {
            Limits.fits(text, 40) ? text.terminalSafe : String(text.unicodeScalars.prefix(40)).terminalSafe + "…"
        }
    }
}
