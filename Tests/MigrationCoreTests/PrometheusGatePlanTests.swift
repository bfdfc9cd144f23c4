import Foundation
import MigrationCore
import Synchronization
import TestSupport
import Testing

/// The prometheus gate in plans: read, refused with its line and field, judged purely from
/// its outcome, and asked (or not) by checkGates.
struct PrometheusGatePlanTests {
    static let yaml = """
        phases:
          - id: old-only
            reads: old
            writes: [old]
          - id: dual-write
            reads: old
            writes: [old, new]
            guards:
              - name: error-budget
                when:
                  kind: prometheus
                  url: https://ops.example.com/prometheus
                  query: sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))
                  max: 0.02
                action: hold
            gates:
              - kind: prometheus
                url: http://127.0.0.1:9090
                query: sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))
                max: 0.01          # and/or min:
                timeout: 10s
              - kind: prometheus
                url: http://[::1]:9090/
                query: |
                  histogram_quantile(0.99,
                    sum by (le) (rate(db_query_seconds_bucket[5m])))
                min: 0
                max: 0.25
                timeout: 2m
                overridable: false
        """
    static let ratio = #"sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))"#

    @Test func thePlanReadsPrometheusGatesAndGuardConditions() throws {
        let plan = try PlanFile.parse(Self.yaml, file: "plan.yaml")
        let phase = try #require(plan.phase("dual-write"))
        #expect(phase.gates == [
            Gate(.prometheus(PrometheusCheck(url: "http://127.0.0.1:9090", query: Self.ratio, bounds: Bounds(max: 0.01), timeoutSeconds: 10))),
            Gate(.prometheus(PrometheusCheck(url: "http://[::1]:9090/", query: "histogram_quantile(0.99,\n  sum by (le) (rate(db_query_seconds_bucket[5m])))\n",
                                             bounds: Bounds(min: 0, max: 0.25), timeoutSeconds: 120)), overridable: false),
        ])
        let watched = try #require(phase.automation.guards.first)
        #expect(watched.when == Gate(.prometheus(PrometheusCheck(url: "https://ops.example.com/prometheus", query: Self.ratio,
                                                                  bounds: Bounds(max: 0.02), timeoutSeconds: 10))))
        #expect(watched.action == .hold)
        guard case .prometheus(let multiLine) = phase.gates[1].kind else { return }
        #expect(multiLine.label == "histogram_quantile(0.99, sum by (le) (rate(db_query_seconds_bucket[5m])))", "one line for a gate's row")
    }

    /// The problems of a plan whose second phase has `gate` as its only gate (line 7).
    func problems(_ gate: String) -> [PlanProblem] {
        PlanNumberTests().problems(gate: gate)
    }

    @Test(arguments: [
        ("{kind: prometheus, url: 'ftp://prom:9090', query: up, max: 1}", "gates[1].url", "has the scheme 'ftp'; use http:// or https://"),
        ("{kind: prometheus, url: 'prom:9090', query: up, max: 1}", "gates[1].url", "has the scheme 'prom'; use http:// or https://"),
        ("{kind: prometheus, url: '127.0.0.1:9090', query: up, max: 1}", "gates[1].url", "cannot be parsed as a URL"),
        ("{kind: prometheus, url: 'http:///api', query: up, max: 1}", "gates[1].url", "has no host"),
        ("{kind: prometheus, url: 'http://prom:70000', query: up, max: 1}", "gates[1].url", "has a port that is not between 1 and 65535"),
        ("{kind: prometheus, url: 'http://admin:secret@prom:9090', query: up, max: 1}", "gates[1].url",
         "holds user info; a plan is stored in the control database and shown to operators, so it carries no credentials"),
        ("{kind: prometheus, url: 'http://prom:9090/api/v1/query?query=up', query: up, max: 1}", "gates[1].url",
         "has a query or a fragment; give the server's base URL (a path prefix is fine) and the PromQL in 'query'"),
        ("{kind: prometheus, url: \"http://prom:9090/\\e[31m\", query: up, max: 1}", "gates[1].url", "holds a space or a control character"),
        ("{kind: prometheus, query: up, max: 1}", "gates[1].url", "is missing"),
        ("{kind: prometheus, url: 'http://prom:9090', max: 1}", "gates[1].query", "is missing"),
        ("{kind: prometheus, url: 'http://prom:9090', query: '   ', max: 1}", "gates[1].query", "is blank; give a PromQL expression that yields one number"),
        ("{kind: prometheus, url: 'http://prom:9090', query: \"up\\e]0;x\\a\", max: 1}", "gates[1].query",
         "holds a control character; PromQL is text (newlines and tabs are fine)"),
        ("{kind: prometheus, url: 'http://prom:9090', query: up}", "gates[1].max", "is missing; give max, min or both"),
        ("{kind: prometheus, url: 'http://prom:9090', query: up, min: 2, max: 1}", "gates[1].min", "2 is above max 1"),
        ("{kind: prometheus, url: 'http://prom:9090', query: up, max: .nan}", "gates[1].max", "'.nan' must be a finite number of at most 10^15 in size"),
        ("{kind: prometheus, url: 'http://prom:9090', query: up, max: 1, timeout: 0s}", "gates[1].timeout",
         "'0s' is not a positive duration; use 90s, 15m, 1h, 7d or seconds, at most 3650d"),
        ("{kind: prometheus, url: 'http://prom:9090', query: up, max: 1, timeout: 1h}", "gates[1].timeout", "1h is too long; a query may take at most 5m"),
        ("{kind: prometheus, url: 'http://prom:9090', query: up, max: 1, step: 1m}", "gates[1].step",
         "is not a field of a prometheus gate; use max, min, query, timeout, url, overridable"),
    ])
    func aMistakeIsOneSentenceNamingThePhaseAndTheGate(gate: String, field: String, message: String) throws {
        let found = problems(gate)
        #expect(found.count == 1, "\(found)")
        let problem = try #require(found.first)
        #expect(problem.field == "phases[2].\(field)" && problem.message == message, "\(problem)")
        #expect(problem.line == (message.hasPrefix("is missing") ? nil : 7), "a field that is there is named with its line")
    }

    @Test func aLongURLOrQueryIsRefused() {
        let url = "http://prom:9090/" + String(repeating: "a", count: Limits.urlScalars)
        #expect(problems("{kind: prometheus, url: '\(url)', query: up, max: 1}").map(\.field) == ["phases[2].gates[1].url"])
        let query = String(repeating: "up + ", count: Limits.promQLScalars / 5) + "up"
        #expect(problems("{kind: prometheus, url: 'http://prom', query: '\(query)', max: 1}").map(\.message)
            == ["is \(query.count) characters; a query has at most \(Limits.promQLScalars)"])
    }

    @Test func aGuardMayWatchAPrometheusQuery() {
        #expect(PhaseGuard.conditionKinds.contains("prometheus"))
    }

    // MARK: - Judging an outcome

    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let check = PrometheusCheck(url: "http://127.0.0.1:9090", query: "sum(errors) / sum(requests)", bounds: Bounds(max: 0.01), timeoutSeconds: 10)

    func result(_ outcome: PrometheusOutcome?) -> GateResult {
        let state = MigrationState(phase: "a", rollout: .full, version: 3, phaseSince: now, changedAt: now, changedBy: "ana")
        let target = Phase(id: "b", title: "", reads: .old, writes: [.old, .new])
        let inputs = GateInputs(now: now, state: state, target: target, actor: "ana", prometheus: outcome.map { [check.key: $0] } ?? [:])
        return GateEvaluation.evaluate([Gate(.prometheus(check))], inputs)[0]
    }

    @Test func aValueWithinBoundsPassesAndOneOutsideFails() {
        let pass = result(.value(0.00042))
        #expect(pass.kind == "prometheus" && pass.label == "sum(errors) / sum(requests)")
        #expect(pass.status == .pass && pass.observed == "0.00042" && pass.bound == "≤ 0.01", "a small ratio never reads as 0")
        let fail = result(.value(0.05))
        #expect(fail.status == .fail && fail.observed == "0.05" && fail.sentence == "the query's value is 0.05, outside ≤ 0.01")
        #expect(result(.value(0.01)).status == .pass, "bounds are inclusive")
    }

    @Test(arguments: [
        (PrometheusProblem.noSeries, "no series", "the query matched no series, so there is no value to judge"),
        (.manySeries(count: 3, first: [#"{code="500"}"#, #"{code="503"}"#]), "3 series",
         #"the query gave 3 series where one value is needed ({code="500"}, {code="503"}, …); aggregate it, e.g. with sum()"#),
        (.queryError(type: "bad_data", message: "1:5: parse error: unclosed left parenthesis"), "error bad_data",
         "Prometheus refused the query (bad_data): 1:5: parse error: unclosed left parenthesis"),
        (.timedOut(server: "127.0.0.1:9090", seconds: 10), "no answer in 10s", "Prometheus at 127.0.0.1:9090 did not answer within 10s"),
        (.unreachable("could not connect to 127.0.0.1:9090"), "no answer", "could not connect to 127.0.0.1:9090"),
        (.notFinite("NaN"), "NaN", "the query's value is NaN, which is no figure to judge (a division by zero?)"),
        (.resultType("matrix"), "a matrix", "the query gave a matrix; a gate needs an instant vector of one series or a scalar"),
        (.httpStatus(404), "HTTP 404", "the server answered HTTP 404 without a Prometheus answer; check the URL and its path prefix"),
        (.tooLarge(limit: 1 << 20), "answer too large", "the answer is larger than 1 MiB; a gate needs one value"),
        (.cancelled, "cancelled", "the query was cancelled before Prometheus answered"),
    ])
    func anAnswerWithoutOneFigureIsUnknownWithItsReason(problem: PrometheusProblem, observed: String, sentence: String) {
        let unknown = result(.unknown(problem))
        #expect(unknown.status == .unknown && unknown.observed == observed && unknown.sentence == sentence && unknown.bound == "≤ 0.01")
    }

    @Test func aQueryNotAskedYetSaysWhenItWillBe() {
        let unasked = result(nil)
        #expect(unasked.status == .unknown && unasked.observed == "not queried yet")
        #expect(unasked.sentence == "the query runs when you advance or run 'migctl check'")
    }

    // MARK: - Asking, through checkGates

    /// Answers every query with `answer`, and counts what it was asked.
    final class RecordingQuerier: PrometheusQuerying {
        let asked = Mutex<[String]>([])
        let answer: PrometheusOutcome

        init(_ answer: PrometheusOutcome) { self.answer = answer }

        func query(_ check: PrometheusCheck, cancel: CancelFlag?) -> PrometheusOutcome {
            asked.withLock { $0.append(check.query) }
            return answer
        }
    }

    static let gatedYAML = """
        phases:
          - {id: a, reads: old, writes: [old]}
          - id: b
            reads: old
            writes: [old, new]
            gates:
              - {kind: prometheus, url: 'http://127.0.0.1:9', query: errors, max: 0.01}
              - {kind: prometheus, url: 'http://127.0.0.1:9', query: errors, min: 0.001}
              - {kind: prometheus, url: 'http://127.0.0.1:9', query: latency, max: 0.25}
        """

    func store(_ kind: StoreKind) throws -> (StoreUnderTest, any ControlStore) {
        let under = try StoreUnderTest(kind)
        let store = try under.create(plan: PlanFile.parse(Self.gatedYAML, file: "plan.yaml"), by: under.signer("ana"))
        return (under, store)
    }

    @Test(arguments: StoreKind.allCases)
    func eachQueryIsAskedOncePerCheckAndAPreviewAsksNone(_ kind: StoreKind) throws {
        let (under, store) = try store(kind)
        defer { withExtendedLifetime(under) {} }
        let querier = RecordingQuerier(.value(0.004))
        let checks = ExternalChecks(prometheus: querier)
        let control = MigrationControl(store: store, signer: Operator(name: "ana", host: "h"), checks: checks)
        let report = try #require(try control.checkNext())
        #expect(querier.asked.withLock { $0 } == ["errors", "latency"], "the same query of the same server is asked once")
        #expect(report.results.map(\.status) == [.pass, .pass, .pass])
        #expect(report.results.map(\.observed) == ["0.004", "0.004", "0.004"])

        let state = try store.state()
        let target = try #require(try store.plan().phase("b"))
        let preview = try store.checkGates(into: target, from: state, actor: "ana", now: store.now(), checks: checks, runCommands: false)
        #expect(querier.asked.withLock { $0 }.count == 2, "a preview (the dashboard's) queries nothing")
        #expect(preview.results.map(\.observed) == ["not queried yet", "not queried yet", "not queried yet"])

        // The advance that follows a check the operator saw judges the figures of that check.
        let reused = try store.checkGates(into: target, from: state, actor: "ana", now: store.now(), checks: checks, reusing: report)
        #expect(querier.asked.withLock { $0 }.count == 2 && reused.results == report.results)
    }

    @Test(arguments: StoreKind.allCases)
    func withoutAQuerierTheGateIsUnknownAndSaysWhy(_ kind: StoreKind) throws {
        let (under, store) = try store(kind)
        defer { withExtendedLifetime(under) {} }
        let report = try #require(try MigrationControl(store: store, signer: Operator(name: "ana", host: "h")).checkNext())
        #expect(report.results.allSatisfy { $0.status == .unknown && $0.observed == "not queried" })
        #expect(report.results.first?.sentence == "this process cannot query Prometheus; 'migctl check' can")
    }

    @Test(arguments: StoreKind.allCases)
    func aPlanChangedBehindMigctlsBackIsNeverQueried(_ kind: StoreKind) throws {
        let (under, _) = try store(kind)
        try under.sqlAsAttacker("UPDATE phases SET gates = replace(gates, '127.0.0.1', '203.0.113.9') WHERE id = 'b'")
        #expect(try under.sql("SELECT gates FROM phases WHERE id = 'b'").stdout.contains("203.0.113.9"), "the plan was rewritten")
        let querier = RecordingQuerier(.value(0.004))
        let reopened = try under.open()
        let report = try #require(try MigrationControl(store: reopened, signer: Operator(name: "ana", host: "h"),
                                                       checks: ExternalChecks(prometheus: querier)).checkNext())
        #expect(querier.asked.withLock { $0 }.isEmpty, "no query went to the server the attacker named")
        #expect(report.results.allSatisfy { $0.status == .unknown })
        #expect(report.results.first?.sentence.hasSuffix("; migctl queries no server named by such a plan") == true, "\(report.results)")
    }
}
