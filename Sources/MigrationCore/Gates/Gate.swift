import Foundation

/// A preflight check that must pass before the migration may advance into a phase.
///
/// Gates are data in the plan; ``GateEvaluation`` turns them into results from
/// ``GateInputs`` that the I/O edge gathered. A gate the plan marks
/// `overridable: false` can never be forced past.
public struct Gate: Sendable, Equatable, Codable {
    public var kind: GateKind
    /// Whether `advance --force` may pass over this gate when it fails.
    public var overridable: Bool

    public init(_ kind: GateKind, overridable: Bool = true) {
        self.kind = kind
        self.overridable = overridable
    }
}

/// What a gate checks.
public enum GateKind: Sendable, Equatable, Codable {
    /// At least `seconds` spent in the current phase.
    case soak(seconds: Int64)
    /// The current phase at 100%.
    case rollout
    /// A counter count or ratio over a window within bounds.
    case counter(CounterCheck)
    /// A gauge within bounds and fresh.
    case gauge(GaugeCheck)
    /// Every checklist item of the current phase's runbook ticked.
    case checklist
    /// An external program exits 0.
    case command(CommandCheck)
    /// Another operator approved the target phase recently.
    case approval(withinSeconds: Int64)
    /// Every live client instance serves the current state version.
    case fleet(heartbeatSeconds: Int64)
    /// The local time in a zone is within a change window (days and hours), so irreversible
    /// moves happen while people are at work.
    case window(WindowCheck)
    /// A PromQL instant query's one value within bounds.
    case prometheus(PrometheusCheck)
    /// A full verification (``Verification``) walked every key of the old store since the
    /// migration entered the phase `since` (or a later one), and found no mismatch.
    case verified(since: String)

    /// The kind's name as plans spell it.
    public var name: String {
        switch self {
        case .soak: "soak"
        case .rollout: "rollout"
        case .counter: "counter"
        case .gauge: "gauge"
        case .checklist: "checklist"
        case .command: "command"
        case .approval: "approval"
        case .fleet: "fleet"
        case .window: "window"
        case .prometheus: "prometheus"
        case .verified: "verified"
        }
    }
}

/// `numerator / denominator` (or the numerator's count alone) over the last `windowSeconds`,
/// or over the whole current phase (`window: phase`).
public struct CounterCheck: Sendable, Equatable, Codable {
    public var numerator: [String]
    /// Nil checks the numerator's count; otherwise the ratio.
    public var denominator: [String]?
    /// The rolling window; ignored when ``spansPhase``.
    public var windowSeconds: Int64
    public var bounds: Bounds
    /// Below this many events (the denominator's, else the numerator's) the check is unknown, not pass.
    public var minSample: Int64
    /// Count since the current phase was entered instead of over a rolling window, so a safety
    /// check does not forget: 25 mismatches in the phase still fail it an hour later.
    public var spansPhase: Bool

    public init(numerator: [String], denominator: [String]? = nil, windowSeconds: Int64, bounds: Bounds, minSample: Int64 = 0,
                spansPhase: Bool = false) {
        self.numerator = numerator
        self.denominator = denominator
        self.windowSeconds = windowSeconds
        self.bounds = bounds
        self.minSample = minSample
        self.spansPhase = spansPhase
    }

    /// The seconds counted at `now` in `state`: the rolling window, or the time since the
    /// current phase began (at least 1 s; a phase stamped in the future counts 1 s).
    public func seconds(in state: MigrationState, at now: Date) -> Int64 {
        spansPhase ? state.secondsInPhase(at: now) : windowSeconds
    }

    /// The window in words for a gate's label: `1h`, or `the phase`.
    public var windowLabel: String { spansPhase ? "the phase" : GateFormat.duration(windowSeconds) }

    private enum CodingKeys: String, CodingKey {
        case numerator, denominator, windowSeconds, bounds, minSample, spansPhase
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        numerator = try container.decode([String].self, forKey: .numerator)
        denominator = try container.decodeIfPresent([String].self, forKey: .denominator)
        windowSeconds = try container.decode(Int64.self, forKey: .windowSeconds)
        bounds = try container.decode(Bounds.self, forKey: .bounds)
        minSample = try container.decode(Int64.self, forKey: .minSample)
        spansPhase = try container.decodeIfPresent(Bool.self, forKey: .spansPhase) ?? false
    }

    /// Encodes the check; `spansPhase` only when set, so a plan without it encodes (and hashes)
    /// as it did before the field existed.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(numerator, forKey: .numerator)
        try container.encodeIfPresent(denominator, forKey: .denominator)
        try container.encode(windowSeconds, forKey: .windowSeconds)
        try container.encode(bounds, forKey: .bounds)
        try container.encode(minSample, forKey: .minSample)
        if spansPhase { try container.encode(true, forKey: .spansPhase) }
    }
}

/// A gauge within `bounds`, reported within `maxAgeSeconds`.
public struct GaugeCheck: Sendable, Equatable, Codable {
    public var gauge: String
    public var bounds: Bounds
    public var maxAgeSeconds: Int64

    public init(gauge: String, bounds: Bounds, maxAgeSeconds: Int64) {
        self.gauge = gauge
        self.bounds = bounds
        self.maxAgeSeconds = maxAgeSeconds
    }
}

/// An external program: exit 0 passes. Run without a shell.
public struct CommandCheck: Sendable, Equatable, Codable {
    public var argv: [String]
    public var timeoutSeconds: Int64

    public init(argv: [String], timeoutSeconds: Int64 = 30) {
        self.argv = argv
        self.timeoutSeconds = timeoutSeconds
    }
}

/// Inclusive bounds: a value passes when `min <= value <= max` for each bound given.
public struct Bounds: Sendable, Equatable, Codable, CustomStringConvertible {
    public var min: Double?
    public var max: Double?

    public init(min: Double? = nil, max: Double? = nil) {
        self.min = min
        self.max = max
    }

    public func contains(_ value: Double) -> Bool {
        (min.map { value >= $0 } ?? true) && (max.map { value <= $0 } ?? true)
    }

    public var description: String {
        switch (min, max) {
        case let (lo?, hi?): "\(GateFormat.number(lo))–\(GateFormat.number(hi))"
        case let (lo?, nil): "≥ \(GateFormat.number(lo))"
        case let (nil, hi?): "≤ \(GateFormat.number(hi))"
        case (nil, nil): "any"
        }
    }
}
