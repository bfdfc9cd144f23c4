import Foundation
import TestSupport
import Testing

/// The console's log view in a real terminal (tmux): select a row, open its details with the
/// gate report the advance recorded, search, and `n` jumping between matches, never advancing.
@Suite(.serialized)
struct ConsoleLogTerminalTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }

    @Test func anOperatorSelectsAnEventReadsItsGatesAndSearches() throws {
        #expect(try migctl.run(["init", "--name", "users-v2"]).status == 0)
        #expect(try migctl.run(["advance", "--force", "--reason", "drill: checklist skipped"]).status == 0)
        #expect(try migctl.run(["rollout", "25", "--reason", "first ramp"]).status == 0)
        #expect(try migctl.run(["rollout", "50", "--reason", "steady"]).status == 0)
        let tmux = try Tmux(width: 100, height: 30, folder: folder.url, environment: Tmux.environment())
        try tmux.type("\(MigctlProcess.binary.path) console; echo EXIT=$?", enter: true)
        try tmux.waitFor(text: "Phases")

        try tmux.type("l")
        try tmux.waitFor(text: "Audit log · newest first · 1 of 4")
        try tmux.type("jj")
        let list = try tmux.waitFor(text: "3 of 4")
        #expect(list.contains("> #2  "), "the advance is selected:\n\(list)")

        try tmux.press("Enter")
        let detail = try tmux.waitFor(text: "Audit event #2 · advance")
        for line in ["phase      old-only → dual-write", "reason     drill: checklist skipped", "gates      1 recorded at the advance: 0 passed, 1 did not",
                     "checklist of old-only: ", "overridden checklist of old-only",
                     "select it with the mouse to copy"] {
            #expect(detail.contains(line), "\(line)\n\(detail)")
        }
        try tmux.press("Escape")
        try tmux.waitFor(text: "3 of 4")

        try tmux.type("/")
        try tmux.waitFor(text: "Enter searches")
        try tmux.type("RAMP", enter: true)
        let found = try tmux.waitFor(text: "search \"RAMP\": match 1 of 1")
        #expect(found.contains("> #3  "), "\(found)")
        try tmux.type("n")
        try tmux.type("/")
        try tmux.press("C-u")
        try tmux.type("nothing like this", enter: true)
        try tmux.waitFor(text: "no match")
        try tmux.type("nnN")
        try tmux.waitFor(text: "no match")
        let state = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(state["phase"] as? String == "dual-write" && state["rollout"] as? Double == 50, "n in the log never advances")

        try tmux.type("q")
        try tmux.waitFor(text: "EXIT=0")
    }
}
