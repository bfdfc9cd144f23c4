import Monitoring
import Testing

/// The statsd wire format, from bytes: what well-formed lines mean, and that nothing a sender
/// can put in a datagram crashes the parser or passes for a metric.
struct StatsdPacketTests {
    static func lines(_ text: String) -> [StatsdLine] { StatsdPacket.lines(in: Array(text.utf8)) }
    static func one(_ text: String) -> StatsdLine {
        let all = lines(text)
        #expect(all.count == 1, "one line in \(text.debugDescription): \(all)")
        return all.first ?? .problem(.emptyPacket)
    }

    // MARK: - Well-formed

    @Test func aCounterWithItsFields() {
        #expect(Self.one("hit:1|c") == .metric(StatsdMetric(name: "hit", type: .counter, value: 1)))
        #expect(Self.one("myapp.miss:2.5|c|@0.1") == .metric(StatsdMetric(name: "myapp.miss", type: .counter, value: 2.5, sampleRate: 0.1)))
        #expect(Self.one("hit:1|c|#migration:users,canary,,env:prod") ==
                .metric(StatsdMetric(name: "hit", type: .counter, value: 1, tags: ["migration:users", "canary", "env:prod"])))
        // DogStatsD's fields in any order, with the container, the timestamp and newer key:value fields ignored.
        #expect(Self.one("hit:3|c|#a:b|c:83c5b1e3|T1656581400|@0.5|card:low|e:it-false") ==
                .metric(StatsdMetric(name: "hit", type: .counter, value: 3, sampleRate: 0.5, tags: ["a:b"])))
        #expect(Self.one("hit:+1|c") == .metric(StatsdMetric(name: "hit", type: .counter, value: 1, signed: true)))
        #expect(Self.one("hit:-1|c") == .metric(StatsdMetric(name: "hit", type: .counter, value: -1, signed: true)))
        #expect(Self.one("hit:1e3|c") == .metric(StatsdMetric(name: "hit", type: .counter, value: 1000)))
        #expect(Self.one("hit:.5|c") == .metric(StatsdMetric(name: "hit", type: .counter, value: 0.5)))
        #expect(Self.one("hit:5.|c") == .metric(StatsdMetric(name: "hit", type: .counter, value: 5)))
        #expect(Self.one("hit:1|c|@1") == .metric(StatsdMetric(name: "hit", type: .counter, value: 1, sampleRate: 1)))
        #expect(Self.one("hit:1|c|@1e-3") == .metric(StatsdMetric(name: "hit", type: .counter, value: 1, sampleRate: 0.001)))
    }

    @Test func gaugesAndTheTypesMigctlSkipsAreParsedWithoutReadingTheirValues() {
        #expect(Self.one("backfill.remaining:42|g") == .metric(StatsdMetric(name: "backfill.remaining", type: .gauge, value: 42)))
        #expect(Self.one("lag:+3|g") == .metric(StatsdMetric(name: "lag", type: .gauge, value: 3, signed: true)))
        #expect(Self.one("t:12.5|ms|@0.1") == .metric(StatsdMetric(name: "t", type: .timer, sampleRate: 0.1)))
        #expect(Self.one("h:1|h") == .metric(StatsdMetric(name: "h", type: .histogram)))
        // DogStatsD packs several values into one distribution line; a set's members are any text.
        #expect(Self.one("d:1:2:3|d") == .metric(StatsdMetric(name: "d", type: .distribution)))
        #expect(Self.one("users:alice|s") == .metric(StatsdMetric(name: "users", type: .set)))
        #expect(Self.one("_e{5,4}:title|text|#a:b") == .event)
        #expect(Self.one("_sc|db.up|0|#a") == .event)
    }

    @Test func linesSplitAtNewlinesWithCarriageReturnsAndEmptyLinesDropped() {
        let parsed = Self.lines("hit:1|c\r\n\n\nmiss:2|c\n\r\nbackfill:3|c|@0.5\n")
        #expect(parsed == [
            .metric(StatsdMetric(name: "hit", type: .counter, value: 1)),
            .metric(StatsdMetric(name: "miss", type: .counter, value: 2)),
            .metric(StatsdMetric(name: "backfill", type: .counter, value: 3, sampleRate: 0.5)),
        ])
        #expect(Self.lines("").isEmpty && Self.lines("\n\n\r\n").isEmpty)
    }

    // MARK: - Malformed

    @Test(arguments: [
        ("hit", StatsdProblem.noValue), (":1|c", .noName), ("hit:1", .noType), ("hit:1|", .badType), ("hit:1|x", .badType),
        ("hit:1|C", .badType), ("hit:1|cc", .badType), ("hit:1|mss", .badType),
        ("hit:|c", .badValue), ("hit:abc|c", .badValue), ("hit:nan|c", .badValue), ("hit:NaN|c", .badValue), ("hit:inf|c", .badValue),
        ("hit:-inf|c", .badValue), ("hit:infinity|c", .badValue), ("hit:0x10|c", .badValue), ("hit:1,5|c", .badValue),
        ("hit:1e|c", .badValue), ("hit:1e+|c", .badValue), ("hit:.|c", .badValue), ("hit:--1|c", .badValue), ("hit:1 |c", .badValue),
        ("hit: 1|c", .badValue), ("hit:1e400|c", .badValue), ("hit:-1e400|g", .badValue), ("hit:1_000|c", .badValue),
        ("hit:\(String(repeating: "1", count: 65))|c", .badValue),
        ("hit:1|c|@0", .badRate), ("hit:1|c|@0.0", .badRate), ("hit:1|c|@1.5", .badRate), ("hit:1|c|@-0.1", .badRate),
        ("hit:1|c|@+0.1", .badRate), ("hit:1|c|@", .badRate), ("hit:1|c|@abc", .badRate), ("hit:1|c|@nan", .badRate),
        ("hit:1|c|@1e-400", .badRate), ("hit:1|c|@inf", .badRate),
        ("hit:1|c|", .badField), ("hit:1|c||@0.5", .badField), ("hit:1|c|x", .badField), ("hit:1|c|T", .badField),
        ("hit:1|c|T12a", .badField), ("hit:1|c|Key:v", .badField), ("hit:1|c|:v", .badField), ("hit:2|c:3|c", .badType),
        ("hit:1|c|@0.5|@0.1", .repeatedField), ("hit:1|c|#a|#b", .repeatedField), ("hit:1|c|T1|T2", .repeatedField),
        ("hit:1|c|c:a|c:b", .repeatedField),
    ])
    func malformedLinesAreTypedProblems(_ text: String, _ problem: StatsdProblem) {
        #expect(Self.one(text) == .problem(problem), "\(text.debugDescription)")
    }

    // MARK: - Hostile bytes

    @Test func binaryNULAndInvalidUTF8NeverPassForAMigctlName() {
        // The parser keeps the name as sent; the rules refuse what is not migctl's alphabet.
        let rules = StatsdRules(allowed: ["hit"])
        for bytes: [UInt8] in [
            Array("hit\0:1|c".utf8), [0xFF, 0xFE, 0x3A, 0x31, 0x7C, 0x63], Array("h\u{0130}t:1|c".utf8), [0x68, 0x69, 0x74, 0xC3, 0x3A, 0x31, 0x7C, 0x63],
            Array("\u{1B}[31mhit:1|c".utf8), Array("hit\u{202E}:1|c".utf8),
        ] {
            let lines = StatsdPacket.lines(in: bytes)
            #expect(lines.count == 1)
            #expect(lines.allSatisfy { rules.judge($0) == .invalid(.badName) }, "\(bytes): \(lines)")
        }
        #expect(StatsdPacket.lines(in: Array("hit:1\0|c".utf8)) == [.problem(.badValue)])
        #expect(StatsdPacket.lines(in: Array("hit:1|c\0".utf8)) == [.problem(.badType)])
        #expect(StatsdPacket.lines(in: Array("hit:1|c|@0.5\0".utf8)) == [.problem(.badRate)])
        #expect(StatsdPacket.lines(in: Array("hit:1|c|#a\u{0}b,\u{FF}".utf8)) ==
                [.metric(StatsdMetric(name: "hit", type: .counter, value: 1, tags: ["a\u{0}b", "\u{FF}"]))])
        // Every byte value alone, and random binary datagrams: each line is judged, none crashes.
        for byte in UInt8.min...UInt8.max {
            _ = StatsdPacket.lines(in: [byte]).map(rules.judge)
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let packet = (0..<Int.random(in: 0...300, using: &generator)).map { _ in
                // Mostly the bytes statsd gives a meaning to, so the random lines get deep into the parser.
                Bool.random(using: &generator) ? Array(":|@#,.-+e\nc0123456789gTs".utf8).randomElement(using: &generator)!
                                                : UInt8.random(in: .min ... .max, using: &generator)
            }
            for line in StatsdPacket.lines(in: packet) {
                if case .count(_, let amount) = rules.judge(line) { #expect(amount.isFinite && amount >= 0) }
            }
        }
    }

    @Test func aHugePacketOfTenThousandLinesIsEveryLine() {
        let text = (0..<10_000).map { "hit:\($0 % 7)|c|@0.5|#i:\($0)" }.joined(separator: "\n")
        let parsed = Self.lines(text)
        #expect(parsed.count == 10_000)
        let total = parsed.reduce(0.0) { sum, line in
            guard case .metric(let metric) = line else { return .nan }
            return sum + metric.value / metric.sampleRate
        }
        #expect(total == Double((0..<10_000).reduce(0) { $0 + $1 % 7 }) * 2)
        // One line as long as a datagram gets: a name of 64 KiB is a line like any other (and no migctl name).
        let long = String(repeating: "a", count: 65_000) + ":1|c"
        #expect(Self.one(long) == .metric(StatsdMetric(name: String(repeating: "a", count: 65_000), type: .counter, value: 1)))
        #expect(StatsdRules(allowed: ["a"]).judge(Self.one(long)) == .invalid(.badName))
    }
}
