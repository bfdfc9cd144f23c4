import Foundation
import MigrationCore
import TestSupport
import Testing

/// The console's text fields in a real terminal: the byte sequences tmux sends for Left, Home,
/// End, Delete, Backspace and Ctrl+A/E/U/W/K reach the field as editing keys, never as text;
/// long text scrolls; and the demo's `q` asks before stopping the service.
@Suite(.serialized)
struct ConsoleEditingTerminalTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }

    /// A migration in `b` at 0%, so `+` opens a ramp step that asks a reason.
    func start() throws -> Tmux {
        try Data("""
            phases:
              - {id: a, reads: old, writes: [old]}
              - {id: b, reads: new-fallback-old, writes: [new, old]}
            """.utf8).write(to: folder.url.appending(path: "plan.yaml"))
        #expect(try migctl.run(["init", "--name", "m", "--plan", "plan.yaml"]).status == 0)
        #expect(try migctl.run(["advance", "--reason", "set up"]).status == 0)
        let tmux = try Tmux(width: 80, height: 24, folder: folder.url, environment: Tmux.environment())
        try tmux.type("\(MigctlProcess.binary.path) console; echo EXIT=$?", enter: true)
        try tmux.waitFor(text: "Phases")
        try tmux.type("+")
        try tmux.waitFor(text: "Reason (for the audit log)")
        return tmux
    }

    func lastReason() throws -> String? {
        (try migctl.json(["log", "--json", "--limit", "1"]) as? [[String: Any]])?.first?["reason"] as? String
    }

    /// The field's row as the terminal shows it: what follows `> ` inside the dialog box.
    func field(_ screen: String) -> String? {
        screen.split(separator: "\n").first { $0.contains("│ > ") }.map { line in
            let after = line[line.range(of: "│ > ")!.upperBound...]
            return String(after.prefix { $0 != "│" }).trimmingCharacters(in: .whitespaces)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func realKeySequencesEditTheReason() throws {
        let tmux = try start()
        try tmux.type("wrong words")
        try tmux.press("C-w")
        try tmux.waitFor("Ctrl+W to delete a word") { field($0) == "wrong" }
        try tmux.press("C-u")
        try tmux.waitFor("Ctrl+U to clear the line") { field($0) == "" }
        try tmux.type("amp fine")
        try tmux.press("Home")
        try tmux.type("r")
        try tmux.waitFor("Home then typing") { field($0) == "ramp fine" }
        try tmux.press("End")
        try tmux.type("!!")
        try tmux.press("BSpace")
        try tmux.waitFor("End, typing and Backspace") { field($0) == "ramp fine!" }
        try tmux.press("Left")
        try tmux.press("DC")
        try tmux.waitFor("Left and Delete") { field($0) == "ramp fine" }
        try tmux.press("C-a")
        try tmux.press("DC")
        try tmux.type("R")
        try tmux.waitFor("Ctrl+A") { field($0) == "Ramp fine" }
        try tmux.press("C-e")
        try tmux.type(" and more")
        try tmux.press("Left", "Left", "Left", "Left", "Left", "Left", "Left", "Left", "Left")
        try tmux.press("C-k")
        try tmux.press("Right")
        try tmux.waitFor("Ctrl+E, Left and Ctrl+K") { field($0) == "Ramp fine" }
        try tmux.press("Enter")
        try tmux.waitFor(text: "rollout of b is now 1%")
        #expect(try lastReason() == "Ramp fine")
        try tmux.type("q")
        try tmux.waitFor(text: "EXIT=0")
    }

    @Test(.timeLimit(.minutes(1)))
    func aLongReasonScrollsWithTheCursorInView() throws {
        let tmux = try start()
        let reason = "hit ratio steady at 99.2% for twenty minutes, p99 flat, no errors in the service log since the deploy"
        try tmux.type(reason)
        let end = try tmux.waitFor("the end of the reason") { field($0)?.hasSuffix("since the deploy") == true }
        #expect(field(end)?.hasPrefix("…") == true, "the hidden start is marked: \(end)")
        try tmux.press("Home")
        let start = try tmux.waitFor("the start of the reason") { field($0)?.hasPrefix("hit ratio steady") == true }
        #expect(field(start)?.hasSuffix("…") == true, "the hidden end is marked: \(start)")
        try tmux.press("Enter")
        try tmux.waitFor(text: "rollout of b is now 1%")
        #expect(try lastReason() == reason)
        // The next ramp step offers it again.
        try tmux.type("+")
        try tmux.waitFor(text: "your previous one filled in")
        try tmux.press("Enter")
        try tmux.waitFor(text: "rollout of b is now 5%")
        #expect(try lastReason() == reason)
        try tmux.type("q")
        try tmux.waitFor(text: "EXIT=0")
    }

    @Test(.timeLimit(.minutes(2)))
    func qInTheDemoAsksBeforeStoppingTheService() throws {
        let tmux = try Tmux(width: 80, height: 24, folder: folder.url, environment: Tmux.environment())
        try tmux.type("\(MigctlProcess.binary.path) demo --dir demo --records 1000; echo EXIT=$?", enter: true)
        try tmux.waitFor(text: "Phases", timeout: 30)
        let control = folder.url.appending(path: "demo/migctl.db").path
        try tmux.type("q")
        try tmux.waitFor(text: "y stops it and quits")
        #expect(try tmux.screen().contains("Quitting stops the demo's simulated service"))
        try tmux.type("n")
        try tmux.waitFor(text: "still running; nothing stopped")
        #expect(try !tmux.screen().contains("EXIT="))
        #expect(try !SQLiteControlStore(path: control).instances().isEmpty, "the service is still in the fleet")
        try tmux.type("q")
        try tmux.waitFor(text: "y stops it and quits")
        try tmux.type("y")
        let after = try tmux.waitFor("the demo's exit status", timeout: 60) {
            $0.split(separator: "\n").contains { $0.hasPrefix("EXIT=") && $0.dropFirst(5).first?.isNumber == true }
        }
        #expect(after.contains("EXIT=0"), "\(after)")
        #expect(try SQLiteControlStore(path: control).instances().isEmpty, "the service stopped and left the fleet")
    }
}
