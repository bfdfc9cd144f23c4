/// The statsd metric types, by the letters a packet gives them (`hit:1|c`).
///
/// migctl takes counters and absolute gauges; the others are valid statsd that it skips and counts.
public enum StatsdType: String, Sendable, CaseIterable {
    case counter = "c"
    case gauge = "g"
    case timer = "ms"
    case histogram = "h"
    case distribution = "d"
    case set = "s"
}

/// One metric line of a statsd or DogStatsD packet, as sent: `name:value|type[|@rate][|#tags]…`.
///
/// ```swift
/// // "myapp.hit:3|c|@0.5|#migration:users"
/// StatsdMetric(name: "myapp.hit", type: .counter, value: 3, signed: false, sampleRate: 0.5, tags: ["migration:users"])
/// ```
///
/// The name is the packet's, not yet checked against migctl's alphabet (``StatsdRules`` does that
/// after stripping a prefix). The value is parsed for counters and gauges only: a set's members
/// and a distribution's packed values are skipped unread.
public struct StatsdMetric: Sendable, Equatable {
    /// The name as sent, prefix included (any bytes but `:` and newlines, decoded as UTF-8).
    public var name: String
    /// The `|type` field.
    public var type: StatsdType
    /// A counter's increment or a gauge's value; 0 for the other types.
    public var value: Double
    /// Whether the value had an explicit `+` or `-`: for a gauge, a change rather than a value.
    public var signed: Bool
    /// The `|@rate` field: the fraction of events the sender sent (1 when absent).
    public var sampleRate: Double
    /// The DogStatsD `|#tag,key:value` field, each tag as sent.
    public var tags: [String]

    public init(name: String, type: StatsdType, value: Double = 0, signed: Bool = false, sampleRate: Double = 1, tags: [String] = []) {
        self.name = name
        self.type = type
        self.value = value
        self.signed = signed
        self.sampleRate = sampleRate
        self.tags = tags
    }
}

/// What one line of a packet is.
public enum StatsdLine: Sendable, Equatable {
    /// A metric, well-formed as statsd.
    case metric(StatsdMetric)
    /// A DogStatsD event (`_e{…}`) or service check (`_sc|…`): valid, and never a metric.
    case event
    /// A line that is not statsd at all.
    case problem(StatsdProblem)
}
