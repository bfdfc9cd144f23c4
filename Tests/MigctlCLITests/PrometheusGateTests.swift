import Foundation
import MigrationCore
import TestSupport
import Testing

/// The prometheus gate and guard condition through the real binary, against a real Prometheus
/// (Debian's) started on loopback: the figure and the reason in `check`, `advance` and dry runs,
/// the lease a guard needs for a query, and a guard that holds on a query's figure.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PrometheusGateTests {
    static let twoSeries = #"label_replace(vector(1), "a", "x", "", "") or label_replace(vector(2), "a", "y", "", "")"#

    /// Phase b's gate passes (0.004 ≤ 0.01) and its guard's condition fails (0.05); c's gates fail,
    /// match no series and give two. The queries are PromQL that a real Prometheus evaluates
    /// without anything scraped.
    static func plan(_ url: String, guardTimeout: String = "10s") -> String {
        """
        phases:
          - {id: a, reads: old, writes: [old]}
          - id: b
            reads: old
            writes: [old, new]
            gates:
              - {kind: prometheus, url: '\(url)', query: 'vector(0.004)', max: 0.01}
            guards:
              - name: error-budget
                when: {kind: prometheus, url: '\(url)', query: 'vector(0.05)', max: 0.01, timeout: \(guardTimeout)}
                action: hold
          - id: c
            reads: new-fallback-old
            writes: [old, new]
            gates:
              - {kind: prometheus, url: '\(url)', query: 'vector(0.05)', max: 0.01}
              - {kind: prometheus, url: '\(url)', query: 'no_such_metric_anywhere', max: 0.01}
              - {kind: prometheus, url: '\(url)', query: '\(twoSeries)', max: 10}
        """
    }

    @Test func checkAndAdvanceShowTheFigureAndTheReason() throws {
        let prometheus = try PrometheusServer(scraping: [])
        defer { prometheus.stop() }
        let under = try StoreUnderTest(.sqlite)
        let migctl = try under.initialized(plan: Self.plan(prometheus.baseURL))

        let check = try migctl.run(["check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("  pass    vector(0.004): 0.004 (want ≤ 0.01) · the query's value is within bounds"), "\(check.stdout)")

        // A dry run asks Prometheus only with --run-commands, as it runs command gates.
        let unasked = try migctl.run(["advance", "--dry-run"])
        #expect(unasked.status == 3, "\(unasked.stdout)\(unasked.stderr)")
        #expect(unasked.stdout.contains("  UNKNOWN vector(0.004): not queried yet (want ≤ 0.01)")
            && unasked.stdout.contains("add --run-commands"), "\(unasked.stdout)")
        let asked = try migctl.run(["advance", "--dry-run", "--run-commands"])
        #expect(asked.status == 0 && asked.stdout.contains("  pass    vector(0.004): 0.004"), "\(asked.stdout)\(asked.stderr)")

        #expect(try migctl.run(["advance", "--reason", "error ratio well under budget"]).status == 0)
        let failing = try migctl.run(["check"])
        #expect(failing.status == 3)
        #expect(failing.stdout.contains("  FAIL    vector(0.05): 0.05 (want ≤ 0.01) · the query's value is 0.05, outside ≤ 0.01"), "\(failing.stdout)")
        #expect(failing.stdout.contains("  UNKNOWN no_such_metric_anywhere: no series (want ≤ 0.01) · the query matched no series"), "\(failing.stdout)")
        #expect(failing.stdout.contains(": 2 series (want ≤ 10) · the query gave 2 series where one value is needed ({a=\"x\"}, {a=\"y\"})"),
                "\(failing.stdout)")
        let checked = try migctl.run(["check", "--json"])
        #expect(checked.status == 3)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(checked.stdout.utf8)) as? [String: Any])
        let results = try #require(json["results"] as? [[String: Any]])
        #expect(results.map { $0["kind"] as? String } == ["prometheus", "prometheus", "prometheus"])
        #expect(results.map { $0["status"] as? String } == ["fail", "unknown", "unknown"])
        #expect(results.map { $0["observed"] as? String } == ["0.05", "no series", "2 series"])

        #expect(try migctl.run(["rollout", "100"]).status == 0)
        let refused = try migctl.run(["advance", "--reason", "try"])
        #expect(refused.status == 3 && refused.stderr.contains("vector(0.05)"), "\(refused.stdout)\(refused.stderr)")

        // Prometheus gone: unknown, with where it was looked for.
        prometheus.stop()
        let gone = try migctl.run(["check"])
        #expect(gone.status == 3)
        #expect(gone.stdout.contains("  UNKNOWN vector(0.05): no answer (want ≤ 0.01) · could not connect to 127.0.0.1:\(prometheus.port)"),
                "\(gone.stdout)")
    }

    @Test func aGuardHoldsOnAQuerysFigureAndItsTimeoutMustFitTheLease() throws {
        let prometheus = try PrometheusServer(scraping: [])
        defer { prometheus.stop() }
        let under = try StoreUnderTest(.sqlite)
        let migctl = try under.initialized(plan: Self.plan(prometheus.baseURL, guardTimeout: "20s"))
        #expect(try migctl.run(["advance", "--reason", "go"]).status == 0)

        // A query that may take 20 s does not fit a 5 s lease.
        let tight = try migctl.run(["guard", "run", "--interval", "1s", "--lease", "5s"])
        #expect(tight.status == 64, "\(tight.stderr)")
        #expect(tight.stderr.contains("guard 'error-budget' of 'b' asks Prometheus a query with a 20s timeout, which does not fit in the lease"),
                "\(tight.stderr)")

        let daemon = try MigctlDaemon(migctl, ["guard", "run", "--interval", "500ms", "--lease", "30s"], name: "guard")
        defer { daemon.stop() }
        #expect(eventually(within: .seconds(30)) {
            (try? migctl.run(["guard", "status"]).stdout.contains("fired error-budget (hold) in b")) == true
        }, "\(daemon.log)")
        #expect(daemon.log.contains("guard 'error-budget' fired in 'b': the query's value is 0.05, outside ≤ 0.01"), "\(daemon.log)")
        let held = try migctl.run(["rollout", "50"])
        #expect(held.status == 3 && held.stderr.contains("error-budget"), "\(held.stderr)")
    }
}
