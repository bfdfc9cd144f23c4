import Foundation
import MigrationCore

/// Reads what Prometheus's HTTP API answered to an instant query (`/api/v1/query`) into a
/// gate's outcome: a pure function of the status and the body, so every hostile answer can be
/// tested without a server.
///
/// One finite number is a value: a vector of exactly one series, or a scalar. Everything else
/// is unknown with its reason: an error answer (its `errorType` and `error`, made
/// terminal-safe and cut), no series, several series (the first label sets shown), `NaN` or
/// `±Inf`, a matrix or a string, or a body that is not the API's JSON.
///
/// ```swift
/// PrometheusAnswer.outcome(status: 200, body: Array(#"{"status":"success","data":{"resultType":"scalar","result":[1,"0.5"]}}"#.utf8))
/// // .value(0.5)
/// ```
public enum PrometheusAnswer {
    /// How many characters of an error message an outcome keeps.
    static let messageScalars = 300
    /// How many series' label sets a several-series outcome shows, and how long each may be.
    static let shownSeries = 2
    static let labelScalars = 120

    public static func outcome(status: Int, body: [UInt8]) -> PrometheusOutcome {
        let ok = (200...299).contains(status)
        guard let json = try? JSONSerialization.jsonObject(with: Data(body)), let top = json as? [String: Any] else {
            return .unknown(ok ? .malformed("its body is not a JSON object") : .httpStatus(status))
        }
        switch top["status"] as? String {
        case "error":
            let type = (top["errorType"] as? String).map { shown($0, 40) } ?? "unnamed"
            let message = (top["error"] as? String).map { shown($0, messageScalars) } ?? "no message"
            return .unknown(.queryError(type: type.isEmpty ? "unnamed" : type, message: message))
        case "success" where ok:
            break
        default:
            return .unknown(ok ? .malformed("its status is neither success nor error") : .httpStatus(status))
        }
        guard let data = top["data"] as? [String: Any], let type = data["resultType"] as? String else {
            return .unknown(.malformed("it has no data.resultType"))
        }
        switch type {
        case "scalar":
            return sample(data["result"])
        case "vector":
            guard let series = data["result"] as? [Any] else { return .unknown(.malformed("its vector is not a list")) }
            guard let only = series.first else { return .unknown(.noSeries) }
            guard series.count == 1 else {
                let first = series.prefix(shownSeries).map { labels(($0 as? [String: Any])?["metric"]) }
                return .unknown(.manySeries(count: series.count, first: first))
            }
            guard let entry = only as? [String: Any] else { return .unknown(.malformed("its series is not an object")) }
            if entry["value"] == nil, entry["histogram"] != nil {
                return .unknown(.malformed("its series holds a native histogram, not a number"))
            }
            return sample(entry["value"])
        default:
            return .unknown(.resultType(shown(type, 20)))
        }
    }

    /// `[<unix time>, "<value>"]`: the value, or why it is none.
    private static func sample(_ pair: Any?) -> PrometheusOutcome {
        guard let pair = pair as? [Any], pair.count == 2, let text = pair[1] as? String else {
            return .unknown(.malformed("a sample is not [time, \"value\"]"))
        }
        guard text.utf8.count <= 64, let value = Double(text) else {
            return .unknown(.malformed("a sample's value is not a number"))
        }
        return value.isFinite ? .value(value) : .unknown(.notFinite(shown(text, 10)))
    }

    /// A series' labels as PromQL writes them, `{code="500", job="api"}`, sorted, safe and cut.
    private static func labels(_ metric: Any?) -> String {
        guard let metric = metric as? [String: Any] else { return "{?}" }
        let pairs = metric.keys.sorted().prefix(20).map { "\($0)=\"\((metric[$0] as? String) ?? "?")\"" }
        return shown("{\(pairs.joined(separator: ", "))}", labelScalars)
    }

    /// `text` made terminal-safe and cut to `limit` Unicode scalars (with `…` when cut).
    static func shown(_ text: String, _ limit: Int) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > limit else { return text.terminalSafe }
        return String(String.UnicodeScalarView(scalars.prefix(limit - 1))).terminalSafe + "…"
    }
}
