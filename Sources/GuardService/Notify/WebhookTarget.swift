import Foundation
import MigrationCore
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What a webhook receives: the event itself, or a Slack incoming-webhook message.
public enum WebhookFormat: String, Sendable, Codable, CaseIterable {
    /// The body is ``GuardEvent/json``.
    case json
    /// The body is `{"text": "<the event's sentence>"}`, with `&`, `<` and `>` escaped as Slack asks.
    case slack
}

/// An HTTP POST of each event to a URL (`--webhook URL`, `--webhook-format json|slack`).
///
/// A 2xx answer is a delivery; any other status (redirects are not followed), no answer
/// within the timeout, or no connection is a failure. The URL's path and query are secrets
/// (a Slack webhook's carry its token): the target is only ever shown by scheme, host and port.
///
/// ```swift
/// let slack = try WebhookTarget(url: "https://hooks.slack.com/services/T0/B0/XXXX", format: .slack)
/// slack.name   // "webhook https://hooks.slack.com/…"
/// ```
public struct WebhookTarget: NotificationTarget {
    /// Private: the whole URL is a secret, shown nowhere.
    private let url: URL
    public let format: WebhookFormat
    /// How long one request may take, connection included.
    public let timeout: Duration
    public let name: String
    /// `host:port` for failure sentences.
    private let endpoint: String
    private let session: URLSession

    /// - Throws: ``NotifyError/badWebhookURL(_:)`` when `url` is not http or https or has no
    ///   host; the sentence names the scheme at most, never the rest of the URL.
    public init(url text: String, format: WebhookFormat = .json, timeout: Duration = .seconds(10)) throws(NotifyError) {
        guard let parts = URLComponents(string: text), let url = parts.url else {
            throw .badWebhookURL("the webhook URL cannot be parsed")
        }
        guard let scheme = parts.scheme?.lowercased(), !scheme.isEmpty else {
            throw .badWebhookURL("the webhook URL has no scheme")
        }
        guard scheme == "http" || scheme == "https" else {
            throw .badWebhookURL("the webhook URL's scheme is '\(String(scheme.prefix(20)).terminalSafe)'")
        }
        guard let rawHost = parts.host, !rawHost.isEmpty else {
            throw .badWebhookURL("the webhook URL has no host")
        }
        let host = rawHost.contains(":") && !rawHost.hasPrefix("[") ? "[\(rawHost)]" : rawHost
        let port = parts.port ?? (scheme == "https" ? 443 : 80)
        let hidden = !(parts.percentEncodedPath.isEmpty || parts.percentEncodedPath == "/") || parts.percentEncodedQuery != nil
            || parts.percentEncodedFragment != nil
        self.url = url
        self.format = format
        self.timeout = timeout
        self.endpoint = "\(host):\(port)".terminalSafe
        self.name = "webhook \(scheme)://\(host)\(parts.port.map { ":\($0)" } ?? "")\(hidden ? "/…" : "")".terminalSafe
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout.asTimeInterval
        configuration.timeoutIntervalForResource = timeout.asTimeInterval
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        session = URLSession(configuration: configuration, delegate: RedirectRefusal(), delegateQueue: nil)
    }

    /// The request body for `event` in this target's format.
    public func body(for event: GuardEvent) -> Data {
        switch format {
        case .json:
            return Data(event.json.utf8)
        case .slack:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(SlackMessage(text: Self.slackEscaped(event.text)))) ?? Data(#"{"text":""}"#.utf8)
        }
    }

    public func deliver(_ event: GuardEvent, cancel: CancelFlag) throws(NotifyError) {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout.asTimeInterval)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("migctl-guard", forHTTPHeaderField: "User-Agent")
        request.httpBody = body(for: event)
        let reply = Reply()
        let task = session.dataTask(with: request) { _, response, error in
            reply.finish(status: (response as? HTTPURLResponse)?.statusCode, error: error.map { ($0 as? URLError)?.code ?? URLError.Code.unknown })
        }
        task.resume()
        // URLSession's timeouts are the first line; this wait is the last, and hears a cancel.
        let deadline = ContinuousClock.now + timeout + .seconds(2)
        while reply.done.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            if cancel.isSet {
                task.cancel()
                throw .cancelled
            }
            if ContinuousClock.now >= deadline {
                task.cancel()
                throw .unreachable("\(endpoint) did not answer within \(timeout.roundedUpSeconds) s")
            }
        }
        let (status, error) = reply.outcome
        if let error { throw failure(error, cancelled: cancel.isSet) }
        guard let status else { throw .unreachable("\(endpoint) gave no HTTP answer") }
        guard (200...299).contains(status) else { throw .httpStatus(status) }
    }

    /// One sentence for a transport error, built from its code only: an error's own text may
    /// quote the URL.
    private func failure(_ code: URLError.Code, cancelled: Bool) -> NotifyError {
        switch code {
        case .cancelled where cancelled: .cancelled
        case .cannotConnectToHost: .unreachable("could not connect to \(endpoint)")
        case .cannotFindHost, .dnsLookupFailed: .unreachable("could not resolve the host of \(endpoint)")
        case .timedOut: .unreachable("\(endpoint) did not answer within \(timeout.roundedUpSeconds) s")
        case .networkConnectionLost: .unreachable("the connection to \(endpoint) was lost before an answer")
        case .notConnectedToInternet: .unreachable("no network route to \(endpoint)")
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
             .serverCertificateHasUnknownRoot, .clientCertificateRejected, .clientCertificateRequired:
            .unreachable("the TLS handshake with \(endpoint) failed (URL error \(code.rawValue))")
        case .badServerResponse: .unreachable("\(endpoint) answered something that is not HTTP")
        default: .unreachable("the request to \(endpoint) failed (URL error \(code.rawValue))")
        }
    }

    /// Slack's mrkdwn reads `&`, `<` and `>` as markup; its documentation asks for them escaped.
    static func slackEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// A Slack incoming-webhook message.
struct SlackMessage: Codable, Equatable {
    var text: String
}

/// One request's answer, handed from URLSession's queue to the delivering thread.
private final class Reply: Sendable {
    let done = DispatchSemaphore(value: 0)
    private let answer = Mutex<(status: Int?, error: URLError.Code?)>((nil, nil))

    func finish(status: Int?, error: URLError.Code?) {
        answer.withLock { $0 = (status, error) }
        done.signal()
    }

    var outcome: (status: Int?, error: URLError.Code?) { answer.withLock { $0 } }
}

/// Answers a redirect with the redirect itself: a webhook that moved is a failure to see, not
/// a POST turned into a GET somewhere else.
private final class RedirectRefusal: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
