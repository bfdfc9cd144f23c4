import Foundation
import TestSupport
import Testing

/// `migctl metrics` as Prometheus meets it: a real process, scraped over HTTP, its answer read
/// by prometheus_client's parser, on both stores, through state changes, a replaced file, a
/// missing file, hostile rows and stops.
@Suite(.serialized)
struct MetricsProcessTests {
    static let plan = """
        phases:
          - {id: old-only, reads: old, writes: [old], ramp: false}
          - id: dual-write
            reads: old
            writes: [old, new]
          - id: read-new
            reads: new-fallback-old
            writes: [old, new]
            gates:
              - {kind: soak, duration: 1h}
              - {kind: counter, numerator: [miss], denominator: [hit, miss], window: 5m, max: 0.5, overridable: false}
          - {id: new-primary, reads: new-fallback-old, writes: [new, old], irreversible: true}
        """

    @Test(.timeLimit(.minutes(2)), arguments: StoreKind.allCases)
    func aScrapeFollowsTheMigrationAndSigtermStopsIt(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Self.plan)
        let metrics = try MigctlDaemon(migctl, ["metrics", "--listen", "127.0.0.1:0"], name: "metrics")
        defer { metrics.stop() }
        let address = try #require(metrics.address(after: "serving http://"), "it says where it listens\n\(metrics.output)\n\(metrics.log)")
        let url = "http://\(address)/metrics"

        var samples = try Exposition.scrape(url)
        #expect(samples.value("migctl_store_readable") == 1)
        #expect(samples.value("migctl_migration_info", ["migration": "users-v2"]) == 1)
        #expect(samples.value("migctl_phase_info", ["id": "old-only", "position": "1", "irreversible": "false"]) == 1)
        #expect(samples.value("migctl_state_version") == 1)

        for step in [["advance", "--reason", "go"], ["rollout", "25"], ["count", "hit", "30"], ["count", "miss", "10"],
                     ["gauge", "replication.lag_seconds", "1.5"]] {
            let result = try migctl.run(step)
            #expect(result.status == 0, "\(step): \(result.stderr)")
        }
        samples = try Exposition.scrape(url)
        #expect(samples.value("migctl_phase_info", ["id": "dual-write", "position": "2"]) == 1)
        #expect(!samples.contains { $0.name == "migctl_phase_info" && $0.labels["id"] == "old-only" }, "no stale phase series")
        #expect(samples.value("migctl_rollout_ratio") == 0.25)
        #expect(samples.value("migctl_state_version") == 3)
        #expect(samples.value("migctl_events_total", ["counter": "hit"]) == 30)
        #expect(samples.value("migctl_events_total", ["counter": "miss"]) == 10)
        #expect(samples.value("migctl_reported_value", ["gauge": "replication.lag_seconds"]) == 1.5)
        #expect(samples.value("migctl_next_gate_status", ["target": "read-new", "kind": "soak", "status": "fail"]) == 1)
        #expect(samples.value("migctl_next_gate_status", ["kind": "counter", "overridable": "false", "status": "pass"]) == 1,
                "10 misses in 40 is within 0.5")
        #expect(samples.value("migctl_next_gates_passing") == 1)

        metrics.signal(SIGTERM)
        #expect(metrics.exited(within: .seconds(10)), "SIGTERM stops it")
        #expect(metrics.process.terminationStatus == 0, "\(metrics.log)")
    }

    /// A real Prometheus (Debian's) scrapes the exporter and answers PromQL over what it saw.
    @Test(.timeLimit(.minutes(2)))
    func aRealPrometheusScrapesItAndAnswersQueriesOverIt() throws {
        let under = try StoreUnderTest(.sqlite)
        let migctl = try under.initialized(plan: Self.plan)
        let metrics = try MigctlDaemon(migctl, ["metrics", "--listen", "127.0.0.1:0"], name: "metrics")
        defer { metrics.stop() }
        let address = try #require(metrics.address(after: "serving http://"))
        let prometheus = try PrometheusServer(scraping: [address], interval: "500ms")
        defer { prometheus.stop() }
        #expect(prometheus.waitUntilScraped(address), "\(prometheus.logTail)")
        #expect(prometheus.waitUntil("migctl_state_version") { $0.first?.value == 1 } != nil)
        #expect(prometheus.waitUntil(#"migctl_phase_info{id="old-only",position="1"}"#) { $0.count == 1 } != nil)

        for step in [["advance", "--reason", "go"], ["rollout", "25"], ["count", "hit", "30"], ["count", "miss", "10"]] {
            #expect(try migctl.run(step).status == 0, "\(step)")
        }
        #expect(prometheus.waitUntil("migctl_rollout_ratio") { $0.first?.value == 0.25 } != nil, "\(prometheus.logTail)")
        #expect(prometheus.waitUntil(#"sum(migctl_events_total{counter=~"hit|miss"})"#) { $0.first?.value == 40 } != nil)
        #expect(prometheus.waitUntil(#"migctl_next_gate_status{kind="soak",status="fail"} == 1"#) { $0.count == 1 } != nil)
        #expect(prometheus.waitUntil(#"max_over_time(migctl_state_version[1m])"#) { $0.first?.value == 3 } != nil)
        #expect(prometheus.query(#"up{job="fixture"}"#)?.first?.value == 1)
    }

    /// The file is replaced under the running exporter (a restore from backup), then deleted,
    /// then put back: each scrape tells the truth, and the process never dies.
    @Test(.timeLimit(.minutes(2)))
    func aReplacedOrMissingFileIsReportedAndFollowed() throws {
        let under = try StoreUnderTest(.sqlite)
        let migctl = try under.initialized(plan: Self.plan)
        let folder = migctl.folder
        let metrics = try MigctlDaemon(migctl, ["metrics", "--listen", "127.0.0.1:0"], name: "metrics")
        defer { metrics.stop() }
        let url = "http://\(try #require(metrics.address(after: "serving http://")))/metrics"
        #expect(try Exposition.scrape(url).value("migctl_migration_info", ["migration": "users-v2"]) == 1)

        var other = migctl
        other.environment["MIGCTL_DB"] = folder.appending(path: "restored.db").path
        #expect(try other.run(["init", "--name", "orders-v3", "--plan", "plan.yaml"]).status == 0)
        let store = folder.appending(path: URL(fileURLWithPath: under.db).lastPathComponent).path
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: store + suffix) }
        #expect(rename(folder.appending(path: "restored.db").path, store) == 0)
        #expect(eventually { (try? Exposition.scrape(url))?.value("migctl_migration_info", ["migration": "orders-v3"]) == 1 },
                "the replaced file is read\n\(metrics.log)")
        #expect(metrics.log.contains("replaced"), "\(metrics.log)")

        try FileManager.default.moveItem(atPath: store, toPath: store + ".aside")
        let unreadable = try Exposition.scrape(url)
        #expect(unreadable.map(\.name) == ["migctl_store_readable"] && unreadable.value("migctl_store_readable") == 0,
                "a missing store is not reported with stale figures: \(unreadable)")
        #expect(metrics.process.isRunning)
        #expect(metrics.log.contains("cannot read the control store"), "\(metrics.log)")

        try FileManager.default.moveItem(atPath: store + ".aside", toPath: store)
        #expect(eventually { (try? Exposition.scrape(url))?.value("migctl_store_readable") == 1 }, "\(metrics.log)")
        #expect(metrics.log.split(separator: "\n").allSatisfy { !$0.unicodeScalars.contains { $0.value < 0x20 } })
    }

    /// Rows written by hand that the store skips: the scrape still answers, without them, and the
    /// skipped row is logged once, sanitised.
    @Test(.timeLimit(.minutes(2)))
    func hostileRowsAreSkippedAndLoggedOnce() throws {
        let under = try StoreUnderTest(.sqlite)
        let migctl = try under.initialized(plan: Self.plan)
        #expect(try migctl.run(["gauge", "backfill.done", "5"]).status == 0)
        try migctl.sqlAsAttacker("INSERT INTO gauges VALUES ('lag\u{1B}[2J', 'n/a', '2026-11-26T09:00:00.000Z')")
        let metrics = try MigctlDaemon(migctl, ["metrics", "--listen", "127.0.0.1:0"], name: "metrics")
        defer { metrics.stop() }
        let url = "http://\(try #require(metrics.address(after: "serving http://")))/metrics"
        for _ in 0..<3 {
            let samples = try Exposition.scrape(url)
            #expect(samples.value("migctl_store_readable") == 1)
            #expect(samples.value("migctl_reported_value", ["gauge": "backfill.done"]) == 5)
            #expect(!samples.contains { $0.labels["gauge"]?.hasPrefix("lag") == true })
        }
        #expect(eventually { metrics.log.components(separatedBy: "skipped a row").count == 2 }, "logged once: \(metrics.log)")
        #expect(!metrics.log.contains("\u{1B}"))
    }

    /// What a browser, a typo or a port scanner sends: only GET and HEAD of /metrics and / answer.
    @Test(.timeLimit(.minutes(1)))
    func otherPathsAndMethodsAreRefusedAndHeadHasNoBody() throws {
        let under = try StoreUnderTest(.sqlite)
        let migctl = try under.initialized(plan: Self.plan)
        let metrics = try MigctlDaemon(migctl, ["metrics", "--listen", "127.0.0.1:0"], name: "metrics")
        defer { metrics.stop() }
        let base = "http://\(try #require(metrics.address(after: "serving http://")))"
        let script = """
            import sys, urllib.request, urllib.error
            for method, path in [("GET", "/metrics"), ("HEAD", "/metrics"), ("GET", "/"), ("GET", "/nope"), ("POST", "/metrics"), ("DELETE", "/")]:
                request = urllib.request.Request(sys.argv[1] + path, method=method, data=b"x" if method == "POST" else None)
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:
                        print(method, path, answer.status, len(answer.read()), answer.headers.get("Allow"))
                except urllib.error.HTTPError as error:
                    print(method, path, error.code, len(error.read()), error.headers.get("Allow"))
            """
        let result = StoreUnderTest.run("/usr/bin/python3", ["-c", script, base])
        let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.count == 6, "\(result.stdout)\(result.stderr)")
        guard lines.count == 6 else { return }
        #expect(lines[0][2] == "200" && Int(lines[0][3])! > 100)
        #expect(lines[1][2] == "200" && lines[1][3] == "0", "HEAD has no body")
        #expect(lines[2][2] == "200")
        #expect(lines[3][2] == "404")
        #expect(lines[4][2] == "405" && lines[4][4] == "GET," && lines[5][2] == "405")
        #expect(metrics.process.isRunning)
    }

    @Test func aBadAddressIsAUsageErrorAndABusyPortOneSentence() throws {
        let under = try StoreUnderTest(.sqlite)
        let migctl = try under.initialized(plan: Self.plan)
        for bad in ["nonsense", "127.0.0.1", "example.com:80", "127.0.0.1:99999", "[::1:80", "1.2.3.4.5:1"] {
            let result = try migctl.run(["metrics", "--listen", bad])
            #expect(result.status == 64, "\(bad): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains("HOST:PORT"), "\(bad): \(result.stderr)")
        }
        let first = try MigctlDaemon(migctl, ["metrics", "--listen", "127.0.0.1:0"], name: "first")
        defer { first.stop() }
        let taken = try #require(first.address(after: "serving http://"))
        let second = try migctl.run(["metrics", "--listen", taken])
        #expect(second.status == 1)
        #expect(second.stderr == "migctl: cannot listen on \(taken): another process already listens there; choose another address with --listen.\n")
    }
}
