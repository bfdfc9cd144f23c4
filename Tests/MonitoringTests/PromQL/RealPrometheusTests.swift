import Foundation
import MigrationCore
import Monitoring
import TestSupport
import Testing

/// The querier against a real Prometheus (Debian's package) that scrapes a fixture exporter:
/// each answer a gate can get from a live server, read as the gate reads it.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct RealPrometheusTests {
    let folder = TemporaryDirectory()
    let querier = PrometheusQuerier()

    func check(_ url: String, _ query: String, max: Double? = 0.01, timeout: Int64 = 10) -> PrometheusCheck {
        PrometheusCheck(url: url, query: query, bounds: Bounds(max: max), timeoutSeconds: timeout)
    }

    /// An exporter with an error ratio of 0.004 and two request series, scraped every second.
    func scraped(routePrefix: String = "") throws -> (PromQLFixture, PrometheusServer) {
        let exporter = try PromQLFixture(.exporter, in: folder)
        try exporter.set("fixture_error_ratio", "0.004")
        try exporter.set("fixture_requests", labels: #"code="200""#, "970")
        try exporter.set("fixture_requests", labels: #"code="503""#, "30")
        let prometheus = try PrometheusServer(scraping: [exporter.target], routePrefix: routePrefix)
        #expect(prometheus.waitUntilScraped(exporter.target), "\(prometheus.logTail)")
        return (exporter, prometheus)
    }

    @Test func aScrapedFigurePassesThenFailsWhenItRises() throws {
        let (exporter, prometheus) = try scraped()
        defer { prometheus.stop(); exporter.stop() }
        let gate = check(prometheus.baseURL, "fixture_error_ratio")
        #expect(querier.query(gate, cancel: nil) == .value(0.004))

        try exporter.set("fixture_error_ratio", "0.05")
        #expect(prometheus.waitUntil("fixture_error_ratio") { $0.first?.value == 0.05 } != nil, "\(prometheus.logTail)")
        #expect(querier.query(gate, cancel: nil) == .value(0.05))

        // The shape of the issue's query: a ratio of two sums over series with labels.
        let ratio = check(prometheus.baseURL, #"sum(fixture_requests{code=~"5.."}) / sum(fixture_requests)"#)
        #expect(querier.query(ratio, cancel: nil) == .value(0.03))
        #expect(querier.query(check(prometheus.baseURL, "scalar(fixture_error_ratio) * 2"), cancel: nil) == .value(0.1),
                "a scalar is one value too")
    }

    @Test func answersThatAreNoSingleFigureAreUnknownWithTheirReason() throws {
        let (exporter, prometheus) = try scraped()
        defer { prometheus.stop(); exporter.stop() }
        let url = prometheus.baseURL

        #expect(querier.query(check(url, "fixture_never_exported"), cancel: nil) == .unknown(.noSeries))

        guard case .unknown(.manySeries(let count, let first)) = querier.query(check(url, "fixture_requests"), cancel: nil) else {
            Issue.record("two series must be unknown")
            return
        }
        #expect(count == 2)
        #expect(first.count == 2 && first[0].contains(#"code="200""#) && first[1].contains(#"code="503""#), "\(first)")

        guard case .unknown(.queryError(let type, let message)) = querier.query(check(url, "sum(fixture_requests"), cancel: nil) else {
            Issue.record("bad PromQL must be Prometheus's error")
            return
        }
        #expect(type == "bad_data" && message.contains("parse error"), "\(type): \(message)")

        #expect(querier.query(check(url, "0 / 0"), cancel: nil) == .unknown(.notFinite("NaN")))
        #expect(querier.query(check(url, "sum(fixture_error_ratio) / 0"), cancel: nil) == .unknown(.notFinite("+Inf")))
        #expect(querier.query(check(url, "fixture_error_ratio[1m]"), cancel: nil) == .unknown(.resultType("matrix")))
        #expect(querier.query(check(url, #""a string""#), cancel: nil) == .unknown(.resultType("string")))
    }

    @Test func aPathPrefixInTheURLIsKept() throws {
        let (exporter, prometheus) = try scraped(routePrefix: "/prometheus")
        defer { prometheus.stop(); exporter.stop() }
        #expect(prometheus.baseURL.hasSuffix("/prometheus"))
        #expect(querier.query(check(prometheus.baseURL, "fixture_error_ratio"), cancel: nil) == .value(0.004))
        #expect(querier.query(check(prometheus.baseURL + "/", "fixture_error_ratio"), cancel: nil) == .value(0.004),
                "a trailing slash is the same prefix")
        // Without the prefix the API is not there: no figure, and no confusion with one.
        let bare = querier.query(check("http://127.0.0.1:\(prometheus.port)", "fixture_error_ratio"), cancel: nil)
        guard case .unknown(.httpStatus(let status)) = bare else {
            Issue.record("the API without its prefix must be an HTTP status: \(bare)")
            return
        }
        #expect(!(200...299).contains(status))
    }

    @Test func aStoppedServerIsUnreachable() throws {
        let (exporter, prometheus) = try scraped()
        defer { exporter.stop() }
        let gate = check(prometheus.baseURL, "fixture_error_ratio")
        #expect(querier.query(gate, cancel: nil) == .value(0.004))
        prometheus.stop()
        #expect(querier.query(gate, cancel: nil) == .unknown(.unreachable("could not connect to 127.0.0.1:\(prometheus.port)")))
    }
}
