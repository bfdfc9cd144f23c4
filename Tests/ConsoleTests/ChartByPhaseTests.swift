import Console
import Foundation
import MigrationCore
import Testing

/// Before the new store is read there is no hit, miss or backfill, yet the service is busy:
/// the chart then draws what those phases have, reads and writes served by the old store
/// and the failed secondary writes.
struct ChartByPhaseTests {
    /// Console data in `phase` whose traffic is only what an old-reading phase counts.
    static func oldStoreTraffic(phase: String, slots: Int = 71) -> ConsoleData {
        var data = Fixtures.data(phase: phase, rollout: 10_000, slots: slots)
        data.traffic = CounterSeries(start: 1_800_000_000, slotSeconds: 60, values: [
            CounterName.readOld: (0..<slots).map { _ in 60 * 280 },
            CounterName.writeOld: (0..<slots).map { _ in 60 * 120 },
            CounterName.writeNewError: (0..<slots).map { $0 == slots - 5 ? 60 * 40 : 0 },
        ])
        return data
    }

    @Test(arguments: ["old-only", "dual-write"])
    func phasesThatReadTheOldStoreChartItsReadsAndWrites(phase: String) {
        let text = frame(Self.oldStoreTraffic(phase: phase)).text
        #expect(!text.contains("no traffic in this window"), "\(text)")
        #expect(text.contains("█ reads  ▒ writes  × errors"), "\(text)")
        #expect(text.contains("500│"), "280 reads and 120 writes a second stack to 400, on a 500 axis:\n\(text)")
    }

    @Test func phasesThatReadTheNewStoreStillChartHitMissAndBackfill() {
        let text = frame(Fixtures.data(phase: "read-new")).text
        #expect(text.contains("█ hit ▒ miss ░ backfill × errors"), "narrower gaps keep every legend at 80 columns:\n\(text)")
        #expect(!text.contains("reads"))
    }

    /// ASCII gives every series and every mark a glyph of its own: `+` no longer means a done
    /// phase, a passed gate and a miss at once.
    @Test func asciiGivesEachSeriesAndMarkItsOwnGlyph() {
        let g = Glyphs.ascii
        let marks = [g.done, g.current, g.ahead, g.pass, g.fail, g.unknown, g.pointOfNoReturn] + g.fills
        #expect(Set(marks).count == marks.count, "\(marks)")
        #expect(Set(Glyphs.unicode.fills).count == ChartMark.allCases.count && g.fills.count == ChartMark.allCases.count)

        let old = frame(Self.oldStoreTraffic(phase: "dual-write"), glyphs: .ascii)
        #expect(old.text.contains("# reads  % writes  X errors"), "\(old.text)")
        let chart = old.lines[2...10].map { String($0.dropFirst(35)) }.joined()
        #expect(chart.contains("#") && chart.contains("%") && chart.contains("X") && !chart.contains("+"), "\(chart)")

        let new = frame(Fixtures.data(), glyphs: .ascii)
        #expect(new.text.contains("# hit % miss : backfill X errors"), "\(new.text)")
        #expect(new.lines[2].hasPrefix(" v 1 old-only") && new.lines[4].hasPrefix(" * 3 read-new"), "done and current apart")
        #expect(new.text.contains("x rollout"), "a gate that fails keeps its own glyph")
    }

    /// Failed writes to the old store (it is the secondary past the point of no return) are an
    /// error series too, and show even in a column the other series fill to the top.
    @Test func writeErrorsOfEitherStoreShowEvenInAFullColumn() {
        var data = Fixtures.data(phase: "new-primary", rollout: 10_000, slots: 71)
        data.traffic = CounterSeries(start: 1_800_000_000, slotSeconds: 60, values: [
            CounterName.hit: (0..<71).map { $0 == 70 ? 60 * 999 : 60 * 1000 },
            CounterName.writeOldError: (0..<71).map { $0 == 70 ? 60 : 0 },
        ])
        let screen = frame(data)
        #expect(screen[2, 78].character == "×" && screen[2, 78].style.color == .red, "\(screen.text)")
        #expect(screen[2, 77].character == "█")
    }

    @Test func aFiveMinuteWindowLabelsItsChart() {
        var data = Fixtures.data()
        data.window = .fiveMinutes
        data.traffic = CounterSeries(start: 1_800_003_300, slotSeconds: 5, values: ["hit": (0..<60).map { _ in 50 }])
        let text = frame(data, width: 120, height: 40).text
        #expect(text.contains("Traffic/s · 5m") && text.contains("-5m") && text.contains("10│"), "50 hits per 5 s slot: 10/s\n\(text)")
        #expect(frame(data).lines[1].contains(" 5m █ hit"), "at 80 columns the title gives way, the window and every series stay")
    }

    @Test func aPhaseWithoutAnyTrafficStillSaysSo() {
        var data = Self.oldStoreTraffic(phase: "dual-write")
        data.traffic = CounterSeries(start: 1_800_000_000, slotSeconds: 60, values: [:])
        #expect(frame(data).text.contains("no traffic in this window"))
    }

    @Test func theConsoleLoadsEverySeriesItCanChart() {
        for name in [CounterName.hit, CounterName.miss, CounterName.backfill, CounterName.readOld, CounterName.writeOld, CounterName.writeNewError,
                     CounterName.writeOldError] {
            #expect(ConsoleData.chartedCounters.contains(name), "\(name)")
        }
    }
}
