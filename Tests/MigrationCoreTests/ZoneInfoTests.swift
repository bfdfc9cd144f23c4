import Foundation
import MigrationCore
import TestSupport
import Testing

/// The TZif reader answers what the system's own tools answer, and refuses what is not a zone.
struct ZoneInfoTests {
    static let zones = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe", "UTC",
                        // negative rule times in the footer, a 12:45 offset, many irregular transitions, DST abolished
                        "America/Nuuk", "Pacific/Chatham", "Africa/Casablanca", "America/Sao_Paulo"]

    // MARK: Against the system

    /// For each instant: `date`'s offset and abbreviation, read with the system's own tz code.
    func systemAnswers(_ zone: String, _ instants: [Int64]) throws -> [(offset: Int, abbreviation: String)] {
        let input = instants.map { "@\($0)\n" }.joined()
        let output = StoreUnderTest.run("/usr/bin/date", ["-f", "-", "+%z %Z"], environment: ["TZ": zone], stdin: input)
        try #require(output.status == 0, "date failed: \(output.stderr)")
        return try output.stdout.split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            let z = Array(try #require(parts.first).utf8)
            try #require(z.count == 5, "unexpected %z: \(line)")
            let hours = Int(String(decoding: z[1...2], as: UTF8.self))!, minutes = Int(String(decoding: z[3...4], as: UTF8.self))!
            let magnitude = hours * 3600 + minutes * 60
            return (z[0] == UInt8(ascii: "-") ? -magnitude : magnitude, String(parts.last!))
        }
    }

    /// Each transition `zdump -v` lists in 1970–2040, as (instant, offset, abbreviation, isdst), and the second before it.
    func zdumpTransitions(_ zone: String) throws -> [(instant: Int64, offset: Int, abbreviation: String, isDST: Bool)] {
        let output = StoreUnderTest.run("/usr/bin/zdump", ["-v", "-c", "1970,2041", zone])
        try #require(output.status == 0, "zdump failed: \(output.stderr)")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return try output.stdout.split(separator: "\n").filter { !$0.hasSuffix("NULL") }.map { line in
            // Europe/Berlin  Sun Mar 29 00:59:59 2026 UT = Sun Mar 29 01:59:59 2026 CET isdst=0 gmtoff=3600
            let f = line.split(separator: " ")
            try #require(f.count == 16, "unexpected zdump line: \(line)")
            let time = f[4].split(separator: ":").map { Int($0)! }
            let date = try #require(calendar.date(from: DateComponents(
                year: Int(f[5]), month: months.firstIndex(of: String(f[2]))! + 1, day: Int(f[3]),
                hour: time[0], minute: time[1], second: time[2])))
            return (Int64(date.timeIntervalSince1970), Int(f[15].dropFirst(7))!, String(f[13]), f[14] == "isdst=1")
        }
    }

    /// Deterministic pseudo-random instants in `range`.
    static func instants(_ count: Int, in range: ClosedRange<Int64>, seed: UInt64) -> [Int64] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return range.lowerBound + Int64((state >> 11) % UInt64(range.upperBound - range.lowerBound))
        }
    }

    @Test(arguments: zones)
    func offsetsAgreeWithDateFrom1970To2040(zone: String) throws {
        let info = try ZoneInfo.load(zone)
        // 1970-01-01 … 2041-01-01, and the seconds either side of every transition zdump knows.
        var instants = Self.instants(1500, in: 0...2_240_611_200, seed: UInt64(zone.utf8.count))
        for transition in try zdumpTransitions(zone) { instants += [transition.instant - 1, transition.instant, transition.instant + 1] }
        let answers = try systemAnswers(zone, instants)
        try #require(answers.count == instants.count)
        for (instant, answer) in zip(instants, answers) {
            let date = Date(timeIntervalSince1970: TimeInterval(instant))
            #expect(info.offset(at: date) == answer.offset, "\(zone) at \(instant)")
            #expect(info.abbreviation(at: date) == answer.abbreviation, "\(zone) at \(instant)")
        }
    }

    @Test(arguments: zones)
    func transitionsAgreeWithZdump(zone: String) throws {
        let info = try ZoneInfo.load(zone)
        for transition in try zdumpTransitions(zone) {
            let date = Date(timeIntervalSince1970: TimeInterval(transition.instant))
            #expect(info.offset(at: date) == transition.offset, "\(zone) at \(transition.instant)")
            #expect(info.abbreviation(at: date) == transition.abbreviation, "\(zone) at \(transition.instant)")
            #expect(info.isDaylightSaving(at: date) == transition.isDST, "\(zone) at \(transition.instant)")
        }
    }

    /// A "slim" file (zic -b slim) has few transitions and leaves the rest to its footer; it
    /// must answer what Debian's "fat" file answers, 1900–2100.
    @Test func aSlimFileAgreesWithTheFatOne() throws {
        let folder = TemporaryDirectory()
        let zic = StoreUnderTest.run("/usr/sbin/zic", ["-b", "slim", "-d", folder.url.path, "/usr/share/zoneinfo/tzdata.zi"])
        try #require(zic.status == 0, "zic failed: \(zic.stderr)")
        for zone in Self.zones {
            let fat = try ZoneInfo.load(zone), slim = try ZoneInfo.load(zone, directory: folder.url.path)
            for instant in Self.instants(2000, in: -2_208_988_800...4_102_444_800, seed: 7) {
                let date = Date(timeIntervalSince1970: TimeInterval(instant))
                #expect(slim.offset(at: date) == fat.offset(at: date), "\(zone) at \(instant)")
                #expect(slim.abbreviation(at: date) == fat.abbreviation(at: date), "\(zone) at \(instant)")
            }
        }
    }

    /// Every TZif file Debian ships loads, except the leap-second `right/` zones, which are refused with a reason.
    @Test func everySystemZoneLoads() throws {
        let root = "/usr/share/zoneinfo"
        let names = try #require(FileManager.default.subpathsOfDirectory(atPath: root) as [String]?)
        var loaded = 0
        for name in names.sorted() {
            guard let handle = FileHandle(forReadingAtPath: root + "/" + name),
                  let magic = try? handle.read(upToCount: 4), magic == Data("TZif".utf8) else { continue }
            if name.hasPrefix("right/") {
                #expect(throws: ZoneInfo.Problem.self) { try ZoneInfo.load(name) }
                continue
            }
            do {
                _ = try ZoneInfo.load(name)
                loaded += 1
            } catch {
                Issue.record("\(name): \(error)")
            }
        }
        #expect(loaded > 300)
    }

    // MARK: Wall clock to instants

    func utc(_ text: String) -> Date { Timestamp.date(text)! }

    @Test func aSkippedTimeNamesNoInstantAndAnIntervalFromTheGapsEnd() throws {
        let berlin = try ZoneInfo.load("Europe/Berlin")
        #expect(berlin.instants(year: 2026, month: 3, day: 29, hour: 2, minute: 30).isEmpty)
        #expect(berlin.firstInstant(year: 2026, month: 3, day: 29, hour: 2, minute: 30) == utc("2026-03-29T01:00:00Z"))
        #expect(berlin.instants(year: 2026, month: 3, day: 29, hour: 3, minute: 0) == [utc("2026-03-29T01:00:00Z")])
        #expect(berlin.instants(year: 2026, month: 3, day: 29, hour: 1, minute: 59, second: 59) == [utc("2026-03-29T00:59:59Z")])
        let newYork = try ZoneInfo.load("America/New_York")
        #expect(newYork.instants(year: 2026, month: 3, day: 8, hour: 2, minute: 30).isEmpty)
        #expect(newYork.firstInstant(year: 2026, month: 3, day: 8, hour: 2, minute: 30) == utc("2026-03-08T07:00:00Z"))
    }

    @Test func aRepeatedTimeNamesTwoInstants() throws {
        let berlin = try ZoneInfo.load("Europe/Berlin")
        #expect(berlin.instants(year: 2026, month: 10, day: 25, hour: 2, minute: 30)
                == [utc("2026-10-25T00:30:00Z"), utc("2026-10-25T01:30:00Z")])
        #expect(berlin.firstInstant(year: 2026, month: 10, day: 25, hour: 2, minute: 30) == utc("2026-10-25T00:30:00Z"))
        #expect(berlin.instants(year: 2026, month: 10, day: 25, hour: 3, minute: 0) == [utc("2026-10-25T02:00:00Z")])
        // Lord Howe falls back half an hour: 01:30–02:00 happens twice.
        let lordHowe = try ZoneInfo.load("Australia/Lord_Howe")
        #expect(lordHowe.instants(year: 2026, month: 4, day: 5, hour: 1, minute: 45)
                == [utc("2026-04-04T14:45:00Z"), utc("2026-04-04T15:15:00Z")])
        #expect(lordHowe.instants(year: 2026, month: 10, day: 4, hour: 2, minute: 15).isEmpty)
        let tokyo = try ZoneInfo.load("Asia/Tokyo")
        #expect(tokyo.instants(year: 2026, month: 3, day: 29, hour: 2, minute: 30) == [utc("2026-03-28T17:30:00Z")])
    }

    @Test func fieldsCarryOverAndTheLocalTimeReadsBack() throws {
        let berlin = try ZoneInfo.load("Europe/Berlin")
        #expect(berlin.instants(year: 2026, month: 3, day: 29, hour: 24, minute: 0)
                == berlin.instants(year: 2026, month: 3, day: 30, hour: 0, minute: 0))
        #expect(berlin.instants(year: 2025, month: 15, day: 1, hour: 0, minute: 0)
                == berlin.instants(year: 2026, month: 3, day: 1, hour: 0, minute: 0))
        let local = berlin.localTime(at: utc("2026-03-30T07:00:00Z"))
        #expect(local.description == "Mon 2026-03-30 09:00 CEST")
        #expect(local.short == "Mon 09:00 CEST")
        #expect(local.utOffset == 7200 && local.isDaylightSaving && local.weekday == .mon)
        #expect(berlin.localTime(at: utc("1969-12-31T23:00:00Z")).description == "Thu 1970-01-01 00:00 CET")
        // Extreme instants clamp instead of trapping.
        _ = berlin.offset(at: .distantFuture)
        _ = berlin.localTime(at: Date(timeIntervalSince1970: -.infinity))
        _ = berlin.instants(year: .max, month: .min, day: .max, hour: .max, minute: .min)
    }

    // MARK: Refusals

    @Test(arguments: ["../etc/passwd", "/etc/passwd", "Europe/../../etc/passwd", "Europe/Berlin\u{1B}[2J", "",
                      String(repeating: "a", count: 65), "Europe//Berlin", "Europe/Berlin/", "Europe/Berlin.tzif", "Europe/Zürich"])
    func aNameThatCouldLeaveTheDatabaseIsRefused(name: String) {
        #expect {
            try ZoneInfo.load(name)
        } throws: { error in
            guard case .invalidName = error as? ZoneInfo.Problem else { return false }
            let text = "\(error)"
            return text.contains("is not a time zone name") && !text.contains("\u{1B}") && text.count < 200
        }
    }

    @Test func aMissingZoneSaysSoInOneSentence() {
        #expect(throws: ZoneInfo.Problem.unknownZone(name: "Europe/Atlantis", directory: "/usr/share/zoneinfo")) {
            try ZoneInfo.load("Europe/Atlantis", directory: "/usr/share/zoneinfo")
        }
        #expect(problem { try ZoneInfo.load("Europe/Atlantis", directory: "/usr/share/zoneinfo") }
                == "there is no time zone 'Europe/Atlantis' in /usr/share/zoneinfo; check the name (e.g. Europe/Berlin) or install the tzdata package")
    }

    func problem(_ body: () throws -> ZoneInfo) -> String {
        do {
            _ = try body()
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    /// Writes `bytes` as `Bad/Zone` in a fresh folder and loads it from there.
    func load(_ bytes: [UInt8]) -> String {
        let folder = TemporaryDirectory()
        try! FileManager.default.createDirectory(atPath: folder.path("Bad"), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: folder.path("Bad/Zone"), contents: Data(bytes))
        return problem { try ZoneInfo.load("Bad/Zone", directory: folder.url.path) }
    }

    @Test func garbageAndHostileFilesAreRefusedWithAReason() throws {
        #expect(load(Array("hello, world\n".utf8)).hasSuffix("is not a TZif file (too short); reinstall the tzdata package or point TZDIR at a good tz database"))
        #expect(load([]).contains("is not a TZif file (too short)"))
        #expect(load(Array(repeating: 0x41, count: 4096)).contains("is not a TZif file;"))
        #expect(load(TZif().bytes) == "loaded")

        var huge = TZif()
        huge.counts[3] = 0xFFFF_FFFF   // transitions
        #expect(load(huge.bytes).contains("declares 4294967295 transitions, more than the 4096 a zone may have"))
        var noType = TZif()
        noType.counts[4] = 0
        #expect(load(noType.bytes).contains("declares no local time type"))
        var manyTypes = TZif()
        manyTypes.counts[4] = 1 << 20
        #expect(load(manyTypes.bytes).contains("local time types, more than the 256"))
        var lying = TZif()
        lying.counts[3] = 4000   // declared, not there
        #expect(load(lying.bytes).contains("is truncated"))

        var escape = TZif()
        escape.abbreviations = Array("C\u{1B}T\0".utf8)
        #expect(load(escape.bytes).contains("abbreviation that is not 1–16 letters"))
        #expect(!load(escape.bytes).contains("\u{1B}"))
        var dangling = TZif()
        dangling.types = [(3600, 0, 9)]
        #expect(load(dangling.bytes).contains("abbreviation outside its abbreviation bytes"))
        var unterminated = TZif()
        unterminated.abbreviations = Array("CET".utf8)
        #expect(load(unterminated.bytes).contains("abbreviation outside"))
        var farOffset = TZif()
        farOffset.types = [(Int32.min, 0, 0)]
        #expect(load(farOffset.bytes).contains("beyond the ±26 hours"))
        var badIndex = TZif()
        badIndex.transitions = [(0, 3)]
        #expect(load(badIndex.bytes).contains("transition to a local time type it does not define"))
        var unordered = TZif()
        unordered.transitions = [(100, 0), (50, 0)]
        #expect(load(unordered.bytes).contains("transitions out of order"))
        var badFooter = TZif()
        badFooter.footer = "CET-1CEST,M13.5.0,M10.5.0/3"
        #expect(load(badFooter.bytes).contains("footer, 'CET-1CEST,M13.5.0,M10.5.0/3', that is not a POSIX TZ string"))
        var controlFooter = TZif()
        controlFooter.footer = "CET-1\u{1B}[2J"
        #expect(load(controlFooter.bytes).contains("footer that is not printable ASCII"))
        var noFooter = TZif()
        noFooter.footer = nil
        #expect(load(noFooter.bytes).contains("has no footer") || load(noFooter.bytes).contains("truncated"))
        var leaps = TZif()
        leaps.leapSeconds = 1
        #expect(load(leaps.bytes).contains("counts leap seconds (a right/ zone)"))
    }

    @Test func everyPrefixOfARealFileIsRefusedAndFlippedBytesNeverCrash() throws {
        let berlin = Array(try Data(contentsOf: URL(fileURLWithPath: "/usr/share/zoneinfo/Europe/Berlin")))
        // The footer's closing newline is the last byte: every shorter prefix is unusable.
        for length in 0..<berlin.count {
            #expect(throws: ZoneInfo.Problem.self) { try ZoneInfo(name: "Europe/Berlin", tzif: Array(berlin[..<length])) }
        }
        var state: UInt64 = 42
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var loaded = 0
        for _ in 0..<3000 {
            var bytes = berlin
            for _ in 0...random(4) { bytes[random(bytes.count)] = UInt8(random(256)) }
            guard let zone = try? ZoneInfo(name: "Fuzz", tzif: bytes) else { continue }
            loaded += 1
            for instant in Self.instants(8, in: -4_000_000_000...5_000_000_000, seed: UInt64(loaded)) {
                let date = Date(timeIntervalSince1970: TimeInterval(instant))
                #expect(abs(zone.offset(at: date)) < 26 * 3600)
                let local = zone.localTime(at: date)
                #expect(zone.instants(year: local.year, month: local.month, day: local.day, hour: local.hour, minute: local.minute).count <= 64)
            }
        }
        #expect(loaded > 0)
    }

    @Test func aFolderAFifoAndALinkOutsideAreNotZones() throws {
        #expect(problem { try ZoneInfo.load("Europe") }.contains("is not a regular file"))
        let folder = TemporaryDirectory()
        #expect(mkfifo(folder.path("Pipe"), 0o600) == 0)
        #expect(problem { try ZoneInfo.load("Pipe", directory: folder.url.path) }.contains("is not a regular file"))
        try FileManager.default.createSymbolicLink(atPath: folder.path("Passwd"), withDestinationPath: "/etc/passwd")
        #expect(problem { try ZoneInfo.load("Passwd", directory: folder.url.path) }.contains("is not a TZif file"))
        let big = [UInt8](repeating: 0, count: (256 << 10) + 1)
        FileManager.default.createFile(atPath: folder.path("Big"), contents: Data(big))
        #expect(problem { try ZoneInfo.load("Big", directory: folder.url.path) }.contains("is bigger than 256 KiB"))
    }

    // MARK: Footers and old files

    @Test func aFooterOnlyZoneFollowsItsRule() throws {
        // No transitions at all: the footer rules every instant (EU rules since 1996).
        let zone = try ZoneInfo(name: "Footer/Berlin", tzif: TZif().bytes)
        let berlin = try ZoneInfo.load("Europe/Berlin")
        for instant in Self.instants(2000, in: 852_076_800...4_102_444_800, seed: 3) {
            let date = Date(timeIntervalSince1970: TimeInterval(instant))
            #expect(zone.offset(at: date) == berlin.offset(at: date), "at \(instant)")
            #expect(zone.abbreviation(at: date) == berlin.abbreviation(at: date), "at \(instant)")
        }
    }

    @Test func rulesOfVersionThreeAndDaylightTimeAllYear() throws {
        func zone(_ footer: String) throws -> ZoneInfo {
            var file = TZif()
            file.footer = footer
            return try ZoneInfo(name: "Rule", tzif: file.bytes)
        }
        // Daylight time all year (RFC 8536's example): EDT at every instant.
        let always = try zone("EST5EDT,0/0,J365/25")
        for instant in Self.instants(500, in: 0...4_102_444_800, seed: 5) + [1_767_243_600, 1_767_225_600] {
            #expect(always.abbreviation(at: Date(timeIntervalSince1970: TimeInterval(instant))) == "EDT", "at \(instant)")
        }
        // Negative rule times: Nuuk's footer.
        let nuuk = try zone("<-02>2<-01>,M3.5.0/-1,M10.5.0/0")
        #expect(nuuk.offset(at: utc("2026-03-29T00:59:59Z")) == -7200)
        #expect(nuuk.offset(at: utc("2026-03-29T01:00:00Z")) == -3600)
        #expect(nuuk.abbreviation(at: utc("2026-07-01T00:00:00Z")) == "-01")
        // A zone without daylight time, and a default one-hour daylight offset with US dates.
        #expect(try zone("<+0530>-5:30").offset(at: .now) == 19_800)
        let us = try zone("EST5EDT")
        #expect(us.offset(at: utc("2026-07-01T00:00:00Z")) == -14_400 && us.offset(at: utc("2026-01-01T00:00:00Z")) == -18_000)
        // Julian days: J60 is March 1 in every year.
        let julian = try zone("AAA0BBB,J60/0,J300/0")
        #expect(julian.abbreviation(at: utc("2028-02-29T23:59:59Z")) == "AAA")
        #expect(julian.abbreviation(at: utc("2028-03-01T00:00:00Z")) == "BBB")
    }

    @Test func aVersionOneFileIsRead() throws {
        var file = TZif()
        file.version = 0
        file.footer = nil
        file.types = [(3600, 0, 0), (7200, 1, 4)]
        file.abbreviations = Array("CET\0CEST\0".utf8)
        file.transitions = [(1_774_746_000, 1), (1_792_890_000, 0)]
        let zone = try ZoneInfo(name: "Old", tzif: file.bytes)
        #expect(zone.abbreviation(at: utc("2026-01-01T00:00:00Z")) == "CET")
        #expect(zone.abbreviation(at: utc("2026-07-01T00:00:00Z")) == "CEST")
        #expect(zone.offset(at: utc("2030-07-01T00:00:00Z")) == 3600)   // after the last transition: its type
    }
}

/// The bytes of a small TZif file: by default Berlin's rules as a footer and one type, CET.
struct TZif {
    var version = UInt8(ascii: "2")
    var transitions: [(at: Int64, type: UInt8)] = []
    var types: [(offset: Int32, isDST: UInt8, abbreviation: UInt8)] = [(3600, 0, 0)]
    var abbreviations = Array("CET\0".utf8)
    var leapSeconds = 0
    var footer: String? = "CET-1CEST,M3.5.0,M10.5.0/3"
    /// Overrides the header's counts (isut, isstd, leap, time, type, char) when set.
    var counts: [UInt32?] = Array(repeating: nil, count: 6)

    var bytes: [UInt8] {
        var bytes = section(timeSize: 4)
        guard version != 0 else { return bytes }
        bytes += section(timeSize: 8)
        if let footer { bytes += Array("\n\(footer)\n".utf8) }
        return bytes
    }

    private func section(timeSize: Int) -> [UInt8] {
        func big(_ value: UInt64, _ size: Int) -> [UInt8] { (0..<size).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let defaults = [0, 0, leapSeconds, transitions.count, types.count, abbreviations.count].map(UInt32.init)
        var bytes = Array("TZif".utf8) + [version] + Array(repeating: 0, count: 15)
        for (index, count) in defaults.enumerated() { bytes += big(UInt64(counts[index] ?? count), 4) }
        for transition in transitions { bytes += big(UInt64(bitPattern: transition.at), timeSize) }
        bytes += transitions.map(\.type)
        for type in types { bytes += big(UInt64(UInt32(bitPattern: type.offset)), 4) + [type.isDST, type.abbreviation] }
        bytes += abbreviations
        for _ in 0..<leapSeconds { bytes += big(78_796_800, timeSize) + big(1, 4) }
        return bytes
    }
}
