/// One request, whole: the method, the target, the caller's headers and the body.
///
/// ``HTTPClient`` adds `Host`, `Content-Length`, `Connection: close` and, when the URL has
/// user info, `Authorization`; the caller adds what its server reads (`User-Agent`,
/// `Content-Type`, `Accept`).
///
/// ```swift
/// HTTPRequest(method: "POST", target: endpoint.target, headers: [("Content-Type", "application/json")], body: bytes)
/// ```
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, …
    public var method: String
    /// The percent-encoded path and query, starting with `/`.
    public var target: String
    /// Sent in this order, after `Host`.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, target: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }
}

/// What the server answered: its status, the `Content-Type` it named, and as much of the body
/// as was asked for.
public struct HTTPResponse: Sendable, Equatable {
    public let status: Int
    public let contentType: String?
    /// The whole body, or empty when the request asked for the head only (`bodyLimit` 0).
    public let body: [UInt8]

    public init(status: Int, contentType: String?, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}
