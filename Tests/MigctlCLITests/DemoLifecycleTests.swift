import Foundation
import MigrationCore
import TestSupport
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
        let environment = Tmux.environment()
        let tmux = try Tmux(width: 80, height: 24, folder: folder.url, environment: environment)
        try tmux.type("\(MigctlProcess.binary.path) demo --dir demo --records 400000; echo EXIT=$?", enter: true)
        try tmux.waitFor(text: "Phases", timeout: 30)
        let log = folder.url.appending(path: "demo/service.log").path
        #expect(try !String(contentsOfFile: log, encoding: .utf8).contains("simulate: serving"), "still seeding when the operator quits")
        try tmux.type("q")
        try tmux.waitFor(text: "y stops it and quits")
        try tmux.type("y")
        let after = try tmux.waitFor("the demo's exit status", timeout: 60) { $0.split(separator: "\n").contains { $0.hasPrefix("EXIT=") && $0.dropFirst(5).first?.isNumber == true } }
        #expect(after.contains("EXIT=0"), "\(after)")
        let report = try String(contentsOfFile: log, encoding: .utf8)
        #expect(report.contains("simulate: stopped while seeding"), "service.log: \(report)")
        #expect(after.contains("simulate: stopped while seeding"), "the demo shows the service's report:\n\(after)")
        #expect(try instances("demo/migctl.db").isEmpty, "the instance row is gone")
    }

    @Test(.timeLimit(.minutes(1)))
    func aServiceThatCannotStartIsARuntimeFailureNotAUsageError() throws {
        try FileManager.default.createDirectory(at: folder.url.appending(path: "demo/old.db"), withIntermediateDirectories: true)
        let environment = Tmux.environment(actor: nil)
        let tmux = try Tmux(width: 100, height: 30, folder: folder.url, environment: environment)
        try tmux.type("\(MigctlProcess.binary.path) demo --dir demo --records 1000; echo EXIT=$?", enter: true)
        let screen = try tmux.waitFor("the demo's exit status", timeout: 30) { $0.split(separator: "\n").contains { $0.hasPrefix("EXIT=") && $0.dropFirst(5).first?.isNumber == true } }
        #expect(screen.contains("EXIT=7"), "\(screen)")
        #expect(screen.contains("migctl: the demo service did not start; see demo/service.log") && !screen.contains("Usage:"), "\(screen)")
        #expect(screen.contains("unable to open database file"), "the service's own words are shown:\n\(screen)")
    }

    /// A control database with the default plan without gates, in `read-new` at 100%, so reads copy on miss.
    func controlInReadNew() throws -> SQLiteControlStore {
        let store = try SQLiteControlStore.create(at: folder.url.appending(path: "migctl.db").path, name: "m", plan: .ungated,
                                                  runbooks: [:], checklists: [:],
                                                  by: Operator(name: "t", host: "h"), at: Date())
        let control = MigrationControl(store: store, signer: Operator(name: "t", host: "h"))
        while try store.state().phase != "read-new" {
            if try store.state().rollout != .full { try control.perform(.setRollout(.full)) }
            try control.perform(.advance())
        }
        try control.perform(.setRollout(.full))
        return store
    }

    /// Rows the new store got by copying on read (`miss`), removed ones included.
    func rowsCopiedOnMiss() throws -> Int64 {
        let sql = "SELECT (SELECT count(*) FROM users WHERE origin = 'miss') + coalesce((SELECT count FROM purged WHERE origin = 'miss'), 0)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [folder.url.appending(path: "new.db").path, sql]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test(.timeLimit(.minutes(3)))
    func aServiceKilledMidRunIsNotAPermanentFalseAlarm() throws {
        let store = try controlInReadNew()
        let service = ["simulate", "--db", "migctl.db", "--stores", ".", "--records", "3000", "--rate", "1500"]
        var lost: Int64 = 0
        for _ in 0..<5 where lost == 0 {
            let counted = try store.counterTotals()["miss"] ?? 0
            let process = try migctl.start(service)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            try waitFor("misses counted") { (try store.counterTotals()["miss"] ?? 0) > counted }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            lost = try rowsCopiedOnMiss() - (store.counterTotals()["miss"] ?? 0)
        }
        try #require(lost > 0, "a kill -9 lost no count in five tries: nothing to reconcile")
        let restarted = try migctl.run(service + ["--seconds", "2"])
        #expect(restarted.status == 0 && restarted.stdout.contains("invariants hold"), "\(restarted.stdout)\(restarted.stderr)")
        #expect(restarted.stdout.contains("crash"), "the restart says what it reconciled:\n\(restarted.stdout)")
        #expect(try store.instances().isEmpty, "the killed service's stale instance row is gone too")
        let again = try migctl.run(service + ["--seconds", "1"])
        #expect(again.status == 0 && again.stdout.contains("invariants hold"), "and on every later run:\n\(again.stdout)\(again.stderr)")
    }
}
