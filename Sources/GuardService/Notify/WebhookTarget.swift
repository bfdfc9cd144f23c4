import Foundation
import HTTPTransport
import MigrationCore

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
/// The request goes through ``HTTPTransport/HTTPClient`` (HTTP/1.1 over swift-nio, one
/// connection per event, TLS by NIOSSL for https with the system's trust roots, the
/// certificate and its host name always verified, SNI set to the host). Only the answer's
/// status line and headers are read; the body is never kept.
///
/// ```swift
/// let slack = try WebhookTarget(url: "https://hooks.slack.com/services/T0/B0/XXXX", format: .slack)
/// slack.name   // "webhook https://hooks.slack.com/…"
/// ```
public struct WebhookTarget: NotificationTarget {
    public let format: WebhookFormat
    /// How long one request may take: connection, TLS handshake, request and the answer's head.
    public let timeout: Duration
    public let name: String
    /// Where to post, over TLS for https. Private: its endpoint holds the URL's secrets.
    private let client: HTTPClient

    /// - Parameters:
    ///   - timeout: the limit for one request, from connecting to the answer's head.
    ///   - trustRoots: a PEM file of certificates to trust besides the system's (a private
    ///     CA, or a test's self-signed certificate); verification itself stays on.
    /// - Throws: ``NotifyError/badWebhookURL(_:)`` when `url` is not http or https or has no
    ///   host; the sentence names the scheme at most, never the rest of the URL.
    ///   ``NotifyError/badTrustRoots(_:)`` for an https URL when the system has no trust
    ///   roots or `trustRoots` holds no certificate.
    public init(url text: String, format: WebhookFormat = .json, timeout: Duration = .seconds(10),
                trustRoots: String? = nil) throws(NotifyError) {
        do {
            client = try HTTPClient(url: text, called: "webhook URL", trustRoots: trustRoots)
        } catch {
            switch error {
            case .badTrustRoots(let why): throw .badTrustRoots(why)
            default: throw .badWebhookURL(error.reason)
            }
        }
        self.format = format
        self.timeout = timeout
        name = "webhook \(client.endpoint.origin)\(client.endpoint.hasMore ? "/…" : "")"
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

    /// Posts the event and reads the answer's head: a 2xx is a delivery.
    public func deliver(_ event: GuardEvent, cancel: CancelFlag) throws(NotifyError) {
        let request = HTTPRequest(method: "POST", target: client.endpoint.target,
                                  headers: [("User-Agent", "migctl-guard"), ("Content-Type", "application/json")],
                                  body: Array(body(for: event)))
        let answer: HTTPResponse
        do {
            answer = try client.send(request, timeout: timeout, cancel: cancel)
        } catch .cancelled {
            throw .cancelled
        } catch {
            throw .unreachable(error.reason)
        }
        guard (200...299).contains(answer.status) else { throw .httpStatus(answer.status) }
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
