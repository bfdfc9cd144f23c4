import Foundation
import MigrationCore

/// One gate result as a line, the same on the dashboard and in the advance dialog: its mark,
/// its label (cut first when the line is too narrow), its figure and what it wants (never cut),
/// a live countdown for a soak, and `no override` for a gate that cannot be overridden.
enum GateLines {
    typealias Line = [(String, Style)]

    /// The results that block, non-overridable first (they decide whether an override can work),
    /// then in the plan's order.
    static func blocking(_ results: [GateResult]) -> [GateResult] {
        let blocking = results.filter { $0.status != .pass }
        return blocking.filter { !$0.overridable } + blocking.filter(\.overridable)
    }

    /// Every result, blocking ones first (as ``blocking(_:)``), then the passing ones.
    static func ordered(_ results: [GateResult]) -> [GateResult] {
        blocking(results) + results.filter { $0.status == .pass }
    }

    /// The figure part: `29s of 1m at 100% · 31s left` for a running soak, else `OBSERVED (want BOUND)`.
    static func figure(_ result: GateResult, now: Date) -> String {
        if let clock = result.countdown {
            let elapsed = clock.elapsed(at: now), left = clock.left(at: now)
            let soaked = "\(Durations.human(Double(min(elapsed, clock.seconds)))) of \(Durations.human(Double(clock.seconds))) at 100%"
            return left > 0 ? "\(soaked) · \(Durations.human(Double(left))) left" : "\(soaked) · done (n checks again)"
        }
        return "\(result.observed.terminalSafe) (want \(result.bound.terminalSafe))"
    }

    /// The line of `result` in `width` columns.
    static func line(_ result: GateResult, now: Date, width: Int, glyphs: Glyphs) -> Line {
        let mark = result.status == .pass ? glyphs.pass : result.status == .fail ? glyphs.fail : glyphs.unknown
        let style: Style = result.status == .pass ? .good : .danger
        let figure = " " + figure(result, now: now)
        let tag = result.overridable || result.status == .pass ? "" : " · no override"
        let room = max(8, width - 2 - DisplayWidth.of(figure) - DisplayWidth.of(tag) - 1)
        let label = Format.clip(result.label.terminalSafe, room, ellipsis: glyphs.ellipsis) + ":"
        var line: Line = [("\(mark) ", style), (label, result.status == .pass ? .plain : .bold), (figure, style)]
        if !tag.isEmpty { line.append((tag, .danger)) }
        return line
    }
}
