import Foundation
import MigrationCore
import NIOCore

/// An http or https URL taken apart: where to connect, what to put in the request line and
/// headers, and how to show it without its secrets (path, query, fragment and user info are
/// used, never shown).
///
/// ```swift
/// let endpoint = try HTTPEndpoint(url: "https://[::1]:8443/hooks/T0/B0?key=x", called: "webhook URL")
/// endpoint.origin   // "https://[::1]:8443"
/// endpoint.shown    // "[::1]:8443"
/// endpoint.target   // "/hooks/T0/B0?key=x"
/// ```
public struct HTTPEndpoint: Sendable {
    /// `http` or `https`, lower-case.
    public let scheme: String
    /// The host to resolve, without the brackets of an IPv6 literal.
    public let host: String
    public let port: Int
    /// The scheme, host and port as the URL wrote them (the port only when it was written),
    /// bracketed if IPv6, terminal-safe: `https://[::1]:8443`. Nothing secret.
    public let origin: String
    /// `host:port`, for failure sentences.
    public let shown: String
    /// The percent-encoded path, `/` when the URL has none.
    public let path: String
    /// The percent-encoded query, without its `?`.
    public let query: String?
    /// Whether the URL carries a fragment (never sent).
    public let hasFragment: Bool
    /// Whether the URL carries user info (sent as Basic authorization).
    public let hasUserInfo: Bool
    /// The address itself when the host is an IP literal: no resolver involved.
    let address: SocketAddress?
    /// The name sent as SNI and checked against the certificate; nil for an IP literal, whose
    /// certificate is checked against the address connected to.
    let serverName: String?
    /// The `Host` header: the host, bracketed if IPv6, and the port unless it is the scheme's.
    let hostHeader: String
    /// `Basic …` from the URL's user info, as curl sends it.
    let authorization: String?

    /// https: TLS first.
    public var secure: Bool { scheme == "https" }
    /// The request target the URL names: path and query, never the fragment.
    public var target: String { path + (query.map { "?\($0)" } ?? "") }
    /// Whether the URL holds more than scheme, host and port: a path, a query or a fragment.
    public var hasMore: Bool { path != "/" || query != nil || hasFragment }

    /// - Parameter called: how sentences name the URL, e.g. `webhook URL`.
    /// - Throws: ``HTTPFailure/badURL(_:)`` saying which part is wrong, naming the scheme at most.
    public init(url text: String, called: String = "URL") throws(HTTPFailure) {
        guard let parts = URLComponents(string: text), parts.url != nil else {
            throw .badURL("the \(called) cannot be parsed")
        }
        guard let scheme = parts.scheme?.lowercased(), !scheme.isEmpty else {
            throw .badURL("the \(called) has no scheme")
        }
        guard scheme == "http" || scheme == "https" else {
            throw .badURL("the \(called)'s scheme is '\(String(scheme.prefix(20)).terminalSafe)'")
        }
        guard let rawHost = parts.host, !rawHost.isEmpty else {
            throw .badURL("the \(called) has no host")
        }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = parts.port ?? defaultPort
        guard (1...65535).contains(port) else {
            throw .badURL("the \(called)'s port is not between 1 and 65535")
        }
        let bare = rawHost.hasPrefix("[") && rawHost.hasSuffix("]") ? String(rawHost.dropFirst().dropLast()) : rawHost
        let ipv6 = bare.contains(":")
        let bracketed = ipv6 ? "[\(bare)]" : bare

        self.scheme = scheme
        host = bare
        self.port = port
        address = try? SocketAddress(ipAddress: bare, port: port)
        serverName = address != nil || ipv6 ? nil : Self.trimmingFinalDot(bare.lowercased())
        origin = "\(scheme)://\(bracketed)\(parts.port.map { ":\($0)" } ?? "")".terminalSafe
        shown = "\(bracketed):\(port)".terminalSafe
        path = parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath
        query = parts.percentEncodedQuery
        hasFragment = parts.percentEncodedFragment != nil
        hasUserInfo = parts.user != nil
        // A zone (`fe80::1%eth0`) means something on this host only: not sent (RFC 6874).
        let headerHost = ipv6 ? "[\(bare.prefix { $0 != "%" })]" : bare
        hostHeader = headerHost + (port == defaultPort ? "" : ":\(port)")
        if let user = parts.user {
            authorization = "Basic " + Data("\(user):\(parts.password ?? "")".utf8).base64EncodedString()
        } else {
            authorization = nil
        }
    }

    private static func trimmingFinalDot(_ name: String) -> String {
        name.hasSuffix(".") ? String(name.dropLast()) : name
    }
}
