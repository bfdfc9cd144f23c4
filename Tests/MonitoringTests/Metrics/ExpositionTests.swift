import Foundation
import MigrationCore
@testable import Monitoring
import Testing
import TestSupport

/// `migctl metrics`' text, read back by real parsers: prometheus_client's and promtool's.
struct ExpositionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// The default plan in `dual-write` at 25%, a few counters and gauges, four instances, a guard that fired.
    static func snapshot(migration: String = "users-v2") throws -> MetricsSnapshot {
        let state = MigrationState(phase: "dual-write", rollout: try Rollout(basisPoints: 2500), version: 7,
                                   phaseSince: now.addingTimeInterval(-90), changedAt: now.addingTimeInterval(-30), changedBy: "alice")
        let gates = GateReport(target: "read-new", irreversible: false, results: [
            GateResult(kind: "soak", label: "soak in dual-write", status: .fail, observed: "1m 30s", bound: "≥ 1d", sentence: "…", overridable: true),
            GateResult(kind: "counter", label: "write.new.error / (write) over 1h", status: .pass, observed: "0", bound: "≤ 0.001",
                       sentence: "…", overridable: false),
            GateResult(kind: "command", label: "./check.sh", status: .unknown, observed: "not run yet", bound: "exit 0", sentence: "…",
                       overridable: true),
        ])
        func instance(_ id: String, version: Int64, heartbeatAgo: TimeInterval, stale: Bool = false) -> FleetInstance {
            FleetInstance(id: id, host: "h", pid: 1, servingVersion: version, heartbeatAt: now.addingTimeInterval(-heartbeatAgo),
                          startedAt: now.addingTimeInterval(-3600), stale: stale)
        }
        let lease = GuardLease(holder: "guard@h:1:ab", host: "h", pid: 1, epoch: 3, acquiredAt: now.addingTimeInterval(-60),
                               renewedAt: now.addingTimeInterval(-2), expiresAt: now.addingTimeInterval(28))
        let firing = GuardFiring(id: 1, name: "new-store-errors", phase: "dual-write", action: "hold", firedAt: now.addingTimeInterval(-10),
                                 firedBy: "guard@h", observed: "0.03", bound: "≤ 0.01", sentence: "…")
        return MetricsSnapshot(
            migration: MigrationInfo(name: migration, createdAt: now.addingTimeInterval(-7200), createdBy: "alice"), plan: .default,
            state: state, counterTotals: ["hit": 120, "miss": 30, "write.new.error": 2, "backfill": 9_000_000_000],
            gauges: [Gauge(name: "replication.lag_seconds", value: 2.5, updatedAt: now.addingTimeInterval(-5)),
                     Gauge(name: "backfill.remaining", value: 0, updatedAt: now.addingTimeInterval(-1))],
            gates: gates,
            instances: [instance("a", version: 7, heartbeatAgo: 1), instance("b", version: 7, heartbeatAgo: 2),
                        instance("c", version: 6, heartbeatAgo: 3), instance("d", version: 7, heartbeatAgo: 4, stale: true),
                        instance("e", version: 7, heartbeatAgo: 600)],
            guardLease: lease, guardFirings: [firing], now: now)
    }

    @Test func everyFigureTheIssueAsksForParsesBackWithItsValue() throws {
        let text = PrometheusExposition.text(try Self.snapshot())
        #expect(Exposition.lint(text) == nil, "promtool check metrics: \(Exposition.lint(text) ?? "")")
        let samples = try Exposition.parse(text)

        #expect(samples.value("migctl_store_readable") == 1)
        #expect(samples.value("migctl_migration_info", ["migration": "users-v2"]) == 1)
        #expect(samples.value("migctl_phase_info", ["id": "dual-write", "position": "2", "irreversible": "false"]) == 1)
        #expect(samples.value("migctl_phases") == 8)
        #expect(samples.value("migctl_rollout_ratio") == 0.25)
        #expect(samples.value("migctl_state_version") == 7)
        #expect(samples.value("migctl_phase_seconds") == 90)
        #expect(samples.value("migctl_phase_started_timestamp_seconds") == Self.now.timeIntervalSince1970 - 90)

        // Counters are monotonic totals; a total beyond 2^32 survives.
        #expect(samples.first { $0.name == "migctl_events_total" }?.type == "counter")
        #expect(samples.value("migctl_events_total", ["counter": "hit"]) == 120)
        #expect(samples.value("migctl_events_total", ["counter": "write.new.error"]) == 2)
        #expect(samples.value("migctl_events_total", ["counter": "backfill"]) == 9_000_000_000)
        #expect(samples.value("migctl_reported_value", ["gauge": "replication.lag_seconds"]) == 2.5)
        #expect(samples.value("migctl_reported_timestamp_seconds", ["gauge": "replication.lag_seconds"]) == Self.now.timeIntervalSince1970 - 5)

        // Every gate of the next phase, as a state set: exactly one status is 1.
        let soak = ["target": "read-new", "index": "1", "kind": "soak"]
        #expect(samples.value("migctl_next_gate_status", soak.merging(["status": "fail"]) { $1 }) == 1)
        #expect(samples.value("migctl_next_gate_status", soak.merging(["status": "pass"]) { $1 }) == 0)
        #expect(samples.value("migctl_next_gate_status", soak.merging(["status": "unknown"]) { $1 }) == 0)
        #expect(samples.value("migctl_next_gate_status", ["index": "2", "status": "pass", "overridable": "false"]) == 1)
        #expect(samples.value("migctl_next_gate_status", ["index": "3", "kind": "command", "status": "unknown"]) == 1)
        #expect(samples.value("migctl_next_gates_passing") == 1)
        #expect(samples.value("migctl_next_gates") == 3)

        #expect(samples.value("migctl_instances", ["state": "live"]) == 2)
        #expect(samples.value("migctl_instances", ["state": "behind"]) == 1)
        #expect(samples.value("migctl_instances", ["state": "stale"]) == 1)
        #expect(samples.value("migctl_instances", ["state": "silent"]) == 1)

        #expect(samples.value("migctl_guard_lease_alive") == 1)
        #expect(samples.value("migctl_guard_lease_epoch") == 3)
        #expect(samples.value("migctl_guard_firing", ["guard": "new-store-errors", "action": "hold", "phase": "dual-write"]) == 1)
        #expect(samples.value("migctl_guard_holds") == 1)

        // One name per concept: every family emitted is in the catalogue, with its help line.
        let names = Set(MetricName.allCases.map(\.rawValue))
        for sample in samples {
            let family = sample.type == "counter" ? String(sample.name.dropLast("_total".count)) : sample.name
            #expect(names.contains(sample.name) || names.contains(family + "_total"), "\(sample.name) is not in MetricName")
        }
        for name in MetricName.allCases {
            #expect(text.contains("# HELP \(name.rawValue) \(name.help)"), "\(name.rawValue) has its help line")
        }
    }

    @Test func theLastPhaseHasNoNextGatesAndAnExpiredLeaseIsNotAlive() throws {
        var snapshot = try Self.snapshot()
        snapshot.state.phase = "complete"
        snapshot.gates = nil
        snapshot.guardLease?.expiresAt = Self.now.addingTimeInterval(-1)
        snapshot.guardFirings = []
        let samples = try Exposition.parse(PrometheusExposition.text(snapshot))
        #expect(samples.value("migctl_phase_info", ["id": "complete", "position": "8"]) == 1)
        #expect(!samples.contains { $0.name.hasPrefix("migctl_next_gate") })
        #expect(samples.value("migctl_guard_lease_alive") == 0)
        #expect(samples.value("migctl_guard_holds") == 0)
        #expect(!samples.contains { $0.name == "migctl_guard_firing" })
    }

    @Test func anUnreadableStoreSaysSoAndNothingElse() throws {
        let text = PrometheusExposition.text(nil)
        let samples = try Exposition.parse(text)
        #expect(samples.map(\.name) == ["migctl_store_readable"])
        #expect(samples.value("migctl_store_readable") == 0)
        #expect(Exposition.lint(text) == nil)
    }

    /// Names and values a foreign client or a person with sqlite3 could have written: quotes,
    /// backslashes, newlines, escape sequences, a bidi override, a megabyte. The exposition stays
    /// parseable, nothing raw gets through, and each value is cut.
    @Test func hostileNamesAndValuesStayInsideTheirLabels() throws {
        let hostile = "x\"} 1\nmigctl_pwned 1\n\\\u{1B}[31m\u{202E}" + String(repeating: "é", count: 1_000_000)
        var snapshot = try Self.snapshot(migration: hostile)
        snapshot.counterTotals[hostile] = 5
        snapshot.gauges.append(Gauge(name: hostile, value: .nan, updatedAt: Self.now))
        snapshot.gauges.append(Gauge(name: "inf", value: .infinity, updatedAt: Self.now))
        snapshot.gauges.append(Gauge(name: "huge", value: -1.7e308, updatedAt: Self.now))
        snapshot.guardFirings[0].name = hostile
        snapshot.counterTotals["negative"] = -3
        let text = PrometheusExposition.text(snapshot)
        let samples = try Exposition.parse(text)
        #expect(!samples.contains { $0.name == "migctl_pwned" })
        #expect(!text.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{202E}" })
        let info = try #require(samples.first { $0.name == "migctl_migration_info" })
        let cut = try #require(info.labels["migration"])
        #expect(cut.count == PrometheusExposition.labelLimit)
        #expect(cut.hasPrefix("x\"} 1?migctl_pwned 1?\\?[31m?"))
        #expect(samples.value("migctl_events_total", ["counter": cut]) == 5)
        #expect(samples.value("migctl_events_total", ["counter": "negative"]) == 0)
        // A gauge that is not a number is left out rather than reported as one.
        #expect(!samples.contains { $0.name == "migctl_reported_value" && ($0.labels["gauge"] == cut || $0.labels["gauge"] == "inf") })
        #expect(samples.value("migctl_reported_value", ["gauge": "huge"]) == -1.7e308)
        #expect(samples.value("migctl_guard_firing", ["guard": cut]) == 1)
    }

    /// Tens of thousands of names (any client may create them) made a scrape take seconds: the
    /// first 500 of each family by name are exposed, and the rest counted.
    @Test func aFloodOfNamesIsCappedAndCounted() throws {
        var snapshot = try Self.snapshot()
        snapshot.counterTotals = Dictionary(uniqueKeysWithValues: (0..<600).map { (String(format: "c%04d", $0), Int64($0)) })
        snapshot.gauges = (0..<550).map { Gauge(name: String(format: "g%04d", $0), value: 1, updatedAt: Self.now) }
        let samples = try Exposition.parse(PrometheusExposition.text(snapshot))
        let limit = PrometheusExposition.seriesLimit
        #expect(samples.filter { $0.name == "migctl_events_total" }.count == limit)
        #expect(samples.value("migctl_events_total", ["counter": "c0499"]) == 499)
        #expect(samples.value("migctl_events_total", ["counter": "c0500"]) == nil)
        #expect(samples.filter { $0.name == "migctl_reported_value" }.count == limit)
        #expect(samples.value("migctl_series_omitted", ["family": "migctl_events_total"]) == 100)
        #expect(samples.value("migctl_series_omitted", ["family": "migctl_reported_value"]) == 50)
    }

    /// A label is cut by Unicode scalars: one letter with 5,000 combining accents is one
    /// character, and was kept whole as a 10 KB label.
    @Test func aLabelOfCombiningMarksIsCutToo() throws {
        let text = PrometheusExposition.text(try Self.snapshot(migration: "e" + String(repeating: "\u{301}", count: 5000)))
        let info = try #require(try Exposition.parse(text).first { $0.name == "migctl_migration_info" })
        #expect(info.labels["migration"]?.unicodeScalars.count == PrometheusExposition.labelLimit)
    }

    @Test(arguments: [
        ("/metrics", "/metrics"), ("/metrics?x=1", "/metrics"), ("http://127.0.0.1:9464/metrics", "/metrics"),
        ("http://host", "/"), ("/", "/"), ("/metrics#f", "/metrics"), ("/a://b", "/a://b"),
    ])
    func requestTargetsInOriginAndAbsoluteForm(_ target: String, _ path: String) {
        #expect(MetricsHTTPHandler.path(of: target) == path)
    }

    /// The README's table of metrics names every metric the exposition can carry.
    @Test func theREADMEListsEveryMetric() throws {
        let readme = try String(contentsOfFile: #filePath.components(separatedBy: "/Tests/")[0] + "/README.md", encoding: .utf8)
        for name in MetricName.allCases {
            #expect(readme.contains("`\(name.rawValue)"), "README lacks \(name.rawValue)")
        }
    }
}
