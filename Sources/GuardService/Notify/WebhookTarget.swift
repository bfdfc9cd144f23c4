import Foundation
import MigrationCore
import NIOCore
import NIOPosix
import NIOSSL

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
/// The request is HTTP/1.1 over swift-nio, one connection per event (`Connection: close`),
/// TLS by NIOSSL for https: the system's trust roots, the certificate and its host name
/// always verified, SNI set to the host. Only the answer's status line and headers are read;
/// the body is never kept. No HTTP client library is loaded: migctl links swift-nio anyway.
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
    /// Where to connect, and the request line and headers. Private: it holds the URL's secrets.
    private let endpoint: WebhookEndpoint
    /// For https only: the trust roots and verification, loaded once per target.
    private let tls: NIOSSLContext?

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
        let endpoint = try WebhookEndpoint(url: text)
        self.endpoint = endpoint
        self.format = format
        self.timeout = timeout
        self.name = endpoint.name
        self.tls = endpoint.secure ? try Self.tlsContext(extraRoots: trustRoots) : nil
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
        let deadline = ContinuousClock.now + timeout
        let exchange = WebhookExchange(request: endpoint.request(body: Array(body(for: event))))
        let tls = tls, serverName = endpoint.serverName
        let loop = WebhookLoop.group.next()
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName)) }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(WebhookResponseHandler(exchange: exchange))
                }
            }
        let connecting = if let address = endpoint.address {
            bootstrap.connect(to: address)
        } else {
            bootstrap.resolver(WebhookResolver(loop: loop)).connect(host: endpoint.host, port: endpoint.port)
        }
        connecting.whenComplete { exchange.connected($0) }

        // The event loop never waits; this thread does, a slice at a time, to hear a cancel.
        while true {
            if cancel.isSet {
                exchange.abandon()
                throw .cancelled
            }
            let now = ContinuousClock.now
            guard now < deadline else {
                exchange.abandon()
                throw .unreachable("\(endpoint.shown) did not answer within \(timeout.roundedUpSeconds) s")
            }
            if let outcome = exchange.wait(for: min(deadline - now, .milliseconds(50))) {
                switch outcome {
                case .success(let status) where (200...299).contains(status): return
                case .success(let status): throw .httpStatus(status)
                case .failure(let error): throw .webhookFailure(error, at: endpoint, timeout: timeout)
                }
            }
        }
    }

    /// Slack's mrkdwn reads `&`, `<` and `>` as markup; its documentation asks for them escaped.
    static func slackEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// The client side of TLS: full verification against the system roots and `extraRoots`.
    private static func tlsContext(extraRoots: String?) throws(NotifyError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        if let extraRoots {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(extraRoots)
            } catch {
                throw .badTrustRoots("\(extraRoots.terminalSafe) cannot be read as PEM certificates")
            }
            guard !certificates.isEmpty else { throw .badTrustRoots("\(extraRoots.terminalSafe) holds no PEM certificate") }
            configuration.additionalTrustRoots = [.certificates(certificates)]
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            let extra = extraRoots.map { " or in \($0.terminalSafe)" } ?? ""
            throw .badTrustRoots("the trust roots in the system's CA bundle (such as /etc/ssl/certs/ca-certificates.crt)\(extra) cannot be loaded")
        }
    }
}

/// A Slack incoming-webhook message.
struct SlackMessage: Codable, Equatable {
    var text: String
}

/// The event loop every webhook target shares: one thread, started by the first delivery
/// (never by a command that sends no webhook), living as long as the process.
enum WebhookLoop {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
}
