import Foundation
import Testing

/// The console in a real terminal (tmux), driven by keys like an operator would.
@Suite(.serialized)
struct ConsoleTerminalTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }

    func status() throws -> [String: Any] {
        try #require(try migctl.json(["status", "--json"]) as? [String: Any])
    }

    func startConsole(width: Int = 80, height: Int = 24, locale: String = "C.UTF-8", extra: [String: String] = [:], flags: String = "") throws -> Tmux {
        #expect(try migctl.run(["init", "--name", "users-v2"]).status == 0)
        var environment = ["LANG": locale, "LC_ALL": locale, "TERM": "xterm-256color", "MIGCTL_ACTOR": "operator", "PATH": "/usr/bin:/bin", "PS1": "$ "]
        environment.merge(extra) { $1 }
        let tmux = try Tmux(width: width, height: height, folder: folder.url, environment: environment)
        try tmux.type("\(MigctlProcess.binary.path) console \(flags); echo EXIT=$?", enter: true)
        try tmux.waitFor(text: "Phases")
        return tmux
    }

    @Test func anOperatorWalksTheMigrationWithKeys() throws {
        let tmux = try startConsole()
        let first = try tmux.screen()
        #expect(first.contains("● 1 old-only") && first.contains("point of no return") && first.contains("q quit"))

        try tmux.type("?")
        try tmux.waitFor(text: "repaint the terminal")
        try tmux.press("Escape")
        try tmux.waitFor("help closed") { !$0.contains("repaint the terminal") }

        try tmux.type("n")
        try tmux.waitFor(text: "Reason (for the audit log)")
        try tmux.type("dual writes deployed", enter: true)
        try tmux.waitFor(text: "now in dual-write")
        #expect(try status()["phase"] as? String == "dual-write")

        try tmux.type("+")
        try tmux.waitFor(text: "0% → 1%")
        try tmux.type("first ramp", enter: true)
        try tmux.waitFor(text: "rollout of dual-write is now 1%")
        #expect(try status()["rollout"] as? Double == 1)

        try tmux.type("b")
        try tmux.waitFor(text: "phase    dual-write → old-only")
        try tmux.type("too early", enter: true)
        try tmux.waitFor(text: "now in old-only")
        #expect(try status()["phase"] as? String == "old-only")

        try tmux.type("q")
        let after = try tmux.waitFor(text: "EXIT=0")
        #expect(!after.contains("Phases"), "the console's screen is gone: the terminal was restored")
    }

    @Test func aChangeFromTheCLIAppearsWithinASecond() throws {
        let tmux = try startConsole()
        #expect(try migctl.run(["advance", "--actor", "someone-else"]).status == 0)
        try tmux.waitFor("the CLI's advance", timeout: 2) { $0.contains("● 2 dual-write") && $0.contains("someone-else") }
        try tmux.type("q")
        try tmux.waitFor(text: "EXIT=0")
    }

    @Test func resizingRelaysOutAndSaysWhenTooSmall() throws {
        let tmux = try startConsole(width: 120, height: 40)
        try tmux.resize(width: 80, height: 24)
        try tmux.waitFor("80x24 layout") { $0.split(separator: "\n").first.map { $0.count <= 80 } == true && $0.contains("q quit") }
        try tmux.resize(width: 60, height: 20)
        try tmux.waitFor(text: "terminal too small: 60x20")
        try tmux.resize(width: 80, height: 24)
        try tmux.waitFor(text: "Phases")
        try tmux.type("q")
        try tmux.waitFor(text: "EXIT=0")
    }

    @Test func interruptRestoresTheTerminal() throws {
        let tmux = try startConsole()
        try tmux.press("C-c")
        // bash abandons the rest of a command list whose job died of SIGINT, so ask again.
        try tmux.waitFor("the console to end") { !$0.contains("Phases") }
        try tmux.type("echo STATUS=$?", enter: true)
        let after = try tmux.waitFor(text: "STATUS=130")
        #expect(!after.contains("Phases"))
    }

    @Test func asciiAndNoColorStillShowEverything() throws {
        let tmux = try startConsole(locale: "C", extra: ["NO_COLOR": "1"])
        let screen = try tmux.screen()
        #expect(screen.contains("* 1 old-only") && screen.contains("== point of no return =="))
        #expect(screen.unicodeScalars.allSatisfy { $0.isASCII })
        try tmux.type("q")
        try tmux.waitFor(text: "EXIT=0")
    }

    @Test func readOnlyRefusesChanges() throws {
        let tmux = try startConsole(flags: "--read-only")
        try tmux.type("n")
        try tmux.waitFor(text: "read-only console")
        #expect(try status()["phase"] as? String == "old-only")
        try tmux.type("q")
        try tmux.waitFor(text: "EXIT=0")
    }
}
