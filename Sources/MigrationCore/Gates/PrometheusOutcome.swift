import Foundation

/// What asking Prometheus a gate's query gave: its one value, or why there is none to judge by.
///
/// ```swift
/// inputs.prometheus[check.key] = .value(0.004)
/// inputs.prometheus[check.key] = .unknown(.manySeries(count: 3, first: [#"{code="500"}"#]))
/// ```
public enum PrometheusOutcome: Sendable, Equatable {
    /// The single finite value of a one-series vector, or a scalar.
    case value(Double)
    /// No value to judge by: the gate is unknown, and blocks as an unknown does.
    case unknown(PrometheusProblem)
}

/// Why a query gave no value. Texts taken from the server's answer (an error message, a
/// series' labels) are already made terminal-safe and cut by whoever built the problem.
public enum PrometheusProblem: Sendable, Equatable {
    /// The query was not asked: this process cannot ask, or the plan cannot be trusted; says why.
    case notQueried(String)
    /// No answer: no connection, no host, TLS, a lost connection, not HTTP; one clause naming `host:port`.
    case unreachable(String)
    /// The server (`host:port`) did not answer within the gate's timeout.
    case timedOut(server: String, seconds: Int64)
    /// The operator cancelled while the query ran.
    case cancelled
    /// An HTTP status outside 2xx whose body is no Prometheus answer (a proxy's 502, a 404 for a wrong prefix).
    case httpStatus(Int)
    /// Prometheus answered `"status": "error"`: its `errorType` (`bad_data`, `timeout`, …) and `error`.
    case queryError(type: String, message: String)
    /// The query matched no series.
    case noSeries
    /// The query gave several series; `first` shows the label sets of the first few.
    case manySeries(count: Int, first: [String])
    /// The value is `NaN`, `+Inf` or `-Inf`, as Prometheus spelt it.
    case notFinite(String)
    /// The result is a `matrix` or a `string`: an instant query for one number gives a vector or a scalar.
    case resultType(String)
    /// The answer is not the API's JSON; says what is wrong with it.
    case malformed(String)
    /// The answer's body is larger than the limit, in bytes; it was not read further.
    case tooLarge(limit: Int)

    /// A word or two for the gate's figure: `no series`, `3 series`, `NaN`, `HTTP 502`.
    public var observed: String {
        switch self {
        case .notQueried: "not queried"
        case .unreachable: "no answer"
        case .timedOut(_, let seconds): "no answer in \(GateFormat.duration(seconds))"
        case .cancelled: "cancelled"
        case .httpStatus(let status): "HTTP \(status)"
        case .queryError(let type, _): "error \(type)"
        case .noSeries: "no series"
        case .manySeries(let count, _): "\(count) series"
        case .notFinite(let value): value
        case .resultType(let type): "a \(type)"
        case .malformed: "not an answer"
        case .tooLarge: "answer too large"
        }
    }

    /// One clause saying why the gate cannot be judged, and what to look at.
    public var reason: String {
        switch self {
        case .notQueried(let why): why
        case .unreachable(let why): why
        case .timedOut(let server, let seconds): "Prometheus at \(server) did not answer within \(GateFormat.duration(seconds))"
        case .cancelled: "the query was cancelled before Prometheus answered"
        case .httpStatus(let status): "the server answered HTTP \(status) without a Prometheus answer; check the URL and its path prefix"
        case .queryError(let type, let message): "Prometheus refused the query (\(type)): \(message)"
        case .noSeries: "the query matched no series, so there is no value to judge"
        case .manySeries(let count, let first):
            "the query gave \(count) series where one value is needed (\(first.joined(separator: ", "))\(count > first.count ? ", …" : "")); aggregate it, e.g. with sum()"
        case .notFinite(let value): "the query's value is \(value), which is no figure to judge (a division by zero?)"
        case .resultType(let type): "the query gave a \(type); a gate needs an instant vector of one series or a scalar"
        case .malformed(let why): "the answer is not Prometheus's: \(why)"
        case .tooLarge(let limit): "the answer is larger than \(Limits.bytes(limit)); a gate needs one value"
        }
    }
}

extension PrometheusOutcome {
    /// A query's value as a gate shows it: whole numbers as they are, others to six
    /// significant digits (`0.00042`, `1.5e+09`), so that a small ratio never reads as 0.
    public static func figure(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.6g", value)
    }
}
