import Dispatch
import Foundation
import MigrationCore
import Monitoring
import Synchronization
import TestSupport
import Testing

/// The querier against servers that are not a well-behaved Prometheus: what it sends, and what
/// it makes of garbage, huge or endless bodies, control characters, silence and TLS.
@Suite(.timeLimit(.minutes(2)))
struct HostileServerTests {
    let folder = TemporaryDirectory()
    let querier = PrometheusQuerier()
    static let success = Array(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.5,"0.25"]}]}}"#.utf8)

    func check(_ url: String, _ query: String = "up", timeout: Int64 = 10) -> PrometheusCheck {
        PrometheusCheck(url: url, query: query, bounds: Bounds(max: 1), timeoutSeconds: timeout)
    }

    @Test func theQueryIsPostedFormEncodedUnderThePathPrefix() throws {
        let server = try PromQLFixture(.canned, in: folder, body: Self.success)
        defer { server.stop() }
        let promQL = #"sum(rate(http_requests_total{code=~"5..", path="/a+b&c"}[5m])) / sum(rate(http_requests_total[5m]))"#
        #expect(querier.query(check("\(server.url)/ops/prometheus/", promQL), cancel: nil) == .value(0.25))
        let request = try #require(server.requests.first)
        #expect(request.method == "POST" && request.path == "/ops/prometheus/api/v1/query")
        #expect(request.headers["content-type"] == "application/x-www-form-urlencoded")
        #expect(request.headers["accept"] == "application/json" && request.headers["user-agent"] == "migctl")
        #expect(request.headers["host"] == "127.0.0.1:\(server.port)")
        var form = URLComponents()
        form.percentEncodedQuery = request.body
        #expect(form.queryItems == [URLQueryItem(name: "query", value: promQL)], "\(request.body)")
        #expect(!request.body.contains("+") && !request.body.contains(" "), "a + would read as a space: \(request.body)")
    }

    @Test(arguments: [
        ("garbage", "not json at all", PrometheusProblem.malformed("its body is not a JSON object")),
        ("a list", "[1, 2]", .malformed("its body is not a JSON object")),
        ("no data", #"{"status":"success"}"#, .malformed("it has no data.resultType")),
        ("odd status", #"{"status":"maybe","data":{}}"#, .malformed("its status is neither success nor error")),
        ("a bare value", #"{"status":"success","data":{"resultType":"scalar","result":"1"}}"#, .malformed("a sample is not [time, \"value\"]")),
        ("a number value", #"{"status":"success","data":{"resultType":"scalar","result":[1, 1]}}"#, .malformed("a sample is not [time, \"value\"]")),
        ("words", #"{"status":"success","data":{"resultType":"scalar","result":[1, "many"]}}"#, .malformed("a sample's value is not a number")),
        ("a long number", #"{"status":"success","data":{"resultType":"scalar","result":[1, "1\#(String(repeating: "0", count: 100))"]}}"#,
         .malformed("a sample's value is not a number")),
        ("a histogram", #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{}]}]}}"#,
         .malformed("its series holds a native histogram, not a number")),
        ("minus infinity", #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"-Inf"]}]}}"#, .notFinite("-Inf")),
        ("deep nesting", String(repeating: "[", count: 100_000), .malformed("its body is not a JSON object")),
    ])
    func aBodyThatIsNotAnAnswerIsUnknown(what: String, body: String, problem: PrometheusProblem) throws {
        let server = try PromQLFixture(.canned, in: folder, body: Array(body.utf8))
        defer { server.stop() }
        #expect(querier.query(check(server.url), cancel: nil) == .unknown(problem), "\(what)")
    }

    @Test func aProxysErrorPageIsItsStatusAndPrometheusErrorsAreTheirs() throws {
        let proxy = try PromQLFixture(.canned, in: folder, status: 502, body: Array("<html>Bad Gateway</html>".utf8), contentType: "text/html")
        defer { proxy.stop() }
        #expect(querier.query(check(proxy.url), cancel: nil) == .unknown(.httpStatus(502)))
        // Prometheus answers its errors with 400, 422 or 503 and a JSON body: the body tells why.
        let busy = try PromQLFixture(.canned, in: folder, status: 503,
                                     body: Array(#"{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}"#.utf8))
        defer { busy.stop() }
        #expect(querier.query(check(busy.url), cancel: nil) == .unknown(.queryError(type: "timeout", message: "query timed out in expression evaluation")))
    }

    @Test func controlCharactersInAnErrorNeverReachTheTerminalAndItIsCut() throws {
        let escape = "\u{1B}]0;owned\u{07}\u{1B}[2J\u{202E}\r\n"
        let object = ["status": "error", "errorType": "bad_data" + escape, "error": escape + "parse error" + String(repeating: "x", count: 10_000)]
        let encoded = try JSONSerialization.data(withJSONObject: object)
        let server = try PromQLFixture(.canned, in: folder, status: 400, body: Array(encoded))
        defer { server.stop() }
        guard case .unknown(.queryError(let type, let message)) = querier.query(check(server.url), cancel: nil) else {
            Issue.record("an error answer is Prometheus's error")
            return
        }
        for text in [type, message, PrometheusProblem.queryError(type: type, message: message).reason] {
            #expect(text == text.terminalSafe && !text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x202E }, "\(text.debugDescription)")
        }
        #expect(type.hasPrefix("bad_data?") && type.unicodeScalars.count <= 40)
        #expect(message.contains("parse error") && message.unicodeScalars.count == 300 && message.hasSuffix("…"))
    }

    @Test func aBodyOverTheLimitIsNotReadFurther() throws {
        let huge = Array(repeating: UInt8(ascii: " "), count: 2 << 20)
        let announced = try PromQLFixture(.canned, in: folder, body: huge)
        defer { announced.stop() }
        #expect(querier.query(check(announced.url), cancel: nil) == .unknown(.tooLarge(limit: 1 << 20)))
        let unannounced = try PromQLFixture(.canned, in: folder, body: huge, withLength: false)
        defer { unannounced.stop() }
        #expect(querier.query(check(unannounced.url), cancel: nil) == .unknown(.tooLarge(limit: 1 << 20)))
        let endless = try PromQLFixture(.endless, in: folder)
        defer { endless.stop() }
        let started = ContinuousClock.now
        #expect(querier.query(check(endless.url), cancel: nil) == .unknown(.tooLarge(limit: 1 << 20)))
        #expect(ContinuousClock.now - started < .seconds(5), "an endless body is cut at the limit, not at the timeout")
        // Below the limit, a body without a length is read to its end.
        let small = try PromQLFixture(.canned, in: folder, body: Self.success, withLength: false)
        defer { small.stop() }
        #expect(querier.query(check(small.url), cancel: nil) == .value(0.25))
    }

    @Test func aServerThatNeverAnswersTimesOut() throws {
        let silent = try PromQLFixture(.silent, in: folder)
        defer { silent.stop() }
        let started = ContinuousClock.now
        #expect(querier.query(check(silent.url, timeout: 1), cancel: nil) == .unknown(.timedOut(server: silent.target, seconds: 1)))
        let took = ContinuousClock.now - started
        #expect(took >= .seconds(1) && took < .seconds(4), "\(took)")
        #expect(silent.requests.count == 1, "the query was sent; its answer never came")
    }

    @Test func aCancelStopsTheQueryAtOnce() throws {
        let silent = try PromQLFixture(.silent, in: folder)
        defer { silent.stop() }
        let cancel = CancelFlag()
        let outcome = Mutex<PrometheusOutcome?>(nil)
        let done = DispatchSemaphore(value: 0)
        let querier = querier, gate = check(silent.url, timeout: 60)
        Thread.detachNewThread {
            let result = querier.query(gate, cancel: cancel)
            outcome.withLock { $0 = result }
            done.signal()
        }
        #expect(eventually { silent.requests.count == 1 })
        let started = ContinuousClock.now
        cancel.set()
        #expect(done.wait(timeout: .now() + 2) == .success)
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(outcome.withLock { $0 } == .unknown(.cancelled))
    }

    @Test func nothingListeningAnUnknownHostOrABadURLIsUnreachable() throws {
        let closed = try RefusingPort(), port = closed.port
        defer { withExtendedLifetime(closed) {} }
        #expect(querier.query(check("http://127.0.0.1:\(port)"), cancel: nil) == .unknown(.unreachable("could not connect to 127.0.0.1:\(port)")))
        #expect(querier.query(check("http://no-such-host.invalid:9090/prometheus"), cancel: nil)
            == .unknown(.unreachable("could not resolve the host of no-such-host.invalid:9090")))
        #expect(querier.query(check("ftp://127.0.0.1/"), cancel: nil) == .unknown(.unreachable("the Prometheus URL's scheme is 'ftp'")))
    }

    @Test func httpsIsVerifiedAgainstTheTrustRoots() throws {
        let certificate = try TestCertificate(in: folder, names: ["DNS:localhost", "IP:127.0.0.1"])
        let server = try PromQLFixture(.canned, in: folder, body: Self.success, tls: certificate)
        defer { server.stop() }
        let url = "https://localhost:\(server.port)/prometheus"
        #expect(PrometheusQuerier(trustRoots: certificate.certificate).query(check(url), cancel: nil) == .value(0.25))
        #expect(PrometheusQuerier(trustRoots: certificate.certificate).query(check("https://127.0.0.1:\(server.port)"), cancel: nil) == .value(0.25))
        #expect(server.requests.map(\.path) == ["/prometheus/api/v1/query", "/api/v1/query"])
        // The system's roots alone do not trust a self-signed certificate: nothing is sent.
        guard case .unknown(.unreachable(let why)) = querier.query(check(url), cancel: nil) else {
            Issue.record("an untrusted certificate must be refused")
            return
        }
        #expect(why.contains("certificate could not be verified"), "\(why)")
        #expect(server.requests.count == 2)
        // https to a plain HTTP server is a TLS failure, not a figure.
        let plain = try PromQLFixture(.canned, in: folder, body: Self.success)
        defer { plain.stop() }
        #expect(querier.query(check("https://127.0.0.1:\(plain.port)"), cancel: nil)
            == .unknown(.unreachable("the TLS handshake with 127.0.0.1:\(plain.port) failed (WRONG_VERSION_NUMBER)")))
    }
}
