import Foundation
import MigrationCore

/// The guard on the dashboard, a few rows between the next transition and the recent events:
///
/// ```
/// Guard    guard@db1 pid 4242 #9f2c acting · ramp 50% held · watching 1
///   ✗ HOLD new-store-errors 0.05 (50/1000) want ≤ 0.01 · since 03:12 · G clears
///   ! notify slack hooks.example.com:443: 3 failed, 1 pending · HTTP 500
/// ```
///
/// The first row says whether a guard acts (its lease is alive), expired, or never ran, and
/// the current phase's next automatic ramp step (held while a guard holds, paused when the last
/// change lowered the rollout: the guard does not ramp back over a step down); then a row per fired guard with its figures,
/// and a row per failing notification target. Nothing at all when the plan gives a guard
/// nothing to do, none ever ran and nothing fired.
enum GuardView {
    /// One row: styled pieces drawn left to right.
    typealias Line = [(String, Style)]

    /// The label column, as wide as `Rollout  `, `Progress ` and `Next     `.
    static let label = "Guard    "
    /// Where the rows under the first start.
    static let indent = 2

    /// The rows for `data` in a region `width` columns wide, before any are left out for room.
    static func lines(_ data: ConsoleData, readOnly: Bool, glyphs: Glyphs, width: Int) -> [Line] {
        guard data.guardLease != nil || data.guardProblem != nil || !data.guardFirings.isEmpty || data.planIsGuarded else { return [] }
        var lines = [head(data)]
        for firing in data.guardFirings {
            lines.append(fired(firing, now: data.now, offersKey: !readOnly, glyphs: glyphs, width: width - indent))
        }
        for target in GuardSummary.failing(data.guardPublished?.targets ?? []) {
            lines.append(failing(target, width: width - indent))
        }
        return lines
    }

    /// Draws `lines` into `rect`; when they do not all fit, the last row says how many were left out.
    static func render(_ lines: [Line], in rect: Rect, into screen: inout Screen) {
        guard rect.height > 0, !lines.isEmpty else { return }
        var shown = Array(lines.prefix(rect.height))
        if lines.count > rect.height, rect.height > 1 {
            let hidden = lines.count - rect.height + 1
            shown[shown.count - 1] = [("+\(hidden) more: migctl guard status shows them all", .dim)]
        }
        for (i, line) in shown.enumerated() {
            var x = rect.left + (i == 0 ? 0 : indent)
            for (text, style) in line {
                guard x < rect.right else { break }
                x = screen.put(text, row: rect.top + i, column: x, style: style, maxWidth: rect.right - x)
            }
        }
    }

    /// `Guard    HOLDER acting · ramp 25% in 12m 0s · watching 2`, or that none acts, or never ran.
    static func head(_ data: ConsoleData) -> Line {
        var line: Line = [(label, .bold)]
        if let problem = data.guardProblem {
            line.append(("the lease cannot be read: \(Format.clip(problem, 160))", .warning))
            return line
        }
        if let lease = data.guardLease, data.guardActing {
            line.append((Format.clip(lease.holder, 28), .plain))
            line.append((" acting", .good))
        } else if let lease = data.guardLease {
            line.append(("none acting", .warning))
            line.append((" (lease expired \(Format.moment(lease.expiresAt, now: data.now)))", .dim))
        } else {
            line.append(("never ran on this store", .dim))
        }
        let holds = data.guardHolds
        if let due = data.rampDue {
            if !holds.isEmpty {
                line.append((" · ramp \(due.step) held", .warning))
            } else if let actor = GuardSummary.lowered(data.state, events: data.recentEvents) {
                line.append((" · ramp paused: lowered by \(Format.clip(actor, 24))", .warning))
            } else if data.guardActing {
                line.append((" · ramp \(due.step) \(GuardSummary.when(due.at, now: data.now))", .plain))
            } else {
                line.append((" · ramp \(due.step) needs a guard running", .warning))
            }
        } else if holds.isEmpty, let waiting = data.guardPublished?.waiting {
            line.append((" · \(Format.clip(waiting, 160))", .dim))
        }
        // Last, so the ramp keeps its room on a narrow row.
        if let watched = data.guardPublished?.guards, !watched.isEmpty {
            let unknown = watched.filter { $0.status == .unknown }.count
            line.append((" · watching \(watched.count)" + (unknown > 0 ? " (\(unknown) unknown)" : ""), .dim))
        }
        return line
    }

    /// `✗ HOLD new-store-errors 0.05 (50/1000) want ≤ 0.01 · since 03:12 · G clears` (the key only
    /// when `offersKey`): the figures give way first when the row is narrow.
    static func fired(_ firing: GuardFiring, now: Date, offersKey: Bool, glyphs: Glyphs, width: Int) -> Line {
        let blocks = firing.blocks
        let mark = blocks ? String(glyphs.fail) : "!"
        let title = "\(mark) \(Format.clip(firing.action, 10).uppercased()) \(Format.clip(firing.name, 32))"
        let since = " · since \(Format.moment(firing.firedAt, now: now))"
        let clears = offersKey ? " · \(KeyBinding.label(for: .clearGuard)) clears" : ""
        let room = width - DisplayWidth.of(title) - DisplayWidth.of(since) - DisplayWidth.of(clears) - 1
        // " OBSERVED want BOUND": the bound keeps up to two fifths of the room, the figure the rest.
        let boundWidth = DisplayWidth.of(Format.clip(firing.bound, max(4, room * 2 / 5)))
        let observed = Format.clip(firing.observed, max(4, room - 6 - boundWidth))
        let bound = Format.clip(firing.bound, max(4, room - 6 - DisplayWidth.of(observed)))
        let figures = firing.observed.isEmpty && firing.bound.isEmpty || room < 1 ? "" : Format.clip(" \(observed) want \(bound)", room + 1)
        return [(title, blocks ? .danger : .warning), (figures, .plain), (since, .dim), (clears, .accent)]
    }

    /// `! notify slack hooks.example.com:443: 3 failed, 1 pending · HTTP 500`
    static func failing(_ target: GuardStatus.Target, width: Int) -> Line {
        let head = "! notify \(Format.clip(target.name, 32)): \(target.failed) failed, \(target.pending) pending"
        let error = target.lastError.map { " · " + Format.clip($0, max(4, width - DisplayWidth.of(head) - 3)) } ?? ""
        return [(head, .warning), (error, .dim)]
    }
}
