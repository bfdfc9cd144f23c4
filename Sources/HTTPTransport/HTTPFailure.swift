import MigrationCore

/// Why an HTTP request was refused or got no usable answer. Each case reads as one clause
/// (``reason``) that names the server by host and port only, never a URL's path, query or
/// user info, and never quotes an error's own text.
///
/// ```swift
/// do { let answer = try client.send(request, timeout: .seconds(10), cancel: flag) }
/// catch .timedOut { … }                       // a figure that never came
/// catch { print(error.description) }          // "could not connect to 127.0.0.1:9090."
/// ```
public enum HTTPFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL is not http or https with a host and a port in range; says which part is wrong.
    case badURL(String)
    /// An https URL's trust roots cannot be loaded: the system has no CA bundle, or the extra
    /// roots given are not PEM certificates; says which.
    case badTrustRoots(String)
    /// No answer: no connection, no host, a TLS failure, a lost connection, not HTTP.
    case unreachable(String)
    /// The server (`host:port`) did not answer within the timeout, in whole seconds rounded up.
    case timedOut(server: String, seconds: Int64)
    /// The answer's body is longer than the caller accepts; it was not read further.
    case bodyTooLarge(server: String, limit: Int)
    /// The caller's cancel flag was set; the connection is closed.
    case cancelled

    /// The clause without a final full stop, for a caller's own sentence.
    public var reason: String {
        switch self {
        case .badURL(let why), .badTrustRoots(let why), .unreachable(let why): why
        case .timedOut(let server, let seconds): "\(server) did not answer within \(seconds) s"
        case .bodyTooLarge(let server, let limit): "\(server) answered with a body larger than \(Limits.bytes(limit))"
        case .cancelled: "the request was cancelled"
        }
    }

    public var description: String { "\(reason)." }
}
