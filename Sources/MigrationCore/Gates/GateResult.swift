import Foundation

/// The outcome of one gate.
public enum GateStatus: String, Sendable, Codable {
    case pass
    case fail
    /// Not enough information to say it is safe (a small sample, a missing or stale gauge):
    /// it blocks an advance like a failure does.
    case unknown
}

/// One gate's result: what it saw, what it wanted, and one sentence.
public struct GateResult: Sendable, Equatable, Codable {
    /// The gate's kind, e.g. `counter`.
    public var kind: String
    /// A short name, e.g. `miss / (hit + miss) over 1h`.
    public var label: String
    public var status: GateStatus
    /// The figure seen, e.g. `3.2%`.
    public var observed: String
    /// The figure wanted, e.g. `≤ 5%`.
    public var bound: String
    public var sentence: String
    public var overridable: Bool
    /// The last lines a command check printed.
    public var output: [String]?
    /// For a gate that passes by itself with time (a soak): when its clock started and how long
    /// it needs, so a view can count down live. Not recorded in the audit log.
    public var countdown: GateCountdown?

    private enum CodingKeys: String, CodingKey {
        case kind, label, status, observed, bound, sentence, overridable, output
    }

    public init(kind: String, label: String, status: GateStatus, observed: String, bound: String, sentence: String,
                overridable: Bool, output: [String]? = nil) {
        self.kind = kind
        self.label = label
        self.status = status
        self.observed = observed
        self.bound = bound
        self.sentence = sentence
        self.overridable = overridable
        self.output = output
    }
}

/// A gate's clock: it needs `seconds` counted from `since` (a soak).
public struct GateCountdown: Sendable, Equatable {
    public var since: Date
    public var seconds: Int64

    public init(since: Date, seconds: Int64) {
        self.since = since
        self.seconds = seconds
    }

    /// Whole seconds counted at `now` (0 before `since`).
    public func elapsed(at now: Date) -> Int64 {
        let elapsed = now.timeIntervalSince(since)
        guard elapsed.isFinite, elapsed > 0 else { return 0 }
        return Int64(min(elapsed, 1e15))
    }

    /// Whole seconds still to wait at `now` (0 once done).
    public func left(at now: Date) -> Int64 { max(0, seconds - elapsed(at: now)) }
}

/// Number formats for gate figures.
public enum GateFormat {
    /// `0.05`, `12`, `1.5`; `5e-05` and `2.5e+20` for what four decimals cannot show.
    public static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        guard value.isFinite else { return value.isNaN ? "NaN" : value > 0 ? "+Inf" : "-Inf" }
        if abs(value) < 0.001 || abs(value) >= 1e15 { return String(format: "%.4g", value) }
        var text = String(format: "%.4f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// `7d`, `1d 12h`, `1h 30m`, `45s`: ``Durations/human(_:)``, the one way durations are written.
    public static func duration(_ seconds: Int64) -> String { Durations.human(Double(seconds)) }
}
