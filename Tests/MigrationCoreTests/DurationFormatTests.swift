import MigrationCore
import Testing

/// One way of writing a duration everywhere (`migctl status`, the console, gate figures and
/// sentences): the two largest units, the second with two digits and left out when zero.
struct DurationFormatTests {
    static let cases: [(Double, String)] = [
        (0, "0s"), (0.9, "0s"), (45, "45s"), (59.99, "59s"), (60, "1m"), (63, "1m 03s"), (78, "1m 18s"), (103, "1m 43s"),
        (207, "3m 27s"), (3599, "59m 59s"), (3600, "1h"), (3660, "1h 01m"), (7500, "2h 05m"), (86_399, "23h 59m"),
        (86_400, "1d"), (90_000, "1d 1h"), (3 * 86_400 + 4 * 3600 + 59, "3d 4h"), (7 * 86_400, "7d"), (3650 * 86_400, "3650d"),
    ]

    @Test(arguments: cases)
    func human(seconds: Double, text: String) {
        #expect(Durations.human(seconds) == text)
    }

    @Test func nonsenseReadsZeroAndHugeValuesDoNotTrap() {
        #expect(Durations.human(-5) == "0s" && Durations.human(.nan) == "0s" && Durations.human(-.infinity) == "0s")
        #expect(Durations.human(.infinity) == "0s" && Durations.human(1e300).contains("d"))
    }

    /// Gate figures and plan-given bounds use the same rule, so a soak reads `3m 27s of 5m`,
    /// never `207s` beside `1m 43s`.
    @Test func gateFiguresUseTheSameRule() {
        #expect(GateFormat.duration(207) == "3m 27s")
        #expect(GateFormat.duration(5400) == "1h 30m")
        #expect(GateFormat.duration(7 * 86_400) == "7d" && GateFormat.duration(60) == "1m" && GateFormat.duration(45) == "45s")
        #expect(GateFormat.duration(-3) == "0s")
    }
}
