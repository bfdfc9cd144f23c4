/// A PromQL instant query whose one value must lie within bounds: a `prometheus` gate, or a
/// guard's condition.
///
/// ```yaml
/// - kind: prometheus
///   url: http://127.0.0.1:9090          # a path prefix is kept: https://ops.example.com/prometheus
///   query: sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))
///   max: 0.01
///   timeout: 10s
/// ```
///
/// The query is asked of the server's HTTP API (`/api/v1/query`) when the gate is checked; an
/// answer that is not one finite number (an error, no series, several series) is unknown,
/// never a pass. MigrationCore only describes the check: a ``PrometheusQuerying`` asks it.
public struct PrometheusCheck: Sendable, Equatable, Codable {
    /// The server's base URL: http or https, a host, maybe a port and a path prefix; no user
    /// info, query or fragment.
    public var url: String
    /// The PromQL expression.
    public var query: String
    public var bounds: Bounds
    /// How long the whole request may take: connection, TLS, the query and the answer.
    public var timeoutSeconds: Int64

    /// The timeout when the plan gives none.
    public static let defaultTimeoutSeconds: Int64 = 10
    /// The longest timeout a plan may give: Prometheus gives up on a query after 2 minutes by default.
    public static let maximumTimeoutSeconds: Int64 = 300

    public init(url: String, query: String, bounds: Bounds, timeoutSeconds: Int64 = defaultTimeoutSeconds) {
        self.url = url
        self.query = query
        self.bounds = bounds
        self.timeoutSeconds = timeoutSeconds
    }

    /// What outcomes are filed under in ``GateInputs/prometheus``: the same query of the same
    /// server is asked once per check, whatever its bounds.
    public var key: PrometheusQuery { PrometheusQuery(url: url, query: query) }

    /// The query on one line, cut to 100 characters: the gate's label.
    public var label: String {
        let line = query.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return line.unicodeScalars.count <= 100 ? line : String(String.UnicodeScalarView(line.unicodeScalars.prefix(99))) + "…"
    }
}

/// One query of one server, as outcomes are filed.
public struct PrometheusQuery: Sendable, Hashable {
    public var url: String
    public var query: String

    public init(url: String, query: String) {
        self.url = url
        self.query = query
    }
}
