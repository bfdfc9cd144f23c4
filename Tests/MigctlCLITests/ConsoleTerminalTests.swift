import Foundation
import TestSupport
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
        try Data(CLITests.ungatedPlan.utf8).write(to: folder.url.appending(path: "ungated.yaml"))
        #expect(try migctl.run(["init", "--name", "users-v2", "--plan", "ungated.yaml"]).status == 0)
        var environment = Tmux.environment(locale: locale)
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
        try tmux.waitFor("the CLI's advance", timeout: 1) { $0.contains("● 2 dual-write") && $0.contains("someone-else") }
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

    @Test func ctrlZSuspendsAndFgResumes() throws {
        let tmux = try startConsole()
        try tmux.press("C-z")
        try tmux.waitFor(text: "Stopped")
        #expect(try !tmux.screen().contains("Phases"), "the shell's screen is back while suspended")
        try tmux.type("fg", enter: true)
        try tmux.waitFor(text: "Phases")
        try tmux.type("q")
        // bash already ran the 'echo EXIT' when the job stopped, so ask for the status again.
        try tmux.waitFor("the console to end") { !$0.contains("Phases") }
        try tmux.type("echo STATUS=$?", enter: true)
        try tmux.waitFor(text: "STATUS=0")
    }

    /// Opens a console on a database of its own, ends it by `signal` (Ctrl-\\ for QUIT,
    /// else `pkill`), and checks the shell sees `status` and a restored terminal.
    func endConsole(by signal: String, expecting status: Int) throws {
        let database = folder.url.appending(path: "signal-\(signal).db").path
        #expect(try migctl.run(["init", "--name", "m", "--db", database]).status == 0)
        let tmux = try Tmux(width: 100, height: 30, folder: folder.url, environment: Tmux.environment(actor: nil))
        try tmux.type("\(MigctlProcess.binary.path) console --db \(database)", enter: true)
        try tmux.waitFor(text: "Phases")
        if signal == "QUIT" {
            try tmux.press("C-\\")
        } else {
            let kill = Process()
            kill.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
            kill.arguments = ["-\(signal)", "-f", "console --db \(database)"]
            try kill.run()
            kill.waitUntilExit()
        }
        // No 30 s "press space" prompt: the shell is back well within the wait.
        try tmux.waitFor("the console to end on SIG\(signal)", timeout: 20) { !$0.contains("Phases") }
        try tmux.type("echo STATUS=$?", enter: true)
        try tmux.waitFor(text: "STATUS=\(status)", timeout: 20)
        #expect(try tmux.run(["display-message", "-p", "-t", tmux.session, "#{alternate_on} #{cursor_flag}"]) == "0 1\n",
                "SIG\(signal) left the terminal in the alternate screen or with the cursor hidden")
    }

    @Test func sigtermAndSighupRestoreTheTerminal() throws {
        try endConsole(by: "TERM", expecting: 143)
        try endConsole(by: "HUP", expecting: 129)
    }

    @Test func quitSignalAndCrashesRestoreTheTerminalAtOnce() throws {
        try endConsole(by: "QUIT", expecting: 131)
        try endConsole(by: "SEGV", expecting: 139)
        try endConsole(by: "ILL", expecting: 132)
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

/// The gates, the point of no return and the runbook, in a real terminal.
@Suite(.serialized)
struct ConsoleGateTerminalTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }

    func start() throws -> Tmux {
        try Data("# A\n\n## Checklist\n\n- [ ] backups tested\n\n## Reconciliation\n\nReplay the change log forward.\n".utf8)
            .write(to: folder.url.appending(path: "a.md"))
        try Data("""
            phases:
              - {id: a, reads: old, writes: [old], runbook: a.md}
              - {id: b, reads: new-fallback-old, writes: [new, old], irreversible: true, runbook: a.md, gates: [{kind: checklist}]}
              - {id: c, reads: new, writes: [new], ramp: false}
            """.utf8).write(to: folder.url.appending(path: "plan.yaml"))
        #expect(try migctl.run(["init", "--name", "m", "--plan", "plan.yaml"]).status == 0)
        return try openConsole()
    }

    func openConsole() throws -> Tmux {
        let tmux = try Tmux(width: 80, height: 24, folder: folder.url, environment: Tmux.environment())
        try tmux.type("\(MigctlProcess.binary.path) console; echo EXIT=$?", enter: true)
        try tmux.waitFor(text: "Phases")
        return tmux
    }

    func phase() throws -> String? {
        (try migctl.json(["status", "--json"]) as? [String: Any])?["phase"] as? String
    }

    @Test func aTickPersistsAcrossARestartAndOpensTheGate() throws {
        var tmux = try start()
        try tmux.type("n")
        try tmux.waitFor(text: "gates not passed")
        try tmux.press("Escape")
        try tmux.type("r")
        try tmux.waitFor(text: "checklist 0/1 ticked")
        try tmux.press("Tab")
        try tmux.press("Down")
        try tmux.type(" ")
        try tmux.waitFor(text: "[x] backups tested  (operator)")
        try tmux.type("q")
        try tmux.waitFor(text: "EXIT=0")
        tmux = try openConsole()
        try tmux.type("r")
        try tmux.waitFor(text: "checklist 1/1 ticked")
        try tmux.type("q")
        try tmux.waitFor(text: "EXIT=0")
    }

    @Test func thePointOfNoReturnRefusesAWrongWordAndAcceptsTheRightOne() throws {
        let tmux = try start()
        #expect(try migctl.run(["checklist", "--tick", "1"]).status == 0)
        try tmux.type("n")
        try tmux.waitFor(text: "Type b to confirm")
        #expect(try tmux.screen().contains("POINT OF NO RETURN"))
        try tmux.type("c", enter: true)
        try tmux.waitFor(text: "you typed 'c', not 'b'; nothing changed")
        #expect(try phase() == "a")
        #expect(try tmux.screen().contains("Type b to confirm"), "the dialog stays open to correct the word")

        try tmux.press("C-u")
        try tmux.type("b", enter: true)
        try tmux.waitFor(text: "Reason (for the audit log)")
        try tmux.type("checklist done, gates green", enter: true)
        try tmux.waitFor(text: "now in b")
        #expect(try phase() == "b")

        // At 0% no key has crossed and rolling back is allowed: the first keys cross at 1%.
        #expect(try migctl.run(["rollout", "1", "--reason", "first keys"]).status == 0)
        try tmux.waitFor(text: "b  1%")
        try tmux.type("b")
        try tmux.waitFor(text: "past the point of no return")
        #expect(try tmux.screen().contains("Replay the change log forward."))
        try tmux.press("Escape")
        #expect(try phase() == "b")
        try tmux.type("q")
        try tmux.waitFor(text: "EXIT=0")
    }
}

extension ConsoleTerminalTests {
    /// A console whose terminal is gone (the tmux server killed) and which never gets the SIGHUP
    /// that would stop it (ignored here) quits instead of spinning on reads that fail at once.
    @Test func aConsoleWhoseTerminalVanishesQuitsInsteadOfSpinning() throws {
        try Data(CLITests.ungatedPlan.utf8).write(to: folder.url.appending(path: "ungated.yaml"))
        #expect(try migctl.run(["init", "--name", "users-v2", "--plan", "ungated.yaml"]).status == 0)
        let tmux = try Tmux(width: 80, height: 24, folder: folder.url, environment: Tmux.environment())
        try tmux.type("exec env --ignore-signal=HUP \(MigctlProcess.binary.path) console", enter: true)
        try tmux.waitFor(text: "Phases")
        let pane = try tmux.run(["display-message", "-p", "-t", tmux.session, "#{pane_pid}"])
        let console = try #require(Int32(pane.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try String(contentsOfFile: "/proc/\(console)/cmdline", encoding: .utf8).contains("console"))
        let server = try #require(tmux.serverPID)
        #expect(kill(server, SIGKILL) == 0)
        let deadline = Date().addingTimeInterval(10)
        func gone() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(console)/stat", encoding: .utf8) else { return true }
            return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
        }
        while !gone(), Date() < deadline { usleep(50_000) }
        #expect(gone(), "the console still runs 10 s after its terminal vanished")
        if !gone() { kill(console, SIGKILL) }
    }
}
