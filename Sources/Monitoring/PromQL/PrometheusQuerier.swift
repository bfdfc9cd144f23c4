import HTTPTransport
import MigrationCore

/// Asks Prometheus a gate's query over its HTTP API: what migctl injects into MigrationCore
/// (``MigrationCore/ExternalChecks``) so that prometheus gates and guard conditions are judged.
///
/// An instant query (`POST <url>/api/v1/query`, the PromQL form-encoded in the body), so a
/// Prometheus behind a reverse proxy at a path prefix (`https://ops.example.com/prometheus`) is
/// reached at `/prometheus/api/v1/query`. http and https (TLS with the system's trust roots,
/// the certificate and host name verified) through ``HTTPTransport/HTTPClient``, within the
/// gate's timeout, cancelled at once by the cancel flag. The answer's body is read up to
/// ``bodyLimit`` and judged by ``PrometheusAnswer``.
///
/// ```swift
/// let checks = ExternalChecks(prometheus: PrometheusQuerier())
/// PrometheusQuerier().query(PrometheusCheck(url: "http://127.0.0.1:9090", query: "up", bounds: Bounds(min: 1)), cancel: nil)
/// // .value(1)
/// ```
public struct PrometheusQuerier: PrometheusQuerying {
    /// How much of an answer is read: one number needs little; a query that matched a million
    /// series does not fill the memory.
    public let bodyLimit: Int
    /// A PEM file of certificates to trust besides the system's, for an https server.
    public let trustRoots: String?

    public init(bodyLimit: Int = 1 << 20, trustRoots: String? = nil) {
        self.bodyLimit = bodyLimit
        self.trustRoots = trustRoots
    }

    public func query(_ check: PrometheusCheck, cancel: CancelFlag?) -> PrometheusOutcome {
        let client: HTTPClient
        do {
            client = try HTTPClient(url: check.url, called: "Prometheus URL", trustRoots: trustRoots)
        } catch {
            return .unknown(.unreachable(error.reason))
        }
        let request = HTTPRequest(
            method: "POST", target: Self.apiPath(under: client.endpoint.path),
            headers: [("User-Agent", "migctl"), ("Accept", "application/json"), ("Content-Type", "application/x-www-form-urlencoded")],
            body: Array("query=\(Self.formEncoded(check.query))".utf8))
        let answer: HTTPResponse
        do {
            answer = try client.send(request, timeout: .seconds(check.timeoutSeconds), bodyLimit: bodyLimit, cancel: cancel)
        } catch {
            switch error {
            case .timedOut(let server, let seconds): return .unknown(.timedOut(server: server, seconds: seconds))
            case .cancelled: return .unknown(.cancelled)
            case .bodyTooLarge(_, let limit): return .unknown(.tooLarge(limit: limit))
            default: return .unknown(.unreachable(error.reason))
            }
        }
        return PrometheusAnswer.outcome(status: answer.status, body: answer.body)
    }

    /// The query endpoint under the URL's path: `/api/v1/query`, or `/prometheus/api/v1/query`
    /// for `https://host/prometheus/`.
    static func apiPath(under prefix: String) -> String {
        var base = prefix
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/api/v1/query"
    }

    /// `application/x-www-form-urlencoded`: every byte but the unreserved ones percent-encoded
    /// (`+` too, which a form would read as a space).
    static func formEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return encoded
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
