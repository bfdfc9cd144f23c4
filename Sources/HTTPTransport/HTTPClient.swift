import MigrationCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A blocking HTTP/1.1 client for one server: each ``send(_:timeout:bodyLimit:cancel:)`` opens
/// a connection, writes one request, reads the answer (its head, or its body up to a limit)
/// and closes, within a deadline and a cancel flag. The guard's webhooks and the Prometheus
/// gate's queries both go through it: migctl has one HTTP client.
///
/// It runs over swift-nio, which migctl links anyway, on one shared event-loop thread started
/// by the first request. https is TLS by NIOSSL: TLS 1.2 or later, the system's trust roots
/// (plus `trustRoots`), the certificate and its host name always verified, SNI set to the host
/// name (none for an IP literal). Each host name is looked up on a worker of its own, so a
/// resolver that hangs delays no other request. Redirects are not followed. No failure quotes
/// more of the URL than its host and port.
///
/// ```swift
/// let client = try HTTPClient(url: "https://prometheus.internal/prom", called: "Prometheus URL")
/// let answer = try client.send(HTTPRequest(method: "GET", target: "/prom/-/ready"), timeout: .seconds(5),
///                              bodyLimit: 4096, cancel: nil)
/// answer.status   // 200
/// ```
public struct HTTPClient: Sendable {
    /// Where requests go; holds the URL's secrets (path, query, user info): show ``HTTPEndpoint/origin``.
    public let endpoint: HTTPEndpoint
    /// For https only: the trust roots and verification, loaded once per client.
    private let tls: NIOSSLContext?

    /// - Parameters:
    ///   - called: how refusals name the URL (`webhook URL`, `Prometheus URL`).
    ///   - trustRoots: a PEM file of certificates to trust besides the system's (a private CA,
    ///     or a test's self-signed certificate); verification itself stays on.
    /// - Throws: ``HTTPFailure/badURL(_:)`` when `url` is not http or https with a host and a
    ///   port in range; ``HTTPFailure/badTrustRoots(_:)`` for an https URL when the system has
    ///   no trust roots or `trustRoots` holds no certificate.
    public init(url: String, called: String = "URL", trustRoots: String? = nil) throws(HTTPFailure) {
        try self.init(endpoint: HTTPEndpoint(url: url, called: called), trustRoots: trustRoots)
    }

    /// - Throws: ``HTTPFailure/badTrustRoots(_:)`` as ``init(url:called:trustRoots:)`` does.
    public init(endpoint: HTTPEndpoint, trustRoots: String? = nil) throws(HTTPFailure) {
        self.endpoint = endpoint
        tls = endpoint.secure ? try Self.tlsContext(extraRoots: trustRoots) : nil
    }

    /// Sends `request` and waits for the answer, blocking the calling thread (never an event loop).
    ///
    /// - Parameters:
    ///   - timeout: for the whole exchange: lookup, connection, TLS handshake, request and answer.
    ///   - bodyLimit: how many bytes of the answer's body to read; 0 reads the head only and
    ///     closes the connection there (the body is never kept).
    ///   - cancel: set from another thread to close the connection and return at once.
    /// - Returns: the answer, whatever its status (a 500 is an answer).
    /// - Throws: ``HTTPFailure/unreachable(_:)``, ``HTTPFailure/timedOut(server:seconds:)``,
    ///   ``HTTPFailure/bodyTooLarge(server:limit:)`` or ``HTTPFailure/cancelled``.
    public func send(_ request: HTTPRequest, timeout: Duration, bodyLimit: Int = 0, cancel: CancelFlag?) throws(HTTPFailure) -> HTTPResponse {
        let deadline = ContinuousClock.now + timeout
        let exchange = HTTPExchange(head: head(of: request), body: request.body, bodyLimit: max(0, bodyLimit))
        let tls = tls, serverName = endpoint.serverName, shown = endpoint.shown
        let loop = HTTPLoop.group.next()
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName)) }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(HTTPResponseHandler(exchange: exchange, shown: shown))
                }
            }
        let connecting = if let address = endpoint.address {
            bootstrap.connect(to: address)
        } else {
            bootstrap.resolver(HostResolver(loop: loop)).connect(host: endpoint.host, port: endpoint.port)
        }
        connecting.whenComplete { exchange.connected($0) }

        // The event loop never waits; this thread does, a slice at a time, to hear a cancel.
        while true {
            if cancel?.isSet == true {
                exchange.abandon()
                throw .cancelled
            }
            let now = ContinuousClock.now
            guard now < deadline else {
                exchange.abandon()
                throw .timedOut(server: endpoint.shown, seconds: timeout.roundedUpSeconds)
            }
            if let outcome = exchange.wait(for: min(deadline - now, .milliseconds(50))) {
                switch outcome {
                case .success(let response): return response
                case .failure(let error): throw HTTPFailure.from(error, at: endpoint, timeout: timeout)
                }
            }
        }
    }

    /// The request line and headers: `Host` first, the caller's, then `Content-Length`,
    /// `Connection: close` (one request per connection) and Basic authorization from the URL.
    private func head(of request: HTTPRequest) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: endpoint.hostHeader)
        for (name, value) in request.headers { headers.add(name: name, value: value) }
        headers.add(name: "Content-Length", value: String(request.body.count))
        headers.add(name: "Connection", value: "close")
        if let authorization = endpoint.authorization { headers.add(name: "Authorization", value: authorization) }
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: request.target, headers: headers)
    }

    /// The client side of TLS: full verification against the system roots and `extraRoots`.
    private static func tlsContext(extraRoots: String?) throws(HTTPFailure) -> NIOSSLContext {
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

/// The event loop every request shares: one thread, started by the first request (never by a
/// command that sends none), living as long as the process.
enum HTTPLoop {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
}
