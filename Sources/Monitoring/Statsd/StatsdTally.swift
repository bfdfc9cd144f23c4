import MigrationCore

/// How many packets and lines `migctl statsd` met, and what became of them: cumulative since it
/// started; subtract an earlier tally for a period (``since(_:)``).
///
/// The lines it could not take are also written to the store as counters of their own
/// (``invalidCounter`` and the others), so loss and rejection show wherever counters show.
public struct StatsdTally: Sendable, Equatable {
    /// Datagrams read.
    public var packets: Int64 = 0
    /// Metric lines (empty lines are not lines; an empty datagram counts as one invalid line).
    public var lines: Int64 = 0
    /// Lines added to a counter.
    public var counted: Int64 = 0
    /// Lines that set a gauge.
    public var gauged: Int64 = 0
    /// Lines judged ``StatsdVerdict/invalid(_:)``, and the others by their verdict.
    public var invalid: Int64 = 0
    public var skipped: Int64 = 0
    public var ignored: Int64 = 0
    public var refused: Int64 = 0
    /// Datagrams the kernel dropped before migctl could read them (its receive buffer was full).
    public var dropped: Int64 = 0

    public init() {}

    /// Lines that were not statsd, or whose name is not a migctl name.
    public static let invalidCounter = "statsd.invalid"
    /// Valid statsd that migctl does not take (timers, sets, decrements, …).
    public static let skippedCounter = "statsd.skipped"
    /// Lines outside `--prefix` or without every `--tag`.
    public static let ignoredCounter = "statsd.ignored"
    /// Lines whose name is not allowed.
    public static let refusedCounter = "statsd.refused"
    /// Datagrams the kernel dropped (`/proc/net/udp`'s drops for the listening socket).
    public static let droppedCounter = "statsd.dropped"

    /// The counts in `self` that are not in `earlier`.
    public func since(_ earlier: StatsdTally) -> StatsdTally {
        var delta = StatsdTally()
        delta.packets = packets - earlier.packets
        delta.lines = lines - earlier.lines
        delta.counted = counted - earlier.counted
        delta.gauged = gauged - earlier.gauged
        delta.invalid = invalid - earlier.invalid
        delta.skipped = skipped - earlier.skipped
        delta.ignored = ignored - earlier.ignored
        delta.refused = refused - earlier.refused
        delta.dropped = dropped - earlier.dropped
        return delta
    }

    /// The own counters to write for this tally (a period's): only those above zero.
    public var ownCounts: [String: Int64] {
        let all = [Self.invalidCounter: invalid, Self.skippedCounter: skipped, Self.ignoredCounter: ignored,
                   Self.refusedCounter: refused, Self.droppedCounter: dropped]
        return all.filter { $0.value > 0 }
    }

    /// Whether nothing arrived and nothing was dropped.
    public var isQuiet: Bool { packets == 0 && dropped == 0 }

    /// Whether something was not taken: invalid, skipped, refused or dropped (ignored lines are
    /// someone else's and expected on a shared stream).
    public var hasTrouble: Bool { invalid > 0 || skipped > 0 || refused > 0 || dropped > 0 }

    /// One line for the log: `120 packets, 300 lines: 290 counted, 2 gauge values, 3 invalid (first: …), …`.
    public func summary(examples: StatsdExamples = StatsdExamples()) -> String {
        var parts = ["\(counted) counted", "\(gauged) gauge values"]
        parts.append("\(invalid) invalid" + (examples.invalid.map { " (first: \($0))" } ?? ""))
        parts.append("\(skipped) skipped" + (examples.skipped.map { " (first: \($0.rawValue))" } ?? ""))
        parts.append("\(ignored) ignored")
        parts.append("\(refused) refused" + (examples.refused.map { " (first: '\($0.terminalSafe)')" } ?? ""))
        return "\(packets) packets, \(lines) lines: " + parts.joined(separator: ", ") + "; the kernel dropped \(dropped) packets"
    }
}

/// The first line of each kind not taken since the log last reported, to show the operator what
/// to fix. An invalid line is kept as a sanitised excerpt (at most 60 bytes, control characters
/// replaced), never as received.
public struct StatsdExamples: Sendable, Equatable {
    public var invalid: String?
    public var skipped: StatsdSkip?
    public var refused: String?

    public init(invalid: String? = nil, skipped: StatsdSkip? = nil, refused: String? = nil) {
        self.invalid = invalid
        self.skipped = skipped
        self.refused = refused
    }

    /// `'hit:1|x': a type other than c, g, ms, h, d or s`, with the line cut and sanitised.
    static func invalid(_ line: UnsafeRawBufferPointer, _ problem: StatsdProblem) -> String {
        let cut = line.count > 60
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: line.prefix(60)), as: UTF8.self).terminalSafe
        return "'\(text)\(cut ? "…" : "")': \(problem)"
    }
}
