import Foundation
import MigrationCore
import Testing

/// The window gate: parsing the plan's strings, and whether it is open, across weekends and changes of the clocks.
struct ChangeWindowTests {
    let berlin = try! ZoneInfo.load("Europe/Berlin")
    let tokyo = try! ZoneInfo.load("Asia/Tokyo")
    let utcZone = try! ZoneInfo.load("UTC")

    func at(_ text: String) -> Date { Timestamp.date(text)! }

    func window(_ days: [String], _ hours: String, _ tz: String = "Europe/Berlin") -> WindowCheck {
        try! WindowCheck(days: days, hours: hours, tz: tz)
    }

    // MARK: Parsing

    @Test func parsesThePlansStrings() throws {
        let check = try WindowCheck(days: ["thu", "mon", "tue", "wed"], hours: "09:00-16:00", tz: "Europe/Berlin")
        #expect(check.days == [.mon, .tue, .wed, .thu])
        #expect(check.startMinute == 540 && check.endMinute == 960 && !check.isOvernight)
        #expect(check.description == "window mon–thu 09:00–16:00 Europe/Berlin")
        let night = try WindowCheck(days: ["fri"], hours: "22:00-02:00", tz: "UTC")
        #expect(night.isOvernight && night.description == "window fri 22:00–02:00 UTC")
        #expect(try WindowCheck(days: ["sat"], hours: "00:00-24:00", tz: "UTC").endMinute == 1440)
        #expect(try WindowCheck(days: ["sat"], hours: "22:00–00:00", tz: "UTC").isOvernight)   // an en dash, as descriptions print
        #expect(window(["mon", "wed", "fri"], "09:00-10:00").description == "window mon, wed, fri 09:00–10:00 Europe/Berlin")
        #expect(window(["sun", "sat", "tue", "mon", "wed"], "09:00-10:00").description == "window mon–wed, sat, sun 09:00–10:00 Europe/Berlin")
        #expect(window(Weekday.allCases.map(\.rawValue), "09:00-10:00").description.hasPrefix("window mon–sun "))
    }

    @Test(arguments: [
        ([], "09:00-16:00", "UTC", "days", "a window needs at least one day; list them, e.g. [mon, tue, wed, thu]"),
        (["Mon"], "09:00-16:00", "UTC", "days", "'Mon' is not a day; use mon, tue, wed, thu, fri, sat or sun (lower case)"),
        (["monday"], "09:00-16:00", "UTC", "days", "'monday' is not a day; use mon, tue, wed, thu, fri, sat or sun (lower case)"),
        (["mon", "mon"], "09:00-16:00", "UTC", "days", "'mon' is listed twice; name each day once"),
        (["mon"], "9:00-16:00", "UTC", "hours", "'9:00-16:00' is not a span of hours; write HH:MM-HH:MM, e.g. 09:00-16:00 (22:00-02:00 runs overnight, 24:00 is the end of the day)"),
        (["mon"], "09:00-09:00", "UTC", "hours", "'09:00-09:00' is an empty window: it ends when it starts; give it a length (00:00-24:00 is the whole day)"),
        (["mon"], "24:00-01:00", "UTC", "hours", nil),
        (["mon"], "09:60-10:00", "UTC", "hours", nil),
        (["mon"], "09:00-24:01", "UTC", "hours", nil),
        (["mon"], "25:00-26:00", "UTC", "hours", nil),
        (["mon"], "09:00 - 16:00", "UTC", "hours", nil),
        (["mon"], "09:00-16:00\u{1B}[2J", "UTC", "hours", nil),
        (["mon"], "", "UTC", "hours", nil),
        (["mon"], "09:00-16:00", "../etc/passwd", "tz", "'../etc/passwd' is not a time zone name (it contains '..'); use an IANA name such as Europe/Berlin"),
        (["mon"], "09:00-16:00", "", "tz", nil),
    ] as [([String], String, String, String, String?)])
    func refusesWhatIsNotAWindow(days: [String], hours: String, tz: String, field: String, sentence: String?) {
        do {
            _ = try WindowCheck(days: days, hours: hours, tz: tz)
            Issue.record("accepted \(days) \(hours) \(tz)")
        } catch {
            #expect(error.field == field)
            if let sentence { #expect(error.description == sentence) }
            #expect(!error.description.contains("\u{1B}"))
        }
    }

    @Test func codingRoundTripsAndRefusesWhatTheParserRefuses() throws {
        let check = window(["mon", "tue"], "22:00-02:00")
        let json = try JSONEncoder().encode(check)
        #expect(try JSONDecoder().decode(WindowCheck.self, from: json) == check)
        let empty = Data(#"{"days":["mon"],"startMinute":600,"endMinute":600,"zone":"UTC"}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(WindowCheck.self, from: empty) }
        let escape = Data(#"{"days":["mon"],"startMinute":600,"endMinute":660,"zone":"/etc/passwd"}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(WindowCheck.self, from: escape) }
    }

    // MARK: Ordinary weeks

    @Test func openUntilItClosesThenClosedUntilMonday() {
        let check = window(["mon", "tue", "wed", "thu"], "09:00-16:00")
        let open = check.verdict(at: at("2026-03-26T13:05:00Z"), zone: berlin)   // Thu 14:05 CET
        #expect(open.state == .open(closes: at("2026-03-26T15:00:00Z")))
        #expect(open.observed == "Thu 14:05 CET")
        #expect(open.sentence == "open: the window closes Thu 2026-03-26 16:00 CET (in 1h 55m)")
        // Closed after Thursday's close, across the weekend and the change to summer time.
        let closed = check.verdict(at: at("2026-03-26T16:00:00Z"), zone: berlin)   // Thu 17:00 CET
        #expect(closed.state == .closed(opens: at("2026-03-30T07:00:00Z")))
        #expect(closed.sentence == "closed: the window opens Mon 2026-03-30 09:00 CEST (in 3d 15h)")
        #expect(!closed.isOpen && open.isOpen)
        let sunday = check.verdict(at: at("2026-03-29T16:40:00Z"), zone: berlin)   // Sun 18:40 CEST
        #expect(sunday.sentence == "closed: the window opens Mon 2026-03-30 09:00 CEST (in 14h 20m)")
        #expect(sunday.observed == "Sun 18:40 CEST")
    }

    @Test func theEdgesAreHalfOpen() {
        let check = window(["mon"], "09:00-16:00")
        #expect(check.verdict(at: at("2026-03-30T06:59:59.999Z"), zone: berlin).sentence
                == "closed: the window opens Mon 2026-03-30 09:00 CEST (in 1s)")
        #expect(check.verdict(at: at("2026-03-30T07:00:00Z"), zone: berlin).isOpen)
        #expect(check.verdict(at: at("2026-03-30T13:59:59Z"), zone: berlin).sentence
                == "open: the window closes Mon 2026-03-30 16:00 CEST (in 1s)")
        #expect(check.verdict(at: at("2026-03-30T14:00:00Z"), zone: berlin).state == .closed(opens: at("2026-04-06T07:00:00Z")))
        // Instants far off clamp instead of trapping.
        for far in [Date.distantFuture, .distantPast, Date(timeIntervalSince1970: .infinity), Date(timeIntervalSince1970: -1e300)] {
            #expect(!check.verdict(at: far, zone: berlin).sentence.isEmpty)
        }
    }

    @Test func tokyoHasNoDaylightTime() {
        let check = window(["mon", "tue", "wed", "thu", "fri"], "09:00-17:00", "Asia/Tokyo")
        let friday = check.verdict(at: at("2026-03-27T09:00:00Z"), zone: tokyo)   // Fri 18:00 JST
        #expect(friday.sentence == "closed: the window opens Mon 2026-03-30 09:00 JST (in 2d 15h)")
        #expect(friday.state == .closed(opens: at("2026-03-30T00:00:00Z")))
        // Every quarter hour of a fortnight spanning both European changes agrees with the wall clock at +09:00.
        for start in [at("2026-03-20T00:00:00Z"), at("2026-10-16T00:00:00Z")] {
            for step in 0..<(14 * 96) {
                let now = start.addingTimeInterval(TimeInterval(step * 900))
                let local = Int64(now.timeIntervalSince1970) + 9 * 3600
                let minute = Int(local % 86_400 / 60), weekday = Int((local / 86_400 + 3) % 7)
                let expected = weekday < 5 && (540..<1020).contains(minute)
                #expect(check.verdict(at: now, zone: tokyo).isOpen == expected, "at \(now)")
            }
        }
    }

    @Test func overnightBelongsToTheDayItStarts() {
        let check = window(["fri"], "22:00-02:00", "UTC")
        let saturdayNight = check.verdict(at: at("2026-03-28T01:00:00Z"), zone: utcZone)
        #expect(saturdayNight.sentence == "open: the window closes Sat 2026-03-28 02:00 UTC (in 1h)")
        let thursday = check.verdict(at: at("2026-03-26T23:00:00Z"), zone: utcZone)
        #expect(thursday.state == .closed(opens: at("2026-03-27T22:00:00Z")))
        #expect(check.verdict(at: at("2026-03-28T23:00:00Z"), zone: utcZone).state == .closed(opens: at("2026-04-03T22:00:00Z")))
        // Through midnight, ending at midnight.
        let late = window(["sun"], "23:00-00:00", "UTC")
        #expect(late.verdict(at: at("2026-03-29T23:30:00Z"), zone: utcZone).state == .open(closes: at("2026-03-30T00:00:00Z")))
    }

    @Test func touchingOpeningsCloseAtTheEndOfTheLast() {
        let weekdays = window(["mon", "tue", "wed", "thu", "fri"], "00:00-24:00")
        #expect(weekdays.verdict(at: at("2026-03-25T12:00:00Z"), zone: berlin).state == .open(closes: at("2026-03-27T23:00:00Z")))
        let always = window(Weekday.allCases.map(\.rawValue), "00:00-24:00")
        let verdict = always.verdict(at: at("2026-03-25T12:00:00Z"), zone: berlin)
        #expect(verdict.state == .open(closes: nil))
        #expect(verdict.sentence == "open: the window does not close within the next 7 days")
    }

    // MARK: Changes of the clocks in Europe/Berlin

    @Test func aStartTheClocksSkipOpensWhenTheGapEnds() {
        // 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00Z.
        let check = window(["sun"], "02:30-04:00")
        let before = check.verdict(at: at("2026-03-29T00:00:00Z"), zone: berlin)   // Sun 01:00 CET
        #expect(before.state == .closed(opens: at("2026-03-29T01:00:00Z")))
        #expect(before.sentence == "closed: the window opens Sun 2026-03-29 03:00 CEST (in 1h)")
        #expect(check.verdict(at: at("2026-03-29T01:00:00Z"), zone: berlin).state == .open(closes: at("2026-03-29T02:00:00Z")))
        // A window wholly inside the gap does not open that day.
        let lost = window(["sun"], "02:00-02:59")
        #expect(lost.verdict(at: at("2026-03-29T00:00:00Z"), zone: berlin).state == .closed(opens: at("2026-04-05T00:00:00Z")))
        // From Friday, the next opening that happens is beyond the horizon.
        let friday = lost.verdict(at: at("2026-03-27T00:00:00Z"), zone: berlin)
        #expect(friday.state == .closed(opens: nil))
        #expect(friday.sentence == "closed: the window does not open within the next 8 days (the clocks skip its hours)")
        // An end the clocks skip closes when the gap ends.
        let early = window(["sun"], "01:00-02:30")
        #expect(early.verdict(at: at("2026-03-29T00:30:00Z"), zone: berlin).state == .open(closes: at("2026-03-29T01:00:00Z")))
    }

    @Test func anHourTheClocksRepeatOpensOnce() {
        // 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00Z; 02:00–03:00 happens twice.
        let check = window(["sun"], "02:30-03:00")
        #expect(check.verdict(at: at("2026-10-25T00:00:00Z"), zone: berlin).state == .closed(opens: at("2026-10-25T00:30:00Z")))
        // Open from the first 02:30 until the clock first shows 03:00, after the repeated hour.
        for minute in stride(from: 30, to: 120, by: 5) {
            let now = at("2026-10-25T00:00:00Z").addingTimeInterval(TimeInterval(minute * 60))
            #expect(check.verdict(at: now, zone: berlin).state == .open(closes: at("2026-10-25T02:00:00Z")), "at \(now)")
        }
        let after = check.verdict(at: at("2026-10-25T02:00:00Z"), zone: berlin)
        #expect(after.state == .closed(opens: at("2026-11-01T01:30:00Z")))
        #expect(after.sentence == "closed: the window opens Sun 2026-11-01 02:30 CET (in 6d 23h)")
        // A window inside the repeated hour does not open again when the hour comes round a second time.
        let inside = window(["sun"], "02:00-02:30")
        #expect(inside.verdict(at: at("2026-10-25T00:10:00Z"), zone: berlin).state == .open(closes: at("2026-10-25T00:30:00Z")))
        #expect(inside.verdict(at: at("2026-10-25T01:10:00Z"), zone: berlin).state == .closed(opens: at("2026-11-01T01:00:00Z")))
        // An end in the repeated hour closes at its first showing.
        let ending = window(["sun"], "01:00-02:30")
        #expect(ending.verdict(at: at("2026-10-25T00:20:00Z"), zone: berlin).state == .open(closes: at("2026-10-25T00:30:00Z")))
        #expect(!ending.verdict(at: at("2026-10-25T01:15:00Z"), zone: berlin).isOpen)
    }

    @Test func ordinaryHoursOnTheDaysTheClocksChange() {
        let check = window(["sun", "mon"], "09:00-16:00")
        #expect(check.verdict(at: at("2026-03-29T06:00:00Z"), zone: berlin).state == .closed(opens: at("2026-03-29T07:00:00Z")))
        #expect(check.verdict(at: at("2026-10-25T07:30:00Z"), zone: berlin).state == .closed(opens: at("2026-10-25T08:00:00Z")))
        #expect(check.verdict(at: at("2026-10-25T09:00:00Z"), zone: berlin).state == .open(closes: at("2026-10-25T15:00:00Z")))
        #expect(check.verdict(at: at("2026-10-25T16:00:00Z"), zone: berlin).sentence
                == "closed: the window opens Mon 2026-10-26 09:00 CET (in 16h)")
    }

    /// Whatever the window and the instant, a verdict agrees with the verdicts at its own edges:
    /// open until the moment it says it closes, closed until the moment it says it opens.
    @Test(arguments: [(["sun"], "02:30-04:00"), (["sun"], "01:00-02:30"), (["sun"], "02:00-02:30"), (["sat", "sun"], "22:00-02:30"),
                      (["mon", "tue", "wed", "thu"], "09:00-16:00"), (["sat"], "00:00-24:00"), (["sun"], "03:00-02:00")] as [([String], String)])
    func verdictsAgreeWithTheirEdgesAcrossTheChanges(days: [String], hours: String) {
        let check = window(days, hours)
        for start in [at("2026-03-27T00:00:00Z"), at("2026-10-23T00:00:00Z")] {
            for step in 0..<(5 * 144) {
                let now = start.addingTimeInterval(TimeInterval(step * 600))
                switch check.verdict(at: now, zone: berlin).state {
                case .open(let closes?):
                    #expect(closes > now)
                    #expect(check.verdict(at: closes.addingTimeInterval(-1), zone: berlin).isOpen, "\(check) at \(now)")
                    #expect(!check.verdict(at: closes, zone: berlin).isOpen, "\(check) at \(now)")
                case .closed(let opens?):
                    #expect(opens > now && opens.timeIntervalSince(now) <= 9 * 86_400)   // through the 8th calendar day
                    #expect(!check.verdict(at: opens.addingTimeInterval(-1), zone: berlin).isOpen, "\(check) at \(now)")
                    #expect(check.verdict(at: opens, zone: berlin).isOpen, "\(check) at \(now)")
                case .closed(nil):
                    // Only an opening the clocks skip leaves none within the horizon; then none opens in it.
                    #expect(check.hours == "02:00–02:30", "\(check) at \(now)")
                    for hour in 0..<(WindowCheck.horizonDays * 24) {
                        #expect(!check.verdict(at: now.addingTimeInterval(TimeInterval(hour * 3600)), zone: berlin).isOpen)
                    }
                case .open(nil):
                    Issue.record("open without end: \(check) at \(now)")
                }
            }
        }
    }
}
