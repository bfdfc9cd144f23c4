import MigrationCore

/// Which metrics of a statsd stream `migctl statsd` takes, and under which name.
///
/// A line is judged in this order:
/// 1. not statsd at all: **invalid**;
/// 2. its name does not start with ``prefix``, or it lacks one of ``requiredTags``: **ignored**
///    (someone else's metric on a shared stream);
/// 3. a type migctl does not take (timer, histogram, distribution, set, DogStatsD event or service
///    check), a counter's decrement, or a gauge's relative change (`+3|g`): **skipped**;
/// 4. the name with the prefix removed is not a migctl name (`[a-z0-9][a-z0-9._-]{0,63}`): **invalid**;
/// 5. that name is not in ``allowed``, or starts with `statsd.` (the names migctl statsd
///    writes itself): **refused**, so a stream of made-up names never becomes a million counter rows;
/// 6. a count above 2^53 (value / sample rate): **invalid**;
/// 7. otherwise counted (value / sample rate) or, for a gauge, set.
///
/// ```swift
/// let rules = StatsdRules(prefix: "myapp.migration.", requiredTags: ["migration:users"], allowed: ["hit", "miss"])
/// rules.judge(.metric(StatsdMetric(name: "myapp.migration.hit", type: .counter, value: 1, sampleRate: 0.1,
///                                   tags: ["migration:users", "env:prod"])))   // .count(name: "hit", amount: 10)
/// ```
public struct StatsdRules: Sendable, Equatable {
    /// Taken off the front of every name; names without it are ignored. Empty: names are taken as sent.
    public let prefix: String
    /// Tags (`key:value`, or a bare `key`) a metric must carry, every one of them, exactly as written.
    public let requiredTags: [String]
    /// The names (after the prefix) that may be counted or set.
    public let allowed: Set<String>
    /// The allowed names that can be counted (valid, not reserved), sorted: a counter's slot is its index here.
    let names: [String]
    /// Each of ``names``' slot, by the name as sent (with the prefix): one lookup judges the usual line.
    let slots: [String: Int]

    /// The names migctl statsd writes itself (``StatsdTally/invalidCounter`` and the others), which no sender may feed.
    public static let reservedPrefix = "statsd."

    /// The largest count one line may carry: 2^53, the last integer a Double holds exactly.
    public static let maximumCount = 9_007_199_254_740_992.0

    public init(prefix: String = "", requiredTags: [String] = [], allowed: Set<String>) {
        self.prefix = prefix
        self.requiredTags = requiredTags
        self.allowed = allowed
        names = allowed.filter { Names.isValidMetricName($0) && !$0.hasPrefix(Self.reservedPrefix) }.sorted()
        slots = Dictionary(uniqueKeysWithValues: names.enumerated().map { (prefix + $0.element, $0.offset) })
    }

    /// The names `migctl statsd` allows when not told more: migctl's standard counters
    /// (``CounterName/all``) and every counter and gauge a gate or guard of `plan` reads.
    public static func defaultNames(for plan: Plan) -> Set<String> {
        var names = Set(CounterName.all)
        for phase in plan.phases {
            for gate in phase.gates + phase.automation.guards.map(\.when) {
                switch gate.kind {
                case .counter(let check): names.formUnion(check.numerator + (check.denominator ?? []))
                case .gauge(let check): names.insert(check.gauge)
                default: break
                }
            }
        }
        return names
    }

    /// What to do with one parsed line.
    public func judge(_ line: StatsdLine) -> StatsdVerdict {
        switch judgeSlot(line) {
        case .count(let slot, let amount): .count(name: names[slot], amount: amount)
        case .gauge(let slot, let value): .gauge(name: names[slot], value: value)
        case .other(let verdict): verdict
        }
    }

    /// A verdict that names an allowed counter or gauge by its slot in ``names``.
    enum SlotVerdict: Equatable {
        case count(slot: Int, amount: Double)
        case gauge(slot: Int, value: Double)
        case other(StatsdVerdict)
    }

    /// ``judge(_:)`` as the batch needs it: the usual line, an allowed name as sent, costs one
    /// dictionary lookup; only names that are not allowed go the long way (prefix, alphabet).
    func judgeSlot(_ line: StatsdLine) -> SlotVerdict {
        let metric: StatsdMetric
        switch line {
        case .problem(let problem): return .other(.invalid(problem))
        case .event: return .other(.skipped(.event))
        case .metric(let parsed): metric = parsed
        }
        let slot = slots[metric.name]
        // Bytes, not characters: the prefix matches exactly what was sent.
        guard slot != nil || metric.name.utf8.starts(with: prefix.utf8), requiredTags.allSatisfy(metric.tags.contains) else {
            return .other(.ignored)
        }
        switch metric.type {
        case .counter where metric.value < 0: return .other(.skipped(.decrement))
        case .gauge where metric.signed: return .other(.skipped(.relativeGauge))
        case .counter, .gauge: break
        case .timer: return .other(.skipped(.timer))
        case .histogram: return .other(.skipped(.histogram))
        case .distribution: return .other(.skipped(.distribution))
        case .set: return .other(.skipped(.set))
        }
        guard let slot else {
            let name = String(decoding: metric.name.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
            return .other(Names.isValidMetricName(name) ? .refused(name: name) : .invalid(.badName))
        }
        guard metric.type == .counter else { return .gauge(slot: slot, value: metric.value) }
        let amount = metric.value / metric.sampleRate
        guard amount <= Self.maximumCount else { return .other(.invalid(.tooLarge)) }
        return .count(slot: slot, amount: amount)
    }
}

/// What becomes of one line of a statsd packet.
public enum StatsdVerdict: Sendable, Equatable {
    /// Add `amount` (the value divided by the sample rate; fractions are kept) to the counter.
    case count(name: String, amount: Double)
    /// Set the gauge.
    case gauge(name: String, value: Double)
    /// Not migctl's: outside the prefix, or without a required tag.
    case ignored
    /// Valid statsd that migctl does not take.
    case skipped(StatsdSkip)
    /// A migctl name that is not allowed.
    case refused(name: String)
    /// Not statsd, or not a migctl name.
    case invalid(StatsdProblem)
}

/// Why a valid statsd line was skipped.
public enum StatsdSkip: String, Sendable, Equatable, CaseIterable {
    case timer, histogram, distribution, set
    /// A DogStatsD event or service check.
    case event
    /// A counter's negative value: migctl's counters only grow.
    case decrement
    /// A gauge's `+n` or `-n`: a change, where migctl's gauges hold values.
    case relativeGauge = "relative gauge"
}
