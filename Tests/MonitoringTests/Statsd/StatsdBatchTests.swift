import MigrationCore
import Monitoring
import Testing

/// What `migctl statsd` gathers between flushes: exact sampled counts, gauges, and the tally of
/// every line's fate written as `statsd.*` counters.
struct StatsdBatchTests {
    static let rules = StatsdRules(prefix: "app.", allowed: ["hit", "miss", "backfill", "lag"])

    static func ingest(_ packets: [String], into batch: inout StatsdBatch) {
        for packet in packets {
            Array(packet.utf8).withUnsafeBytes { batch.ingest(packet: $0) }
        }
    }

    @Test func tenSampledPacketsMakeExactlyOneHundredAndFractionsAreKeptAcrossFlushes() {
        var batch = StatsdBatch(rules: Self.rules)
        Self.ingest(Array(repeating: "app.hit:1|c|@0.1", count: 10), into: &batch)
        #expect(batch.takeWrites().counts == ["hit": 100])
        // 1 / 0.3 is 3.33…: three make 10, never 9, even across takes.
        Self.ingest(["app.miss:1|c|@0.3"], into: &batch)
        #expect(batch.takeWrites().counts == ["miss": 3])
        Self.ingest(["app.miss:1|c|@0.3"], into: &batch)
        #expect(batch.takeWrites().counts == ["miss": 3])
        Self.ingest(["app.miss:1|c|@0.3"], into: &batch)
        #expect(batch.takeWrites().counts == ["miss": 4])
        // A long run of rates that are not exact in binary adds up to the exact total.
        for rate in ["0.1", "0.3", "0.7", "0.01", "0.003"] {
            var run = StatsdBatch(rules: Self.rules)
            let n = 30_000
            Self.ingest(Array(repeating: "app.backfill:1|c|@\(rate)", count: n), into: &run)
            let expected = Int64((Double(n) / Double(rate)!).rounded())
            #expect(run.takeWrites().counts["backfill"] == expected, "\(n) at @\(rate)")
        }
        // Halves across flushes: counted once they make a whole one.
        var halves = StatsdBatch(rules: Self.rules)
        Self.ingest(["app.hit:0.5|c"], into: &halves)
        #expect(halves.takeWrites().counts["hit"] == nil)
        Self.ingest(["app.hit:0.5|c"], into: &halves)
        #expect(halves.takeWrites().counts == ["hit": 1])
    }

    @Test func severalMetricsPerPacketAndTheLastGaugeWins() {
        var batch = StatsdBatch(rules: Self.rules)
        Self.ingest(["app.hit:1|c\napp.hit:2|c\napp.miss:1|c\napp.lag:3|g\napp.lag:7|g", "app.hit:4|c|#x:y"], into: &batch)
        let writes = batch.takeWrites()
        #expect(writes == StatsdWrites(counts: ["hit": 7, "miss": 1], gauges: ["lag": 7]))
        #expect(batch.takeWrites().isEmpty, "taken once")
        #expect(batch.total.packets == 2 && batch.total.lines == 6 && batch.total.counted == 4 && batch.total.gauged == 2)
    }

    @Test func everyLineNotTakenIsCountedInItsOwnCounterAndTheFirstOfEachIsShownSanitised() {
        var batch = StatsdBatch(rules: Self.rules)
        Self.ingest([
            "app.hit:1|c\n\u{1B}]0;owned\u{07}:1|x\napp.hit:nan|c",   // one counted, two invalid (the first an escape sequence)
            "",                                                     // an empty packet: invalid
            "app.hit:3|ms\napp.hit:-1|c\napp.lag:+1|g",             // three skipped
            "other.hit:1|c\nother:x",                               // one ignored, one invalid
            "app.made.up:1|c\napp.also.made.up:1|c",                // two refused
            "app.Hit:1|c",                                          // invalid name
        ], into: &batch)
        let writes = batch.takeWrites()
        #expect(writes.counts == ["hit": 1, StatsdTally.invalidCounter: 5, StatsdTally.skippedCounter: 3,
                                  StatsdTally.ignoredCounter: 1, StatsdTally.refusedCounter: 2])
        let examples = batch.takeExamples()
        let invalid = examples.invalid ?? ""
        #expect(invalid == "'?]0;owned?:1|x': a type other than c, g, ms, h, d or s", "\(invalid.debugDescription)")
        #expect(!invalid.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        #expect(examples.skipped == .timer && examples.refused == "made.up")
        #expect(batch.takeExamples() == StatsdExamples(), "each report shows the first since the last")
        // Only what is new is written next time.
        Self.ingest(["app.nope:1|c"], into: &batch)
        #expect(batch.takeWrites().counts == [StatsdTally.refusedCounter: 1])
        #expect(batch.total.refused == 3 && batch.total.invalid == 5)
        let summary = batch.total.summary()
        #expect(summary == "7 packets, 13 lines: 1 counted, 0 gauge values, 5 invalid, 3 skipped, 1 ignored, 3 refused; the kernel dropped 0 packets",
                "\(summary)")
    }

    @Test func aLongExampleIsCutAndKernelDropsAreWritten() {
        var batch = StatsdBatch(rules: Self.rules)
        Self.ingest([String(repeating: "x", count: 5000) + "|c"], into: &batch)
        let invalid = batch.takeExamples().invalid ?? ""
        #expect(invalid == "'\(String(repeating: "x", count: 60))…': no ':' and value after the name")
        batch.addKernelDrops(12)
        batch.addKernelDrops(0)
        #expect(batch.takeWrites().counts == [StatsdTally.invalidCounter: 1, StatsdTally.droppedCounter: 12])
        #expect(batch.total.dropped == 12 && batch.total.hasTrouble)
    }

    @Test func countsSaturateInsteadOfWrapping() {
        var batch = StatsdBatch(rules: Self.rules)
        Self.ingest(Array(repeating: "app.hit:9007199254740992|c", count: 1100), into: &batch)
        #expect(batch.takeWrites().counts == ["hit": .max])
    }

    @Test func aFloodOfMadeUpNamesKeepsNothingButTheRefusedCount() {
        var batch = StatsdBatch(rules: StatsdRules(allowed: ["hit"]))
        for i in 0..<100_000 {
            Array("name\(i):1|c\nhit:1|c".utf8).withUnsafeBytes { batch.ingest(packet: $0) }
        }
        let writes = batch.takeWrites()
        #expect(writes.counts == ["hit": 100_000, StatsdTally.refusedCounter: 100_000])
        #expect(writes.gauges.isEmpty)
    }
}
