import Console
import Foundation
import MigrationCore
import Synchronization
import Testing

/// The session's clock ages the status line: a message shown once is gone a few seconds later,
/// as the loop redraws each second.
struct MessageExpiryTests {
    /// A clock the test moves; the session reads it as its `now`.
    final class TestClock: Sendable {
        private let time = Mutex(Date(timeIntervalSince1970: 1_900_000_000))
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    let folder = FileManager.default.temporaryDirectory.appending(path: "console-expiry-\(UUID().uuidString)")

    func control() throws -> MigrationControl {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteControlStore.create(at: folder.appending(path: "c.db").path, name: "m", plan: .ungated,
                                                  runbooks: [:], checklists: [:], by: Operator(name: "ana", host: "h"), at: Date())
        return MigrationControl(store: store, signer: Operator(name: "ana", host: "h"))
    }

    @Test func cancelledIsGoneFiveSecondsLater() throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let clock = TestClock()
        // n opens the advance dialog (the plan has no gates), Esc cancels it.
        let terminal = ScriptedTerminal(keys: [.character("n"), .escape])
        let session = ConsoleSession(control: try control(), device: terminal, context: RenderContext(), readOnly: false,
                                     now: { clock.now })
        session.run(maxIterations: 2)
        #expect(terminal.lastText.contains("cancelled; nothing changed"))
        for second in 1...4 {
            clock.advance(1)
            terminal.keys = [nil]
            session.run(maxIterations: 1)
            #expect(terminal.lastText.contains("cancelled; nothing changed"), "still shown after \(second) s")
        }
        clock.advance(1)
        terminal.keys = [nil]
        session.run(maxIterations: 1)
        #expect(!terminal.lastText.contains("cancelled"), "gone after 5 s: \(terminal.lastText)")
        #expect(session.state.message == nil)
    }
}
