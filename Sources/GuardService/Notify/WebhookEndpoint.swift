import Foundation
import MigrationCore
import NIOCore
import NIOHTTP1

/// A webhook URL taken apart: where to connect, what to send, and how to show it without its
/// secrets (path, query, fragment and user info are used, never shown).
///
/// ```swift
/// let endpoint = try WebhookEndpoint(url: "https://[::1]:8443/hooks/T0/B0?key=x")
/// endpoint.name    // "webhook https://[::1]:8443/…"
/// endpoint.shown   // "[::1]:8443"
/// ```
struct WebhookEndpoint: Sendable {
    /// https: TLS first.
    let secure: Bool
    /// The host to resolve, without the brackets of an IPv6 literal.
    let host: String
    let port: Int
    /// The address itself when the host is an IP literal: no resolver involved.
    let address: SocketAddress?
    /// The name sent as SNI and checked against the certificate; nil for an IP literal, whose
    /// certificate is checked against the address connected to.
    let serverName: String?
    /// `webhook scheme://host[:port][/…]`, for logs, stats and the console.
    let name: String
    /// `host:port`, for failure sentences.
    let shown: String
    /// The request target: path and query, never the fragment.
    private let target: String
    /// The `Host` header: the host, bracketed if IPv6, and the port unless it is the scheme's.
    private let hostHeader: String
    /// `Basic …` from the URL's user info, as curl sends it.
    private let authorization: String?

    /// - Throws: ``NotifyError/badWebhookURL(_:)``, naming the scheme at most.
    init(url text: String) throws(NotifyError) {
        guard let parts = URLComponents(string: text), parts.url != nil else {
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
        let defaultPort = scheme == "https" ? 443 : 80
        let port = parts.port ?? defaultPort
        guard (1...65535).contains(port) else {
            throw .badWebhookURL("the webhook URL's port is not between 1 and 65535")
        }
        let bare = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") ? String(rawHost.dropFirst().dropLast()) : rawHost
        let ipv6 = bare.contains(":")
        let bracketed = ipv6 ? "[\(bare)]" : bare
        let hidden = !(parts.percentEncodedPath.isEmpty || parts.percentEncodedPath == "/") || parts.percentEncodedQuery != nil
            || parts.percentEncodedFragment != nil

        secure = scheme == "https"
        host = bare
        self.port = port
        address = try? SocketAddress(ipAddress: bare, port: port)
        serverName = address != nil || ipv6 ? nil : Self.trimmingFinalDot(bare.lowercased())
        name = "webhook \(scheme)://\(bracketed)\(parts.port.map { ":\($0)" } ?? "")\(hidden ? "/…" : "")".terminalSafe
        shown = "\(bracketed):\(port)".terminalSafe
        let path = parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath
        target = path + (parts.percentEncodedQuery.map { "?\($0)" } ?? "")
        // A zone (`fe80::1%eth0`) means something on this host only: not sent (RFC 6874).
        let headerHost = ipv6 ? "[\(bare.prefix { $0 != "%" })]" : bare
        hostHeader = headerHost + (port == defaultPort ? "" : ":\(port)")
        if let user = parts.user {
            authorization = "Basic " + Data("\(user):\(parts.password ?? "")".utf8).base64EncodedString()
        } else {
            authorization = nil
        }
    }

    /// The POST of `body`, whole: `Content-Length`, one request per connection.
    func request(body: [UInt8]) -> WebhookRequest {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: hostHeader)
        headers.add(name: "User-Agent", value: "migctl-guard")
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        if let authorization { headers.add(name: "Authorization", value: authorization) }
        return WebhookRequest(head: HTTPRequestHead(version: .http1_1, method: .POST, uri: target, headers: headers), body: body)
    }

    private static func trimmingFinalDot(_ name: String) -> String {
        name.hasSuffix(".") ? String(name.dropLast()) : name
    }
}

/// One POST, ready to write: built on the delivering thread, written on the event loop.
struct WebhookRequest: Sendable {
    let head: HTTPRequestHead
    let body: [UInt8]
}
