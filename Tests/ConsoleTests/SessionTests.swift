import Console
import Foundation
import MigrationCore
import Runbook
import TestSupport
import Testing

/// A terminal that plays a key script and keeps every frame it was shown.
final class ScriptedTerminal: TerminalDevice {
    var size: (width: Int, height: Int)
    var keys: [Key?]
    private(set) var frames: [Screen] = []

    init(width: Int = 80, height: Int = 24, keys: [Key?]) {
        size = (width, height)
        self.keys = keys
    }

    func present(_ screen: Screen, repaint: Bool) { frames.append(screen) }

    func nextKey(timeoutMilliseconds: Int) -> Key? {
        keys.isEmpty ? nil : keys.removeFirst()
    }

    var lastText: String { frames.last?.text ?? "" }
}

struct SessionTests {
    static let ungated = Plan.ungated

    let folder = FileManager.default.temporaryDirectory.appending(path: "console-\(UUID().uuidString)")

    func control(_ name: String = "ana") throws -> MigrationControl {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appending(path: "c.db").path
        let store = FileManager.default.fileExists(atPath: path)
            ? try SQLiteControlStore(path: path)
            : try SQLiteControlStore.create(at: path, name: "m", plan: Self.ungated, runbooks: Plan.defaultRunbooks,
                                            by: Operator(name: name, host: "h"), at: Date())
        return MigrationControl(store: store, signer: Operator(name: name, host: "h"))
    }

    func typing(_ text: String) -> [Key?] { text.map { Key.character($0) } }

    /// The console on either store: `ana` creates it; another person (`bo`) connects as
    /// themselves (on PostgreSQL with a login of their own, the actor the server records).
    func control(_ under: StoreUnderTest, as person: String? = nil) throws -> MigrationControl {
        guard let person else {
            let store = try under.create(name: "m", plan: Self.ungated, runbooks: Plan.defaultRunbooks, by: under.signer("ana"))
            return MigrationControl(store: store, signer: under.signer("ana"))
        }
        try under.login(person)
        return MigrationControl(store: try under.open(as: person), signer: Operator(name: under.actor(person), host: "h"))
    }

    @Test(arguments: StoreKind.allCases)
    func advancingThroughTheConsoleChangesTheStoredState(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let control = try control(under)
        let terminal = ScriptedTerminal(keys: [.character("n")] + typing("dual writes deployed") + [.enter, .character("q")])
        let session = ConsoleSession(control: control, device: terminal, context: RenderContext(), readOnly: false)
        session.run(maxIterations: 100)
        let state = try control.store.state()
        #expect(state.phase == "dual-write" && state.version == 2)
        #expect(try control.store.auditLog(limit: 1)[0].reason == "dual writes deployed")
        #expect(terminal.lastText.contains("now in dual-write at 0% (version 2)"))
    }

    @Test(arguments: StoreKind.allCases)
    func aChangeByAnotherOperatorShowsUpWithoutAKey(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let control = try control(under)
        let terminal = ScriptedTerminal(keys: [nil])
        let session = ConsoleSession(control: control, device: terminal, context: RenderContext(), readOnly: false)
        session.run(maxIterations: 1)
        #expect(terminal.lastText.contains("● 1 old-only"))
        try self.control(under, as: "bo").perform(.advance(), reason: "from the CLI")
        // A file's change shows at the next turn; a server's as soon as its notification arrives.
        #expect(eventually {
            terminal.keys = [nil]
            session.run(maxIterations: 1)
            return terminal.lastText.contains("● 2 dual-write  0%")
        }, "\(terminal.lastText)")
        #expect(terminal.lastText.contains("\(under.actor("bo"))  advance  old-only → dual-write"), "\(terminal.lastText)")
    }

    @Test(arguments: StoreKind.allCases)
    func aConflictKeepsTheDialogOpenWithTheSentence(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let control = try control(under)
        try control.perform(.advance())
        let terminal = ScriptedTerminal(keys: [.character("+")] + typing("ramp"))
        let session = ConsoleSession(control: control, device: terminal, context: RenderContext(), readOnly: false)
        session.run(maxIterations: 5)
        try self.control(under, as: "bo").perform(.setRollout(.full), reason: "bo was faster")
        session.step(.enter)
        #expect(session.state.dialog?.error?.contains("changed") == true)
        #expect(try control.store.state().rollout == .full, "the console did not overwrite bo's change")
    }

    @Test func idleTurnsDoNotRedrawWithinTheSameSecond() throws {
        let control = try control()
        let fixed = Date(timeIntervalSince1970: 1_900_000_000)
        let terminal = ScriptedTerminal(keys: [nil, nil, nil, nil])
        let session = ConsoleSession(control: control, device: terminal, context: RenderContext(), readOnly: false, now: { fixed })
        session.run(maxIterations: 4)
        #expect(terminal.frames.count == 1, "nothing changed, so only the first frame was drawn")
    }

    @Test func resizingRedrawsAtTheNewSize() throws {
        let control = try control()
        let terminal = ScriptedTerminal(keys: [nil])
        let session = ConsoleSession(control: control, device: terminal, context: RenderContext(), readOnly: false)
        session.run(maxIterations: 1)
        terminal.size = (60, 20)
        terminal.keys = [.resize]
        session.run(maxIterations: 1)
        #expect(terminal.frames.last?.width == 60)
        #expect(terminal.lastText.contains("terminal too small: 60x20"))
    }
}

struct SlowGateSessionTests {
    let folder = FileManager.default.temporaryDirectory.appending(path: "console-slow-\(UUID().uuidString)")

    func control() throws -> MigrationControl {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let plan = Plan(phases: [
            Phase(id: "a", title: "a", reads: .old, writes: [.old], ramp: false),
            Phase(id: "b", title: "b", reads: .old, writes: [.old, .new], ramp: false,
                  gates: [Gate(.command(CommandCheck(argv: ["sleep", "20"], timeoutSeconds: 30)))]),
        ])
        let store = try SQLiteControlStore.create(at: folder.appending(path: "c.db").path, name: "m", plan: plan, runbooks: [:],
                                                  checklists: [:], by: Operator(name: "ana", host: "h"), at: Date())
        return MigrationControl(store: store, signer: Operator(name: "ana", host: "h"))
    }

    @Test func aSlowGateShowsABusyLineAndEscapeCancelsIt() throws {
        let terminal = ScriptedTerminal(keys: [.character("n"), .character("x")])
        let session = ConsoleSession(control: try control(), device: terminal, context: RenderContext(), readOnly: false)
        let started = ContinuousClock.now
        session.run(maxIterations: 2)
        #expect(terminal.lastText.contains("running the gates of b… (Esc cancels)"))
        #expect(session.state.message?.text == "gate checks are running; Esc cancels, q quits")
        terminal.keys = [.escape]
        session.run(maxIterations: 1)
        #expect(session.state.busy == nil && session.state.dialog == nil)
        #expect(terminal.lastText.contains("gate check cancelled; nothing changed"))
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func quittingWhileAGateRunsReturnsPromptly() throws {
        let terminal = ScriptedTerminal(keys: [.character("n"), .character("q")])
        let session = ConsoleSession(control: try control(), device: terminal, context: RenderContext(), readOnly: false)
        let started = ContinuousClock.now
        session.run(maxIterations: 10)
        #expect(ContinuousClock.now - started < .seconds(10), "q does not wait for the 20 s gate")
    }
}
