import Foundation
import MigrationCore
import Testing

/// The demo service stops cleanly whenever it is asked to, even while it is still seeding:
/// it reports, and it leaves no instance behind in the fleet.
@Suite(.serialized)
struct DemoLifecycleTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }

    /// Waits for `condition` with a deadline; fails the test with `what` if it never holds.
    func waitFor(_ what: String, timeout: TimeInterval = 30, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            guard Date() < deadline else { throw CLIError(message: "timed out waiting for \(what)") }
            usleep(50_000)
        }
    }

    func instances(_ database: String) throws -> [FleetInstance] {
        try SQLiteControlStore(path: folder.url.appending(path: database).path).instances()
    }

    @Test(.timeLimit(.minutes(2)))
    func simulateStoppedWhileSeedingReportsAndLeavesTheFleet() throws {
        #expect(try migctl.run(["init", "--name", "m"]).status == 0)
        let process = try migctl.start(["simulate", "--db", "migctl.db", "--stores", ".", "--records", "400000"])
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try waitFor("the service's instance row") { try !instances("migctl.db").isEmpty }
        process.terminate()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(process.terminationReason) \(process.terminationStatus)")
        #expect(text.contains("simulate: stopped while seeding"), "\(text)")
        #expect(try instances("migctl.db").isEmpty, "the instance row is gone")
    }

    @Test(.timeLimit(.minutes(2)))
    func quittingTheInteractiveDemoWhileTheServiceSeedsStopsItCleanly() throws {
        let environment = ["LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "xterm-256color", "MIGCTL_ACTOR": "operator", "PATH": "/usr/bin:/bin", "PS1": "$ "]
        let tmux = try Tmux(width: 80, height: 24, folder: folder.url, environment: environment)
        try tmux.type("\(MigctlProcess.binary.path) demo --dir demo --records 400000; echo EXIT=$?", enter: true)
        try tmux.waitFor(text: "Phases", timeout: 30)
        let log = folder.url.appending(path: "demo/service.log").path
        #expect(try !String(contentsOfFile: log, encoding: .utf8).contains("simulate: serving"), "still seeding when the operator quits")
        try tmux.type("q")
        let after = try tmux.waitFor("the demo's exit status", timeout: 60) { $0.split(separator: "\n").contains { $0.hasPrefix("EXIT=") } }
        #expect(after.contains("EXIT=0"), "\(after)")
        let report = try String(contentsOfFile: log, encoding: .utf8)
        #expect(report.contains("simulate: stopped while seeding"), "service.log: \(report)")
        #expect(after.contains("simulate: stopped while seeding"), "the demo shows the service's report:\n\(after)")
        #expect(try instances("demo/migctl.db").isEmpty, "the instance row is gone")
    }

    @Test(.timeLimit(.minutes(1)))
    func aServiceThatCannotStartIsARuntimeFailureNotAUsageError() throws {
        try FileManager.default.createDirectory(at: folder.url.appending(path: "demo/old.db"), withIntermediateDirectories: true)
        let environment = ["LANG": "C.UTF-8", "TERM": "xterm-256color", "PATH": "/usr/bin:/bin", "PS1": "$ "]
        let tmux = try Tmux(width: 100, height: 30, folder: folder.url, environment: environment)
        try tmux.type("\(MigctlProcess.binary.path) demo --dir demo --records 1000; echo EXIT=$?", enter: true)
        let screen = try tmux.waitFor("the demo's exit status", timeout: 30) { $0.split(separator: "\n").contains { $0.hasPrefix("EXIT=") } }
        #expect(screen.contains("EXIT=7"), "\(screen)")
        #expect(screen.contains("migctl: the demo service did not start; see demo/service.log") && !screen.contains("Usage:"), "\(screen)")
        #expect(screen.contains("unable to open database file"), "the service's own words are shown:\n\(screen)")
    }
}
