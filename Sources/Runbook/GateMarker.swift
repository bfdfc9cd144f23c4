import Foundation
import MigrationCore

/// How a runbook ties a line to a gate, so the console can show the gate's live figure beside
/// it: an inline code span `` `gate: NAME` `` (or the same words in parentheses, `(gate: NAME)`).
///
/// Every marker in a phase's runbook names a gate of the *next* phase: the checklist of a phase
/// is what stands between it and the next, and so are the gates its items name. A name that no
/// gate of that phase answers to is shown as "no such gate", never silently dropped.
///
/// ```markdown
/// - [ ] Miss rate below 5% over the last hour `gate: miss`
/// ```
public enum GateMarker {
    /// The gate name in a code span's text, if the span is a marker: `gate: miss` → `miss`.
    /// The word `gate` may be any case; an empty name is kept (and then matches no gate).
    static func name(inCode text: String) -> String? {
        let trimmed = text.trimmingWhitespace
        guard trimmed.count >= 5, trimmed.prefix(5).lowercased() == "gate:" else { return nil }
        return String(trimmed.dropFirst(5)).trimmingWhitespace
    }

    /// The spans with each `(gate: NAME)` in their prose made a gate span. Neighbouring spans
    /// of one kind are joined first, so a marker the parser cut in two is still found.
    static func splittingPlainMarkers(_ spans: [RunbookDocument.Span]) -> [RunbookDocument.Span] {
        var joined: [RunbookDocument.Span] = []
        for span in spans {
            if let last = joined.last, last.kind == span.kind, span.kind != .gate, span.kind != .code {
                joined[joined.count - 1].text += span.text
            } else {
                joined.append(span)
            }
        }
        return joined.flatMap { $0.kind == .gate || $0.kind == .code ? [$0] : Self.spans(inText: $0.text, kind: $0.kind) }
    }

    /// Splits plain text around `(gate: NAME)` markers into text and gate spans.
    static func spans(inText text: String, kind: RunbookDocument.Span.Kind) -> [RunbookDocument.Span] {
        var result: [RunbookDocument.Span] = []
        var rest = Substring(text)
        while let open = rest.range(of: "(gate:", options: .caseInsensitive),
              let close = rest[open.upperBound...].firstIndex(of: ")") {
            let name = String(rest[open.upperBound..<close]).trimmingWhitespace
            let before = rest[..<open.lowerBound]
            if !before.isEmpty { result.append(.init(String(before), kind)) }
            result.append(.init(name, .gate))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty || result.isEmpty { result.append(.init(String(rest), kind)) }
        return result
    }
}

extension Gate {
    /// The names a runbook's gate marker may call this gate by: its kind (`soak`, `rollout`,
    /// `checklist`, `approval`, `fleet`, `window`, `verified`, `counter`, `gauge`, `command`,
    /// `prometheus`), and more precisely a counter gate's numerator (`miss`, `verify.mismatch`,
    /// `write.new.error`; several joined with `+`), a gauge gate's gauge (`backfill.remaining`),
    /// a command gate's program (its file name) and a prometheus gate's label.
    ///
    /// Derived from what the plan already says, so a plan needs no names of its own and a
    /// renamed counter shows up as "no such gate" in the runbook rather than a stale figure.
    public var markerNames: [String] {
        var names = [kind.name]
        switch kind {
        case .counter(let check): names.append(check.numerator.joined(separator: "+"))
        case .gauge(let check): names.append(check.gauge)
        case .command(let check):
            if let program = check.argv.first?.split(separator: "/").last { names.append(String(program)) }
        case .prometheus(let check): names.append(check.label)
        default: break
        }
        return names
    }

    /// Whether a marker's `name` means this gate (letter case ignored).
    public func answers(to name: String) -> Bool {
        markerNames.contains { $0.lowercased() == name.lowercased() }
    }
}

/// What a runbook's gate marker stands for now: the results of the gates it names, or why
/// there are none.
public enum GateTie: Sendable, Equatable {
    /// Every gate of the phase that answers to the name, with its result, in the plan's order.
    case results([GateResult])
    /// The gates exist but no evaluation of them is at hand (the figure appears once the
    /// phase the runbook belongs to is the current one).
    case notEvaluated(phase: String)
    /// No gate of `phase` answers to the name (`phase` is nil past the last phase); `names`
    /// are the names its gates do answer to, for the sentence that says so.
    case noSuchGate(phase: String?, names: [String])

    /// Resolves `name` against `target`'s gates and, when it is for `target`, the report of
    /// their evaluation (``GateEvaluation`` gives one result per gate, in the plan's order).
    public init(name: String, target: Phase?, report: GateReport?) {
        guard let target else {
            self = .noSuchGate(phase: nil, names: [])
            return
        }
        let matching = target.gates.indices.filter { target.gates[$0].answers(to: name) }
        guard !matching.isEmpty else {
            var names: [String] = []
            for gate in target.gates {
                for candidate in gate.markerNames.dropFirst(gate.markerNames.count > 1 ? 1 : 0) where !names.contains(candidate) {
                    names.append(candidate)
                }
            }
            self = .noSuchGate(phase: target.id, names: names)
            return
        }
        guard let report, report.target == target.id, report.results.count == target.gates.count,
              matching.allSatisfy({ report.results[$0].kind == target.gates[$0].kind.name }) else {
            self = .notEvaluated(phase: target.id)
            return
        }
        self = .results(matching.map { report.results[$0] })
    }

    /// Whether the tie shows a gate that stops the advance, or no gate at all: what makes
    /// ticking its item worth a warning.
    public var isWorrying: Bool {
        switch self {
        case .results(let results): results.contains { $0.status != .pass }
        case .notEvaluated: false
        case .noSuchGate: true
        }
    }
}

extension RunbookDocument {
    /// Every gate marker of the document that names no gate of `next` (the phase after the
    /// runbook's own), for `init` or a review to refuse or warn about.
    public func unknownGateMarkers(next: Phase?) -> [String] {
        gateMarkers.filter { GateTie(name: $0, target: next, report: nil).isNoSuchGate }
    }

    /// The names of the document's gate markers, in order.
    public var gateMarkers: [String] {
        blocks.flatMap { block -> [String] in
            switch block {
            case .heading(_, let spans), .paragraph(let spans, _), .item(_, let spans, _), .task(_, let spans, _), .quote(let spans):
                spans.filter { $0.kind == .gate }.map(\.text)
            case .code, .rule: []
            }
        }
    }
}

extension GateTie {
    var isNoSuchGate: Bool {
        if case .noSuchGate = self { return true }
        return false
    }
}

extension [RunbookDocument.Span] {
    /// The spans as one line of plain text; a gate marker reads `(gate: NAME)`.
    public var plainText: String {
        map { $0.kind == .gate ? "(gate: \($0.text))" : $0.text }.joined()
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
