import Console
import Foundation
import MigrationCore
import Testing

/// Before the new store is read there is no hit, miss or backfill, yet the service is busy:
/// the chart then draws what those phases have, reads and writes served by the old store
/// and the new store's failed secondary writes.
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
        #expect(text.contains("reads") && text.contains("writes") && text.contains("new errors"), "\(text)")
        #expect(text.contains("500│"), "280 reads and 120 writes a second stack to 400, on a 500 axis:\n\(text)")
    }

    @Test func phasesThatReadTheNewStoreStillChartHitMissAndBackfill() {
        let text = frame(Fixtures.data(phase: "read-new")).text
        #expect(text.contains("hit") && text.contains("miss") && text.contains("backfill"))
        #expect(!text.contains("new errors"))
    }

    @Test func aPhaseWithoutAnyTrafficStillSaysSo() {
        var data = Self.oldStoreTraffic(phase: "dual-write")
        data.traffic = CounterSeries(start: 1_800_000_000, slotSeconds: 60, values: [:])
        #expect(frame(data).text.contains("no traffic in this window"))
    }

    @Test func theConsoleLoadsEverySeriesItCanChart() {
        for name in [CounterName.hit, CounterName.miss, CounterName.backfill, CounterName.readOld, CounterName.writeOld, CounterName.writeNewError] {
            #expect(ConsoleData.chartedCounters.contains(name), "\(name)")
        }
    }
}
