import Foundation
import MigrationCore

/// Every field of one audit event as lines of plain text, for the log's details view and its
/// search: the id, the time (absolute and relative), who, what, the phase, rollout and version
/// it moved, the reason, its link in the hash chain, and the details decoded
/// (``AuditDetails``: the gate report an advance recorded, a guard's figures, a job's change).
///
/// The text is plain so that a terminal's mouse selection copies it as it reads; nothing from
/// the database reaches the screen unsanitised (`Screen.put` makes every line terminal-safe).
public struct EventDetail: Sendable {
    /// One line: a label column (empty for continuations and gate lines) and the text after it.
    public struct Line: Sendable, Equatable {
        public var label: String
        public var text: String
        public var style: Style
        /// How far a gate line's text is indented under the value column.
        public var indent: Int

        init(_ label: String, _ text: String, style: Style = .plain, indent: Int = 0) {
            self.label = label
            self.text = text
            self.style = style
            self.indent = indent
        }
    }

    /// The label column's width.
    public static let labelWidth = 11

    public let event: AuditEvent
    public let lines: [Line]

    /// - Parameters:
    ///   - now: the relative time is counted to it.
    ///   - chainBreak: where the audit log's hash chain breaks, if the console found it broken.
    public init(_ event: AuditEvent, now: Date, chainBreak: String? = nil, glyphs: Glyphs = .unicode) {
        self.event = event
        let arrow = glyphs.arrow
        var lines: [Line] = [
            Line("id", "#\(event.id)"),
            Line("time", "\(Format.dateTime(event.at)) UTC · \(Self.relative(event.at, now: now))"),
            Line("actor", event.signature),
            Line("action", event.action),
            Line("phase", Self.change(event.fromPhase, event.toPhase, arrow: arrow)),
            Line("rollout", Self.change(event.fromRollout?.description, event.toRollout?.description, arrow: arrow)),
            Line("version", event.version.map { "\($0) (the state's version after this change)" } ?? "none: not a change of the state"),
            Line("reason", event.reason.map(AuditDetails.cut) ?? "none given"),
        ]
        if let chainBreak {
            lines.append(Line("hash chain", "link #\(event.id); the chain is broken: \(chainBreak) (migctl log --verify)", style: .danger))
        } else {
            lines.append(Line("hash chain", "link #\(event.id); migctl log --verify checks the whole chain"))
        }
        if let details = AuditDetails(event.details) {
            lines += Self.lines(details, glyphs: glyphs)
        } else {
            lines.append(Line("details", "none"))
        }
        self.lines = lines
    }

    /// The details' lines: the gates first, then overrides, confirmation, other fields, the text
    /// as stored and the problem.
    static func lines(_ details: AuditDetails, glyphs: Glyphs) -> [Line] {
        var lines: [Line] = []
        if let gates = details.gates {
            let passed = gates.filter { $0.status == GateStatus.pass.rawValue }.count
            lines.append(Line("gates", gates.isEmpty ? "none: the phase entered has no gates"
                : "\(gates.count) recorded at the advance: \(passed) passed, \(gates.count - passed) did not"))
            for gate in gates {
                let mark = switch gate.status {
                case GateStatus.pass.rawValue: glyphs.pass
                case GateStatus.fail.rawValue: glyphs.fail
                default: glyphs.unknown
                }
                let figure = gate.observed.isEmpty && gate.bound.isEmpty ? "" : ": \(gate.observed) (want \(gate.bound))"
                let status = GateStatus(rawValue: gate.status) == nil ? " [status '\(gate.status)']" : ""
                let overridable = gate.overridable == false ? " · not overridable" : ""
                lines.append(Line("", "\(mark) \(gate.label.isEmpty ? "(no label)" : gate.label)\(figure)\(status)\(overridable)",
                                  style: gate.status == GateStatus.pass.rawValue ? .plain : .warning))
                if !gate.sentence.isEmpty { lines.append(Line("", gate.sentence, indent: 2)) }
                for output in gate.output { lines.append(Line("", "output: \(output)", style: .dim, indent: 2)) }
            }
        }
        if !details.overridden.isEmpty { lines.append(Line("overridden", details.overridden.joined(separator: ", "), style: .warning)) }
        if let confirmed = details.confirmed { lines.append(Line("confirmed", "\(confirmed) (typed at the point of no return)")) }
        for (key, value) in details.fields { lines.append(Line(key, value)) }
        if let text = details.text { lines.append(Line("details", text)) }
        if let problem = details.problem { lines.append(Line("problem", problem, style: .warning)) }
        return lines
    }

    /// `a → b`, `a` when unchanged or only one is known, `none` when neither is.
    static func change(_ from: String?, _ to: String?, arrow: String) -> String {
        switch (from, to) {
        case let (from?, to?) where from != to: "\(from) \(arrow) \(to)"
        case let (_, to?): to
        case let (from?, nil): from
        case (nil, nil): "none"
        }
    }

    /// `2h 5m ago`, `just now`, or `in 3s` for a clock ahead of this one.
    static func relative(_ date: Date, now: Date) -> String {
        let seconds = now.timeIntervalSince(date)
        if abs(seconds) < 1 { return "just now" }
        return seconds > 0 ? "\(Format.duration(seconds)) ago" : "in \(Format.duration(-seconds)) (its clock was ahead)"
    }

    /// The lines as plain text, one per line, the labels padded: what search looks through.
    public var text: String {
        lines.map { line in
            line.label.padding(toLength: max(Self.labelWidth, line.label.count + 1), withPad: " ", startingAt: 0)
                + String(repeating: " ", count: line.indent) + line.text
        }.joined(separator: "\n")
    }
}
