import Foundation

/// A time zone read from the system's tz database: a TZif file (RFC 8536) under `$TZDIR`,
/// else `/usr/share/zoneinfo` (Debian's `tzdata` package).
///
/// The window gate judges wall-clock hours in a named zone. It reads the operating system's
/// own files rather than Foundation's `TimeZone`, which answers from ICU's bundled copy and
/// can disagree with `date` and `zdump` on the same machine after a tz update.
///
/// A file's 64-bit section is read (the 32-bit one when that is all there is): its
/// transitions, its local time types and its footer, a POSIX TZ string such as
/// `CET-1CEST,M3.5.0,M10.5.0/3` that rules every instant from the last transition on (in a
/// "slim" file the footer is nearly everything).
///
/// ```swift
/// let berlin = try ZoneInfo.load("Europe/Berlin")
/// berlin.offset(at: now)                 // 7200 in summer
/// berlin.abbreviation(at: now)           // "CEST"
/// berlin.instants(year: 2026, month: 3, day: 29, hour: 2, minute: 30, second: 0)   // [] (spring forward)
/// ```
///
/// Zone names and files are untrusted: a name that could leave the database is refused, and
/// so is a file that is not TZif, is truncated, or declares more than a real zone needs.
public struct ZoneInfo: Sendable, Equatable {
    /// The zone's name as given, e.g. `Europe/Berlin`.
    public let name: String
    /// Transition instants (Unix seconds), strictly ascending.
    let transitions: [Int64]
    /// For each transition, the index into `types` it switches to.
    let transitionTypes: [UInt8]
    /// The local time types; the first one rules before the first transition.
    let types: [LocalTimeType]
    /// The footer's rule for instants on or after the last transition, when the file has one.
    let rule: PosixRule?

    /// The folder read when neither `directory:` nor `$TZDIR` names one.
    public static let systemDirectory = "/usr/share/zoneinfo"
    /// The longest zone name accepted (the longest IANA name is 32 characters).
    public static let nameLimit = 64
    /// The largest file read: real zones are a few KiB.
    static let fileBytes = 256 << 10
    /// Transitions in one section: zic's own reader stops at 2000; Debian's largest "fat" zone has a few hundred.
    static let transitionLimit = 4096
    /// Local time types in one section (each transition names one by a byte).
    static let typeLimit = 256
    /// Bytes of abbreviations in one section.
    static let abbreviationBytesLimit = 1024
    /// Leap-second records in one section (only `right/` zones have any; they are refused).
    static let leapLimit = 1024
    /// The footer's length.
    static let footerLimit = 256

    // MARK: Loading

    /// Reads the zone `name` from the tz database.
    ///
    /// ```swift
    /// let tokyo = try ZoneInfo.load("Asia/Tokyo")
    /// let fake = try ZoneInfo.load("Test/Zone", directory: folder)   // tests
    /// ```
    ///
    /// - Parameters:
    ///   - name: an IANA name such as `Europe/Berlin`; see ``checkName(_:)``.
    ///   - directory: the database's folder; nil reads `$TZDIR` when set and not empty, else
    ///     ``systemDirectory``.
    /// - Throws: ``Problem`` when the name is refused, the zone does not exist, or its file
    ///   cannot be read or is not a usable TZif file.
    public static func load(_ name: String, directory: String? = nil) throws(Problem) -> ZoneInfo {
        try checkName(name)
        let folder = directory ?? ProcessInfo.processInfo.environment["TZDIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? systemDirectory
        let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
        let bytes = try readFile(path, name: name, folder: folder)
        do {
            return try ZoneInfo(name: name, parsing: bytes)
        } catch {
            throw .malformed(name: name, path: path, reason: error.reason)
        }
    }

    /// Reads a zone from the bytes of a TZif file, without touching the file system.
    ///
    /// ```swift
    /// let zone = try ZoneInfo(name: "Europe/Berlin", tzif: Array(data))
    /// ```
    ///
    /// - Throws: ``Problem/malformed(name:path:reason:)`` (with `path` `given bytes`) when the bytes
    ///   are not a usable TZif file; the name itself is not checked.
    public init(name: String, tzif bytes: [UInt8]) throws(Problem) {
        do {
            try self.init(name: name, parsing: bytes)
        } catch {
            throw .malformed(name: name, path: "given bytes", reason: error.reason)
        }
    }

    /// Refuses a zone name that could leave the database or is not one the database could hold.
    ///
    /// A name is 1–64 of `A-Z a-z 0-9 _ + - /`, with no empty part, no leading `/` and no `..`.
    ///
    /// - Throws: ``Problem/invalidName(_:reason:)``.
    public static func checkName(_ name: String) throws(Problem) {
        func refuse(_ reason: String) -> Problem { .invalidName(name, reason: reason) }
        guard !name.isEmpty else { throw refuse("it is empty") }
        guard Limits.fits(name, nameLimit) else { throw refuse("it is longer than \(nameLimit) characters") }
        guard !name.hasPrefix("/") else { throw refuse("it is an absolute path") }
        guard !name.contains("..") else { throw refuse("it contains '..'") }
        let allowed = name.unicodeScalars.allSatisfy {
            ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || "_+-/".unicodeScalars.contains($0)
        }
        guard allowed else { throw refuse("it has characters other than letters, digits, '_', '+', '-' and '/'") }
        guard !name.split(separator: "/", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
            throw refuse("it has an empty part between slashes")
        }
    }

    /// The file's bytes, refusing what is missing, not a regular file, or too big.
    private static func readFile(_ path: String, name: String, folder: String) throws(Problem) -> [UInt8] {
        // O_NONBLOCK so that a FIFO planted in the folder cannot hang the open.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .unknownZone(name: name, directory: folder) }
            throw .unreadable(name: name, path: path, message: String(cString: strerror(code)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .unreadable(name: name, path: path, message: String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw .malformed(name: name, path: path, reason: "is not a regular file (a folder of zones, perhaps)")
        }
        guard Int64(info.st_size) <= Int64(fileBytes) else {
            throw .malformed(name: name, path: path, reason: "is bigger than \(Limits.bytes(fileBytes)), far more than any zone needs")
        }
        var bytes = [UInt8](repeating: 0, count: fileBytes + 1)
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if got == 0 { break }
            if got < 0 {
                if errno == EINTR { continue }
                throw .unreadable(name: name, path: path, message: String(cString: strerror(errno)))
            }
            count += got
        }
        guard count <= fileBytes else {
            throw .malformed(name: name, path: path, reason: "is bigger than \(Limits.bytes(fileBytes)), far more than any zone needs")
        }
        return Array(bytes[..<count])
    }

    // MARK: Instants to local time

    /// Seconds east of UTC in effect at `date`, e.g. `3600` for CET and `-14400` for EDT.
    public func offset(at date: Date) -> Int {
        type(at: Self.seconds(date)).utOffset
    }

    /// The abbreviation in effect at `date`, e.g. `CEST`, `JST` or `+1030`.
    public func abbreviation(at date: Date) -> String {
        type(at: Self.seconds(date)).abbreviation
    }

    /// Whether daylight saving time is in effect at `date`.
    public func isDaylightSaving(at date: Date) -> Bool {
        type(at: Self.seconds(date)).isDaylightSaving
    }

    /// The wall clock at `date` in this zone.
    ///
    /// ```swift
    /// berlin.localTime(at: date).description    // "Mon 2026-03-30 09:00 CEST"
    /// ```
    public func localTime(at date: Date) -> LocalTime {
        localTime(atSecond: Self.seconds(date))
    }

    func localTime(atSecond instant: Int64) -> LocalTime {
        let type = type(at: instant)
        let local = instant + Int64(type.utOffset)
        let days = local.floorDivided(by: 86_400), second = local - days * 86_400
        let (year, month, day) = Timestamp.civil(fromDays: days)
        return LocalTime(year: Int(year), month: Int(month), day: Int(day), hour: Int(second / 3600),
                         minute: Int(second % 3600 / 60), second: Int(second % 60), weekday: Weekday(daysSince1970: days),
                         utOffset: type.utOffset, abbreviation: type.abbreviation, isDaylightSaving: type.isDaylightSaving)
    }

    // MARK: Local time to instants

    /// The instants at which the wall clock in this zone shows the given time, earliest first.
    ///
    /// Usually one; none when the time falls in a gap (the hour skipped when clocks spring
    /// forward) and two when it falls in an overlap (the hour repeated when they fall back).
    /// Out-of-range fields carry over like `timegm`'s: hour 24 is midnight of the next day.
    ///
    /// ```swift
    /// berlin.instants(year: 2026, month: 3, day: 29, hour: 2, minute: 30, second: 0).count    // 0
    /// berlin.instants(year: 2026, month: 10, day: 25, hour: 2, minute: 30, second: 0).count   // 2
    /// ```
    public func instants(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int = 0) -> [Date] {
        instants(atLocal: Self.localSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
            .map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// The earliest instant at which the wall clock shows the given time or a later one: the
    /// first of ``instants(year:month:day:hour:minute:second:)`` when there are any, else (in a
    /// gap) the instant the gap ends.
    ///
    /// ```swift
    /// berlin.firstInstant(year: 2026, month: 3, day: 29, hour: 2, minute: 30)   // 01:00 UTC, when clocks show 03:00
    /// ```
    public func firstInstant(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int = 0) -> Date {
        let local = Self.localSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return Date(timeIntervalSince1970: TimeInterval(firstInstant(atOrAfterLocal: local)))
    }

    /// Every `t` with `t + offset(t) == local`, where `local` counts wall-clock seconds since
    /// 1970-01-01 00:00 as if the zone were UTC.
    func instants(atLocal local: Int64) -> [Int64] {
        var found: [Int64] = []
        walkPeriods(from: local - Self.widestOffset, through: local + Self.widestOffset) { start, end, offset in
            let candidate = local - Int64(offset)
            if candidate >= start, candidate < end, found.last != candidate { found.append(candidate) }
            return false
        }
        return found
    }

    /// The least `t` with `t + offset(t) >= local`: the first time the wall clock reaches `local`.
    func firstInstant(atOrAfterLocal local: Int64) -> Int64 {
        var found = local
        // Before `local - widestOffset` the wall clock is below `local` under any offset, so
        // the answer is in the first period (in time) in which the clock reaches `local`.
        walkPeriods(from: local - Self.widestOffset, through: nil) { start, end, offset in
            let candidate = max(start, local - Int64(offset))
            guard candidate < end else { return false }
            found = candidate
            return true
        }
        return found
    }

    /// Calls `body` with each period of constant local time type that overlaps `from…through`,
    /// in order, as `start..<end` (clipped to begin at `from`) and its offset, until `body`
    /// returns true or the periods pass `through` (nil: until `body` stops it).
    private func walkPeriods(from: Int64, through: Int64?, _ body: (Int64, Int64, Int) -> Bool) {
        var start = from
        while true {
            let next = nextTransition(after: start) ?? Self.lastInstant
            if body(start, next, type(at: start).utOffset) { return }
            if next >= Self.lastInstant { return }
            if let through, next > through { return }
            start = next
        }
    }

    // MARK: The data

    /// The local time type in effect at `instant`.
    func type(at instant: Int64) -> LocalTimeType {
        guard let first = transitions.first else { return rule?.type(at: instant) ?? types[0] }
        guard instant >= first else { return types[0] }
        // The last transition at or before `instant`.
        var low = 0, high = transitions.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if transitions[middle] <= instant { low = middle } else { high = middle - 1 }
        }
        if low == transitions.count - 1, let rule { return rule.type(at: instant) }
        return types[Int(transitionTypes[low])]
    }

    /// The first transition after `instant`, from the table or else the footer's rule.
    func nextTransition(after instant: Int64) -> Int64? {
        if let last = transitions.last, instant < last {
            var low = 0, high = transitions.count - 1
            while low < high {
                let middle = (low + high) / 2
                if transitions[middle] > instant { high = middle } else { low = middle + 1 }
            }
            return transitions[low]
        }
        return rule?.nextTransition(after: instant)
    }

    /// Any UT offset is within ±26 hours (RFC 8536 allows -25:59:59 to 25:59:59).
    static let widestOffset: Int64 = 26 * 3600
    /// Instants are clamped to about ±300,000 years, so calendar arithmetic never overflows.
    static let lastInstant: Int64 = 10_000_000_000_000

    /// `date` as whole Unix seconds, rounded down and clamped.
    static func seconds(_ date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        return max(-lastInstant, min(lastInstant, Int64(clamping: seconds)))
    }

    /// Wall-clock seconds since 1970-01-01 00:00, with every field carried over.
    static func localSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64 {
        func clamp(_ value: Int, _ limit: Int64) -> Int64 { max(-limit, min(limit, Int64(value))) }
        let monthIndex = clamp(month, 1_000_000_000) - 1
        let year = clamp(year, 100_000) + monthIndex.floorDivided(by: 12)
        let days = Timestamp.days(year: year, month: monthIndex.floorModulo(12) + 1, day: 1) + clamp(day, 1_000_000_000) - 1
        let seconds = days * 86_400 + clamp(hour, 1_000_000_000) * 3600 + clamp(minute, 1_000_000_000) * 60 + clamp(second, 1_000_000_000)
        return max(-lastInstant, min(lastInstant, seconds))
    }
}

// MARK: - Local time

extension ZoneInfo {
    /// A wall-clock time in a zone, with what the zone calls it.
    public struct LocalTime: Sendable, Hashable, CustomStringConvertible {
        public let year: Int
        /// 1–12.
        public let month: Int
        /// 1–31.
        public let day: Int
        /// 0–23.
        public let hour: Int
        public let minute: Int
        public let second: Int
        public let weekday: Weekday
        /// Seconds east of UTC.
        public let utOffset: Int
        /// E.g. `CEST`.
        public let abbreviation: String
        public let isDaylightSaving: Bool

        /// `Mon 2026-03-30 09:00 CEST`
        public var description: String {
            "\(weekday.title) \(Self.digits(year, 4))-\(Self.digits(month))-\(Self.digits(day)) \(Self.digits(hour)):\(Self.digits(minute)) \(abbreviation)"
        }

        /// `Mon 09:00 CEST`
        public var short: String {
            "\(weekday.title) \(Self.digits(hour)):\(Self.digits(minute)) \(abbreviation)"
        }

        /// `value` with leading zeros to `width` digits (a sign first when negative).
        static func digits(_ value: Int, _ width: Int = 2) -> String {
            let text = String(value.magnitude)
            return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - text.count)) + text
        }
    }

    /// One local time type of a zone: its offset, whether it is daylight saving time, and its abbreviation.
    struct LocalTimeType: Sendable, Equatable {
        var utOffset: Int
        var isDaylightSaving: Bool
        var abbreviation: String
    }
}

// MARK: - Problems

extension ZoneInfo {
    /// Why a zone cannot be used. Each reads as one sentence that says what to do (without a full stop,
    /// like a gate's sentence).
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The name is refused before any file is opened.
        case invalidName(String, reason: String)
        /// The database has no such zone.
        case unknownZone(name: String, directory: String)
        /// The file is there but could not be read.
        case unreadable(name: String, path: String, message: String)
        /// The file is not a usable TZif file; `reason` completes "the file …".
        case malformed(name: String, path: String, reason: String)

        public var description: String {
            switch self {
            case .invalidName(let name, let reason):
                "'\(Self.shown(name))' is not a time zone name (\(reason)); use an IANA name such as Europe/Berlin"
            case .unknownZone(let name, let directory):
                "there is no time zone '\(name)' in \(directory.terminalSafe); check the name (e.g. Europe/Berlin) or install the tzdata package"
            case .unreadable(let name, let path, let message):
                "could not read the time zone '\(name)' at \(path.terminalSafe): \(message)"
            case .malformed(let name, let path, let reason):
                "the file of the time zone '\(Self.shown(name))' (\(path.terminalSafe)) \(reason); reinstall the tzdata package or point TZDIR at a good tz database"
            }
        }

        /// A name as it may be shown: terminal-safe and at most 64 characters.
        private static func shown(_ name: String) -> String {
            Limits.fits(name, ZoneInfo.nameLimit) ? name.terminalSafe : String(name.unicodeScalars.prefix(ZoneInfo.nameLimit)).terminalSafe + "…"
        }
    }
}

// MARK: - Reading TZif

/// Why bytes are not a usable TZif file, completing "the file …".
struct TZifMalformed: Error {
    let reason: String
    static let truncated = TZifMalformed(reason: "is truncated")
}

extension ZoneInfo {
    init(name: String, parsing bytes: [UInt8]) throws(TZifMalformed) {
        var reader = ByteReader(bytes: bytes)
        let first = try TZifHeader(&reader)
        let section: TZifSection
        var rule: PosixRule?
        if first.version == 0 {
            section = try TZifSection(&reader, first, timeSize: 4)
        } else {
            try reader.skip(first.sectionBytes(timeSize: 4))
            let second = try TZifHeader(&reader)
            section = try TZifSection(&reader, second, timeSize: 8)
            rule = try Self.footer(&reader)
        }
        self.name = name
        self.transitions = section.transitions
        self.transitionTypes = section.transitionTypes
        self.types = section.types
        self.rule = rule
    }

    /// The footer: a POSIX TZ string between newlines; empty means none.
    private static func footer(_ reader: inout ByteReader) throws(TZifMalformed) -> PosixRule? {
        guard try reader.byte() == UInt8(ascii: "\n") else { throw TZifMalformed(reason: "has no footer after its data") }
        var text: [UInt8] = []
        while true {
            let byte = try reader.byte()
            if byte == UInt8(ascii: "\n") { break }
            guard text.count < footerLimit else { throw TZifMalformed(reason: "has a footer longer than \(footerLimit) bytes") }
            guard (0x20...0x7E).contains(byte) else { throw TZifMalformed(reason: "has a footer that is not printable ASCII") }
            text.append(byte)
        }
        guard !text.isEmpty else { return nil }
        guard let rule = PosixRule(text) else {
            throw TZifMalformed(reason: "has a footer, '\(String(decoding: text, as: UTF8.self))', that is not a POSIX TZ string")
        }
        return rule
    }
}

/// A TZif header's version and counts, checked against the limits.
private struct TZifHeader {
    let version: UInt8
    let isUTCount, isStandardCount, leapCount, transitionCount, typeCount, abbreviationBytes: Int

    init(_ reader: inout ByteReader) throws(TZifMalformed) {
        let first = reader.offset == 0
        guard reader.remaining >= 44 else { throw first ? TZifMalformed(reason: "is not a TZif file (too short)") : .truncated }
        guard try reader.bytes(4) == Array("TZif".utf8) else {
            throw TZifMalformed(reason: first ? "is not a TZif file" : "is not a TZif file (its second header is damaged)")
        }
        version = try reader.byte()
        try reader.skip(15)
        isUTCount = Int(try reader.uint32())
        isStandardCount = Int(try reader.uint32())
        leapCount = Int(try reader.uint32())
        transitionCount = Int(try reader.uint32())
        typeCount = Int(try reader.uint32())
        abbreviationBytes = Int(try reader.uint32())
        func over(_ count: Int, _ limit: Int, _ what: String) throws(TZifMalformed) {
            guard count <= limit else { throw TZifMalformed(reason: "declares \(count) \(what), more than the \(limit) a zone may have") }
        }
        try over(transitionCount, ZoneInfo.transitionLimit, "transitions")
        try over(typeCount, ZoneInfo.typeLimit, "local time types")
        try over(abbreviationBytes, ZoneInfo.abbreviationBytesLimit, "bytes of abbreviations")
        try over(leapCount, ZoneInfo.leapLimit, "leap seconds")
        guard typeCount > 0 else { throw TZifMalformed(reason: "declares no local time type") }
        guard abbreviationBytes > 0 else { throw TZifMalformed(reason: "declares no abbreviations") }
        guard isUTCount == 0 || isUTCount == typeCount, isStandardCount == 0 || isStandardCount == typeCount else {
            throw TZifMalformed(reason: "declares standard/UT indicator counts that do not match its local time types")
        }
    }

    /// The size of the data that follows, with `timeSize`-byte times.
    func sectionBytes(timeSize: Int) -> Int {
        transitionCount * (timeSize + 1) + typeCount * 6 + abbreviationBytes + leapCount * (timeSize + 4) + isStandardCount + isUTCount
    }
}

/// One data section of a TZif file, checked.
private struct TZifSection {
    var transitions: [Int64] = []
    var transitionTypes: [UInt8] = []
    var types: [ZoneInfo.LocalTimeType] = []

    init(_ reader: inout ByteReader, _ header: TZifHeader, timeSize: Int) throws(TZifMalformed) {
        guard reader.remaining >= header.sectionBytes(timeSize: timeSize) else { throw .truncated }
        guard header.leapCount == 0 else {
            throw TZifMalformed(reason: "counts leap seconds (a right/ zone), which civil time does not; name the zone without right/")
        }
        transitions.reserveCapacity(header.transitionCount)
        for _ in 0..<header.transitionCount {
            let time = timeSize == 8 ? try reader.int64() : Int64(Int32(bitPattern: try reader.uint32()))
            if let last = transitions.last, time <= last {
                throw TZifMalformed(reason: "has transitions out of order")
            }
            transitions.append(time)
        }
        for _ in 0..<header.transitionCount {
            let index = try reader.byte()
            guard Int(index) < header.typeCount else { throw TZifMalformed(reason: "has a transition to a local time type it does not define") }
            transitionTypes.append(index)
        }
        var raw: [(offset: Int32, isDST: UInt8, abbreviation: Int)] = []
        for _ in 0..<header.typeCount {
            raw.append((Int32(bitPattern: try reader.uint32()), try reader.byte(), Int(try reader.byte())))
        }
        let abbreviations = try reader.bytes(header.abbreviationBytes)
        try reader.skip(header.isStandardCount + header.isUTCount)
        for (offset, isDST, index) in raw {
            guard (-89_999...93_599).contains(offset) else {
                throw TZifMalformed(reason: "has a UT offset of \(offset) seconds, beyond the ±26 hours a zone may have")
            }
            guard isDST <= 1 else { throw TZifMalformed(reason: "has a daylight saving flag that is neither 0 nor 1") }
            guard index < abbreviations.count, let end = abbreviations[index...].firstIndex(of: 0) else {
                throw TZifMalformed(reason: "has an abbreviation outside its abbreviation bytes")
            }
            let abbreviation = abbreviations[index..<end]
            guard (1...16).contains(abbreviation.count), abbreviation.allSatisfy(PosixRule.isAbbreviationByte) else {
                throw TZifMalformed(reason: "has an abbreviation that is not 1–16 letters, digits, '+' or '-'")
            }
            types.append(.init(utOffset: Int(offset), isDaylightSaving: isDST == 1,
                               abbreviation: String(decoding: abbreviation, as: UTF8.self)))
        }
    }
}

/// Reads big-endian numbers from bytes, refusing to read past the end.
private struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    var remaining: Int { bytes.count - offset }

    mutating func skip(_ count: Int) throws(TZifMalformed) {
        guard count <= remaining else { throw .truncated }
        offset += count
    }

    mutating func byte() throws(TZifMalformed) -> UInt8 {
        guard remaining >= 1 else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bytes(_ count: Int) throws(TZifMalformed) -> [UInt8] {
        guard count <= remaining else { throw .truncated }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func uint32() throws(TZifMalformed) -> UInt32 {
        try bytes(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func int64() throws(TZifMalformed) -> Int64 {
        Int64(bitPattern: try bytes(8).reduce(0) { $0 << 8 | UInt64($1) })
    }
}

// MARK: - The footer's POSIX TZ rule

/// A POSIX TZ string as TZif footers use it (RFC 8536 section 3.3, with version 3's
/// extension of rule times to -167…167 hours), e.g. `CET-1CEST,M3.5.0,M10.5.0/3`.
struct PosixRule: Sendable, Equatable {
    var standard: ZoneInfo.LocalTimeType
    var daylight: Daylight?

    /// Daylight saving time and when it starts and ends each year.
    struct Daylight: Sendable, Equatable {
        var type: ZoneInfo.LocalTimeType
        var start: RuleDate
        /// Seconds after local midnight (standard time) when it starts.
        var startTime: Int64
        var end: RuleDate
        /// Seconds after local midnight (daylight time) when it ends.
        var endTime: Int64
    }

    /// A day of the year.
    enum RuleDate: Sendable, Equatable {
        /// `Jn`: 1–365, February 29 never counted.
        case julian(Int64)
        /// `n`: 0–365, February 29 counted.
        case zeroBased(Int64)
        /// `Mm.w.d`: weekday `d` (0 Sunday) of week `w` (5 the last) of month `m`.
        case monthWeekDay(month: Int64, week: Int64, weekday: Int64)

        /// Days since 1970-01-01 of this date in `year`.
        func days(in year: Int64) -> Int64 {
            let january1 = Timestamp.days(year: year, month: 1, day: 1)
            switch self {
            case .julian(let n):
                let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
                return january1 + n - 1 + (leap && n >= 60 ? 1 : 0)
            case .zeroBased(let n):
                return january1 + n
            case .monthWeekDay(let month, let week, let weekday):
                let first = Timestamp.days(year: year, month: month, day: 1)
                let nextMonth = month == 12 ? Timestamp.days(year: year + 1, month: 1, day: 1)
                                            : Timestamp.days(year: year, month: month + 1, day: 1)
                // 1970-01-01 was a Thursday (4, counting from Sunday).
                var day = first + (weekday - (first + 4).floorModulo(7)).floorModulo(7) + 7 * (week - 1)
                while day >= nextMonth { day -= 7 }
                return day
            }
        }
    }

    /// The local time type the rule gives `instant`.
    func type(at instant: Int64) -> ZoneInfo.LocalTimeType {
        guard let daylight else { return standard }
        let year = Self.year(of: instant)
        var current = standard
        for event in events(years: year - 1...year + 1) where event.at <= instant {
            current = event.startsDaylight ? daylight.type : standard
        }
        return current
    }

    /// The first change of type the rule makes after `instant`.
    func nextTransition(after instant: Int64) -> Int64? {
        guard daylight != nil else { return nil }
        let year = Self.year(of: instant)
        return events(years: year - 1...year + 2).first { $0.at > instant }?.at
    }

    /// The starts and ends of daylight time in `years`, in order; at one instant an end comes
    /// before a start, so a zone on daylight time all year (`,0/0,J365/25`) stays on it.
    private func events(years: ClosedRange<Int64>) -> [(at: Int64, startsDaylight: Bool)] {
        guard let daylight else { return [] }
        var events: [(at: Int64, startsDaylight: Bool)] = []
        for year in years {
            events.append((daylight.start.days(in: year) * 86_400 + daylight.startTime - Int64(standard.utOffset), true))
            events.append((daylight.end.days(in: year) * 86_400 + daylight.endTime - Int64(daylight.type.utOffset), false))
        }
        return events.sorted { ($0.at, $0.startsDaylight ? 1 : 0) < ($1.at, $1.startsDaylight ? 1 : 0) }
    }

    private static func year(of instant: Int64) -> Int64 {
        Timestamp.civil(fromDays: instant.floorDivided(by: 86_400)).year
    }

    static func isAbbreviationByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "+"), UInt8(ascii: "-"): true
        default: false
        }
    }

    /// Parses `std offset [dst [offset] [,start[/time],end[/time]]]`; nil when it is not one.
    init?(_ text: [UInt8]) {
        var scanner = PosixScanner(bytes: text)
        guard let standardName = scanner.name(), let standardOffset = scanner.offset() else { return nil }
        standard = .init(utOffset: standardOffset, isDaylightSaving: false, abbreviation: standardName)
        guard !scanner.atEnd else { daylight = nil; return }
        guard let daylightName = scanner.name() else { return nil }
        var daylightOffset = standardOffset + 3600
        if !scanner.atEnd, scanner.peek != UInt8(ascii: ",") {
            guard let offset = scanner.offset() else { return nil }
            daylightOffset = offset
        }
        let type = ZoneInfo.LocalTimeType(utOffset: daylightOffset, isDaylightSaving: true, abbreviation: daylightName)
        if scanner.atEnd {
            // No rule: POSIX leaves it to the implementation; tzcode takes the US rules.
            daylight = Daylight(type: type, start: .monthWeekDay(month: 3, week: 2, weekday: 0), startTime: 7200,
                                end: .monthWeekDay(month: 11, week: 1, weekday: 0), endTime: 7200)
            return
        }
        guard scanner.take(","), let start = scanner.date(), let startTime = scanner.ruleTime(),
              scanner.take(","), let end = scanner.date(), let endTime = scanner.ruleTime(), scanner.atEnd else { return nil }
        daylight = Daylight(type: type, start: start, startTime: startTime, end: end, endTime: endTime)
    }
}

/// Reads the parts of a POSIX TZ string.
private struct PosixScanner {
    let bytes: [UInt8]
    var at = 0

    var atEnd: Bool { at == bytes.count }
    var peek: UInt8? { atEnd ? nil : bytes[at] }

    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard peek == UInt8(ascii: character) else { return false }
        at += 1
        return true
    }

    /// `CET` (three or more letters) or `<+0530>` (letters, digits, '+' and '-' in angle brackets).
    mutating func name() -> String? {
        let quoted = take("<")
        let start = at
        while let byte = peek, quoted ? PosixRule.isAbbreviationByte(byte) : (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") {
            at += 1
        }
        let name = String(decoding: bytes[start..<at], as: UTF8.self)
        if quoted {
            guard take(">"), (1...16).contains(name.count) else { return nil }
        } else {
            guard (3...16).contains(name.count) else { return nil }
        }
        return name
    }

    /// `[+-]hh[:mm[:ss]]` with hours up to `maxHours`, as seconds.
    mutating func signedTime(maxHours: Int64) -> Int64? {
        let negative = take("-")
        if !negative { _ = take("+") }
        guard let hours = number(maxDigits: 3), hours <= maxHours else { return nil }
        var seconds = hours * 3600
        if take(":") {
            guard let minutes = number(maxDigits: 2), minutes < 60 else { return nil }
            seconds += minutes * 60
            if take(":") {
                guard let extra = number(maxDigits: 2), extra < 60 else { return nil }
                seconds += extra
            }
        }
        return negative ? -seconds : seconds
    }

    /// An offset, POSIX-style (hours west of UTC), as seconds east of UTC.
    mutating func offset() -> Int? {
        signedTime(maxHours: 24).map { Int(-$0) }
    }

    /// `/time` after a rule date (default 02:00).
    mutating func ruleTime() -> Int64? {
        take("/") ? signedTime(maxHours: 167) : 7200
    }

    mutating func date() -> PosixRule.RuleDate? {
        if take("J") {
            guard let day = number(maxDigits: 3), (1...365).contains(day) else { return nil }
            return .julian(day)
        }
        if take("M") {
            guard let month = number(maxDigits: 2), (1...12).contains(month), take("."),
                  let week = number(maxDigits: 1), (1...5).contains(week), take("."),
                  let weekday = number(maxDigits: 1), (0...6).contains(weekday) else { return nil }
            return .monthWeekDay(month: month, week: week, weekday: weekday)
        }
        guard let day = number(maxDigits: 3), (0...365).contains(day) else { return nil }
        return .zeroBased(day)
    }

    mutating func number(maxDigits: Int) -> Int64? {
        var value: Int64 = 0, digits = 0
        while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte), digits < maxDigits {
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            digits += 1
            at += 1
        }
        return digits > 0 ? value : nil
    }
}
