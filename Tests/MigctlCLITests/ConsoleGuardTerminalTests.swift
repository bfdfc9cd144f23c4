import Foundation
import TestSupport
import Testing

/// The guard in a real terminal: a real `migctl guard` fires a hold, the console shows it and
/// refuses the advance it holds, and `G` clears it with a reason that lands in the audit log.
@Suite(.serialized)
struct ConsoleGuardTerminalTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }

    /// The ungated plan with a hold guard on the first phase whose condition fails while the
    /// file `errors` exists (a command condition: exit 0 passes).
    func plan(flag: String) -> String {
        """
        phases:
          - id: old-only
            reads: old
            writes: [old]
            ramp: false
            guards:
              - name: new-store-errors
                when: {kind: command, argv: [/usr/bin/test, "!", -e, \(flag)], timeout: 5s}
                action: hold
          - {id: dual-write, reads: old, writes: [old, new], ramp: {steps: [5, 25, 100], every: 30m}}
          - {id: new-primary, reads: new-fallback-old, writes: [new, old], irreversible: true}
        """
    }

    @Test(.timeLimit(.minutes(2)))
    func aFiredGuardIsShownAndClearedWithAKey() throws {
        let flag = folder.url.appending(path: "errors").path
        #expect(FileManager.default.createFile(atPath: flag, contents: Data("disk full\n".utf8)))
        try Data(plan(flag: flag).utf8).write(to: folder.url.appending(path: "plan.yaml"))
        let created = try migctl.run(["init", "--name", "users-v2", "--plan", "plan.yaml"])
        #expect(created.status == 0, "\(created.stderr)")

        // A real guard fires on its first look, and keeps acting.
        let daemon = try GuardUnderTest(migctl, ["guard", "run", "--interval", "1s"])
        defer { daemon.stop() }
        let fired = eventually(within: .seconds(30)) {
            ((try? migctl.json(["guard", "status", "--json"]) as? [String: Any])?["fired"] as? [[String: Any]])?.isEmpty == false
        }
        try #require(fired, "the guard fired\n\(daemon.log)")
        // The condition passes again: cleared, it does not fire anew.
        try FileManager.default.removeItem(atPath: flag)

        let tmux = try Tmux(width: 80, height: 24, folder: folder.url, environment: Tmux.environment())
        try tmux.type("\(MigctlProcess.binary.path) console; echo EXIT=$?", enter: true)
        let screen = try tmux.waitFor(text: "✗ HOLD new-store-errors")
        #expect(screen.contains(" Guard    guard@") && screen.contains(" acting"), "\(screen)")
        #expect(screen.contains("· G clears"))

        // The advance it holds is refused, with the key offered.
        try tmux.type("n")
        try tmux.waitFor(text: "Advance: held by a guard")
        #expect(try tmux.screen().contains("G clears a fired guard here"))
        try tmux.type("G")
        try tmux.waitFor(text: "Clear guard new-store-errors")
        try tmux.press("Enter")
        try tmux.waitFor(text: "type a reason first")
        try tmux.type("the new store's disk was full; freed", enter: true)
        try tmux.waitFor(text: "cleared guard 'new-store-errors'")
        try tmux.waitFor("the hold gone from the dashboard") { !$0.contains("HOLD new-store-errors") && $0.contains(" Guard    guard@") }

        let log = try #require(try migctl.json(["log", "--json"]) as? [[String: Any]])
        let clear = try #require(log.first { $0["action"] as? String == "guard-clear" }, "\(log)")
        #expect(clear["actor"] as? String == "operator", "the console's operator signs it")
        #expect(clear["reason"] as? String == "guard 'new-store-errors': the new store's disk was full; freed")
        #expect(log.contains { $0["action"] as? String == "guard-fire" })

        // Nothing holds the advance now.
        try tmux.type("n")
        try tmux.waitFor(text: "Reason (for the audit log)")
        try tmux.type("errors gone", enter: true)
        try tmux.waitFor(text: "now in dual-write")
        try tmux.type("q")
        try tmux.waitFor(text: "EXIT=0")
    }
}

/// A `migctl guard` process for one test, SIGKILLed when the test ends whatever happens.
private final class GuardUnderTest {
    let process: Process
    private let logPath: String

    init(_ migctl: MigctlProcess, _ arguments: [String]) throws {
        logPath = migctl.folder.appending(path: "guard.log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process = try migctl.start(arguments)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try log.close()
    }

    /// Everything it logged so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
