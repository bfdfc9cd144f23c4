import Console
import Foundation
import MigrationCore
import Synchronization
import Testing

/// The chart offers 5m and 15m windows and opens on the one that fits the current phase's
/// age; `w` picks another, and the operator's pick stays.
struct ChartWindowTests {
    /// A clock the test moves; the session reads it as its `now`.
    final class MovingClock: Sendable {
        private let time: Mutex<Date>
        init(_ start: Date) { time = Mutex(start) }
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    let folder = FileManager.default.temporaryDirectory.appending(path: "console-window-\(UUID().uuidString)")

    @Test func theWindowsCycleFromFiveMinutesToAWeek() {
        #expect(ChartWindow.allCases.map(\.label) == ["5m", "15m", "1h", "6h", "24h", "7d"])
        var window = ChartWindow.fiveMinutes
        var seen: [String] = []
        for _ in 0..<7 {
            seen.append(window.label)
            window = window.next
        }
        #expect(seen == ["5m", "15m", "1h", "6h", "24h", "7d", "5m"])
    }

    @Test func theFittingWindowIsTheSmallestThatCoversTheAge() {
        #expect(ChartWindow.fitting(0) == .fiveMinutes)
        #expect(ChartWindow.fitting(300) == .fiveMinutes)
        #expect(ChartWindow.fitting(301) == .fifteenMinutes)
        #expect(ChartWindow.fitting(40 * 60) == .hour)
        #expect(ChartWindow.fitting(2 * 3600) == .sixHours)
        #expect(ChartWindow.fitting(7 * 3600) == .day)
        #expect(ChartWindow.fitting(30 * 86_400) == .week, "older than every window: the longest")
        #expect(ChartWindow.fitting(-5) == .fiveMinutes && ChartWindow.fitting(.nan) == .week)
    }

    @Test func theSessionFollowsThePhasesAgeUntilWPicksAWindow() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let created = Date()
        let store = try SQLiteControlStore.create(at: folder.appending(path: "c.db").path, name: "m", plan: .ungated,
                                                  runbooks: [:], checklists: [:], by: Operator(name: "ana", host: "h"), at: created)
        let control = MigrationControl(store: store, signer: Operator(name: "ana", host: "h"))
        let clock = MovingClock(created.addingTimeInterval(120))
        let terminal = ScriptedTerminal(width: 120, height: 40, keys: [nil])
        let session = ConsoleSession(control: control, device: terminal, context: RenderContext(), readOnly: false, now: { clock.now })
        session.run(maxIterations: 1)
        #expect(session.state.window == .fiveMinutes && session.data?.window == .fiveMinutes, "a phase 2 minutes old")
        #expect(terminal.lastText.contains("Traffic/s · 5m") && terminal.lastText.contains("-5m"))

        clock.advance(20 * 60)
        terminal.keys = [nil]
        session.run(maxIterations: 1)
        #expect(session.state.window == .hour, "22 minutes old: the chart grew with the phase")

        terminal.keys = [.character("w")]
        session.run(maxIterations: 1)
        #expect(session.state.window == .sixHours && session.data?.window == .sixHours)
        clock.advance(3 * 86_400)
        terminal.keys = [nil]
        session.run(maxIterations: 1)
        #expect(session.state.window == .sixHours, "the operator's pick stays")
    }
}
