import MigrationCore
import Monitoring
import Testing

/// The naming rule of `migctl statsd`: prefix, tags, migctl's alphabet, the allow-list, and
/// what becomes of the types it does not take.
struct StatsdRulesTests {
    static func judge(_ text: String, _ rules: StatsdRules) -> StatsdVerdict {
        let lines = StatsdPacket.lines(in: Array(text.utf8))
        return lines.count == 1 ? rules.judge(lines[0]) : .invalid(.emptyPacket)
    }

    static let rules = StatsdRules(prefix: "myapp.migration.", requiredTags: ["migration:users", "canary"], allowed: ["hit", "miss", "lag"])

    @Test func thePrefixIsRemovedAndEveryRequiredTagMustBeThere() {
        let rules = Self.rules
        #expect(Self.judge("myapp.migration.hit:1|c|#canary,migration:users,env:prod", rules) == .count(name: "hit", amount: 1))
        #expect(Self.judge("myapp.migration.hit:1|c|@0.25|#canary,migration:users", rules) == .count(name: "hit", amount: 4))
        #expect(Self.judge("myapp.migration.lag:3.5|g|#canary,migration:users", rules) == .gauge(name: "lag", value: 3.5))
        // Someone else's metric on a shared stream: ignored.
        #expect(Self.judge("other.hit:1|c|#canary,migration:users", rules) == .ignored)
        #expect(Self.judge("myapp.migration.hit:1|c|#migration:users", rules) == .ignored)
        #expect(Self.judge("myapp.migration.hit:1|c|#canary,migration:orders", rules) == .ignored)
        #expect(Self.judge("myapp.migration.hit:1|c|#canary,migration:users2", rules) == .ignored, "tags match exactly")
        #expect(Self.judge("myapp.migration.hit:1|c|#canary:yes,migration:users", rules) == .ignored, "a bare tag matches a bare tag")
        #expect(Self.judge("myapp.migration.hit:1|c", rules) == .ignored)
        #expect(Self.judge("MYAPP.migration.hit:1|c|#canary,migration:users", rules) == .ignored)
        // Taken as sent without a prefix or tags.
        let plain = StatsdRules(allowed: ["hit"])
        #expect(Self.judge("hit:1|c|#whatever", plain) == .count(name: "hit", amount: 1))
        #expect(Self.judge("myapp.hit:1|c", plain) == .refused(name: "myapp.hit"))
    }

    @Test func namesMustBeMigctlNamesAndAllowed() {
        let rules = Self.rules
        let tags = "|#canary,migration:users"
        #expect(Self.judge("myapp.migration.Hit:1|c" + tags, rules) == .invalid(.badName))
        #expect(Self.judge("myapp.migration.:1|c" + tags, rules) == .invalid(.badName), "nothing left after the prefix")
        #expect(Self.judge("myapp.migration..hit:1|c" + tags, rules) == .invalid(.badName))
        #expect(Self.judge("myapp.migration.hit/x:1|c" + tags, rules) == .invalid(.badName))
        #expect(Self.judge("myapp.migration.\(String(repeating: "a", count: 65)):1|c" + tags, rules) == .invalid(.badName))
        #expect(Self.judge("myapp.migration.made.up.name:1|c" + tags, rules) == .refused(name: "made.up.name"))
        #expect(Self.judge("myapp.migration.write:1|c" + tags, rules) == .refused(name: "write"), "only what the rules allow")
        let allowingOwn = StatsdRules(allowed: ["statsd.dropped", "hit"])
        #expect(Self.judge("statsd.dropped:0|c", allowingOwn) == .refused(name: "statsd.dropped"), "migctl's own counters are never fed")
    }

    @Test func typesMigctlDoesNotTakeAreSkippedOnceTheyAreOurs() {
        let rules = StatsdRules(prefix: "app.", allowed: ["hit", "lag"])
        #expect(Self.judge("app.hit:12|ms", rules) == .skipped(.timer))
        #expect(Self.judge("app.hit:12|h", rules) == .skipped(.histogram))
        #expect(Self.judge("app.hit:1:2|d", rules) == .skipped(.distribution))
        #expect(Self.judge("app.hit:bob|s", rules) == .skipped(.set))
        #expect(Self.judge("app.hit:-1|c", rules) == .skipped(.decrement))
        #expect(Self.judge("app.lag:+1|g", rules) == .skipped(.relativeGauge))
        #expect(Self.judge("app.lag:-1|g", rules) == .skipped(.relativeGauge))
        #expect(Self.judge("_e{1,1}:a|b", rules) == .skipped(.event))
        #expect(Self.judge("other.hit:12|ms", rules) == .ignored, "someone else's timer is ignored, not skipped")
        #expect(Self.judge("app.hit:-0|c", rules) == .count(name: "hit", amount: 0))
        #expect(Self.judge("app.hit:0|c", rules) == .count(name: "hit", amount: 0))
    }

    @Test func aCountAbove2To53IsInvalid() {
        let rules = StatsdRules(allowed: ["hit"])
        #expect(Self.judge("hit:9007199254740992|c", rules) == .count(name: "hit", amount: 9_007_199_254_740_992))
        #expect(Self.judge("hit:9007199254740994|c", rules) == .invalid(.tooLarge))
        #expect(Self.judge("hit:1e300|c", rules) == .invalid(.tooLarge))
        #expect(Self.judge("hit:1|c|@1e-300", rules) == .invalid(.tooLarge), "value / rate, not the value alone")
        #expect(Self.judge("hit:1e300|g", rules) == .gauge(name: "hit", value: 1e300), "a gauge holds any finite number")
    }

    @Test func byDefaultMigctlsOwnCountersAndWhatThePlanReadsAreAllowed() throws {
        let guarded = PhaseGuard(name: "errors", when: Gate(.counter(CounterCheck(numerator: ["orders.error"], denominator: ["orders"],
                                                                                     windowSeconds: 60, bounds: Bounds(max: 0.1)))),
                                 action: .hold)
        let plan = Plan(phases: [
            Phase(id: "old-only", title: "Old", reads: .old, writes: [.old]),
            Phase(id: "dual", title: "Dual", reads: .old, writes: [.old, .new], gates: [
                Gate(.counter(CounterCheck(numerator: ["custom.errors"], windowSeconds: 60, bounds: Bounds(max: 0)))),
                Gate(.gauge(GaugeCheck(gauge: "replication.lag_seconds", bounds: Bounds(max: 5), maxAgeSeconds: 60))),
                Gate(.soak(seconds: 60)),
            ], automation: PhaseAutomation(guards: [guarded])),
        ])
        let names = StatsdRules.defaultNames(for: plan)
        #expect(names == Set(CounterName.all + ["custom.errors", "replication.lag_seconds", "orders.error", "orders"]))
        #expect(names.isSuperset(of: ["hit", "miss", "backfill", "write.new.error", "verify.mismatch"]))
        #expect(StatsdRules.defaultNames(for: .default).contains("backfill.remaining"), "the default plan's gauge gate")
        #expect(!names.contains { $0.hasPrefix("statsd.") }, "its own counters are written by migctl, never taken from a sender")
    }
}
