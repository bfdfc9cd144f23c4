import MigrationCore

/// What `migctl statsd` has received and not yet handed to the store: whole counts per
/// counter, the last value of each gauge, and the tally of every line's fate.
///
/// A sampled count (`hit:1|c|@0.3`, 3.33…) is added exactly: the whole part now, the fraction
/// kept per counter until fractions add up to one more. Ten `hit:1|c|@0.1` make 100, and three
/// `hit:1|c|@0.3` make 10, never 9 (sums within a millionth of a whole number count as it, so a
/// rate that is not exact in binary does not lose the last one). The fractions outlive
/// ``takeWrites()``; what is left below one when the process stops is never counted.
///
/// ```swift
/// var batch = StatsdBatch(rules: rules)
/// packet.withUnsafeBytes { batch.ingest(packet: $0) }
/// let writes = batch.takeWrites()   // counts and gauges to write, with the statsd.* counters
/// ```
///
/// Its memory is bounded by the rules: it keeps one count, one fraction and one gauge value per
/// allowed name, in arrays indexed by the name's slot (so a line costs one dictionary lookup).
public struct StatsdBatch: Sendable {
    /// How every line is judged, and the names it keeps a slot for.
    public let rules: StatsdRules
    private var counts: [Int64]
    private var fractions: [Double]
    private var gauges: [Double?]
    /// Every packet and line since the start.
    public private(set) var total = StatsdTally()
    private var written = StatsdTally()
    private var examples = StatsdExamples()

    /// How close to a whole number a sum of fractions counts as it.
    static let tolerance = 1e-6

    public init(rules: StatsdRules) {
        self.rules = rules
        counts = Array(repeating: 0, count: rules.names.count)
        fractions = Array(repeating: 0, count: rules.names.count)
        gauges = Array(repeating: nil, count: rules.names.count)
    }

    /// Parses, judges and adds every line of one datagram. A datagram without any line counts
    /// as one invalid line.
    public mutating func ingest(packet: UnsafeRawBufferPointer) {
        total.packets += 1
        var lines = 0
        StatsdPacket.forEachLine(in: packet) { line in
            lines += 1
            record(rules.judgeSlot(StatsdPacket.parse(line)), line: line)
        }
        if lines == 0 { record(.other(.invalid(.emptyPacket)), line: packet) }
    }

    private mutating func record(_ verdict: StatsdRules.SlotVerdict, line: UnsafeRawBufferPointer) {
        total.lines += 1
        switch verdict {
        case .count(let slot, let amount):
            total.counted += 1
            add(amount, to: slot)
        case .gauge(let slot, let value):
            total.gauged += 1
            gauges[slot] = value
        case .other(.ignored):
            total.ignored += 1
        case .other(.skipped(let why)):
            total.skipped += 1
            if examples.skipped == nil { examples.skipped = why }
        case .other(.refused(let name)):
            total.refused += 1
            if examples.refused == nil { examples.refused = name }
        case .other(.invalid(let problem)):
            total.invalid += 1
            if examples.invalid == nil { examples.invalid = StatsdExamples.invalid(line, problem) }
        case .other(.count), .other(.gauge):
            break   // judgeSlot names allowed counters and gauges by slot
        }
    }

    /// Adds datagrams the kernel dropped, for ``StatsdTally/droppedCounter``.
    public mutating func addKernelDrops(_ drops: Int64) {
        guard drops > 0 else { return }
        total.dropped = total.dropped.saturatingAdding(drops)
    }

    /// The whole counts and gauges received since the last take, with this period's
    /// `statsd.*` counters; fractions stay for later.
    public mutating func takeWrites() -> StatsdWrites {
        var writes = StatsdWrites()
        for slot in counts.indices {
            if counts[slot] > 0 { writes.counts[rules.names[slot]] = counts[slot] }
            if let value = gauges[slot] { writes.gauges[rules.names[slot]] = value }
            counts[slot] = 0
            gauges[slot] = nil
        }
        for (name, value) in total.since(written).ownCounts {
            writes.counts[name] = (writes.counts[name] ?? 0).saturatingAdding(value)
        }
        written = total
        return writes
    }

    /// The first line of each kind not taken since the last call, for the log.
    public mutating func takeExamples() -> StatsdExamples {
        defer { examples = StatsdExamples() }
        return examples
    }

    private mutating func add(_ amount: Double, to slot: Int) {
        let whole = amount.rounded(.down)
        var value = Int64(whole)
        if whole != amount {
            var fraction = fractions[slot] + (amount - whole)
            if fraction >= 1 - Self.tolerance {
                let carried = (fraction + Self.tolerance).rounded(.down)
                value = value.saturatingAdding(Int64(carried))
                fraction -= carried
            }
            fractions[slot] = fraction
        }
        if value > 0 { counts[slot] = counts[slot].saturatingAdding(value) }
    }
}

/// What one flush writes: whole counts per counter and the last value of each gauge.
public struct StatsdWrites: Sendable, Equatable {
    public var counts: [String: Int64]
    public var gauges: [String: Double]

    public init(counts: [String: Int64] = [:], gauges: [String: Double] = [:]) {
        self.counts = counts
        self.gauges = gauges
    }

    public var isEmpty: Bool { counts.isEmpty && gauges.isEmpty }

    /// Adds `newer`'s counts to these and takes its gauges' values over these.
    public mutating func merge(_ newer: StatsdWrites) {
        counts.merge(newer.counts) { $0.saturatingAdding($1) }
        gauges.merge(newer.gauges) { $1 }
    }
}
