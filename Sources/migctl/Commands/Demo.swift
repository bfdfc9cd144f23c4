import ArgumentParser
import Console
import DemoService
import Foundation
import MigrationCore
import Runbook
import Terminal

/// What `demo` and `simulate` share: the size and pace of the simulated service.
struct ServiceOptions: ParsableArguments {
    @Option(name: .long, help: "Users seeded into the old store.")
    var records = 100_000

    @Option(name: .long, help: "Concurrent workers of the service.")
    var workers = 4

    @Option(name: .long, help: "Requests per second across the workers.")
    var rate = 400.0

    func validate() throws {
        guard records >= 100, workers >= 1, workers <= 64, rate > 0 else {
            throw ValidationError("use at least 100 records, 1 to 64 workers and a positive rate.")
        }
    }

    var settings: Workload.Settings { Workload.Settings(workers: workers, rate: rate, seededKeys: records) }
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a real migration between two SQLite stores under load, and watch it in the console.",
        discussion: """
            Creates a control database and an old and a new store in --dir (default: a new temporary \
            folder), starts the simulated service in the background ('migctl simulate') and opens the \
            console. Gates are seconds, not days: walk every phase in a few minutes. With --autopilot \
            no console opens: migctl advances through every phase itself, respecting the gates, and \
            exits 0 only if every invariant holds (no lost write, no deleted key back, counters match the stores).
            """
    )

    @Option(name: .long, help: ArgumentHelp("Folder for the demo's databases; must not hold a migctl.db yet.", valueName: "dir"))
    var dir: String?

    @Flag(name: .long, help: "Walk every phase automatically and print a verdict instead of opening the console.")
    var autopilot = false

    @Option(name: .long, help: "Seconds each soak gate of the demo plan asks for.")
    var soak = 5

    @OptionGroup var service: ServiceOptions

    func run() throws {
        try reportingFailures {
            let folder = try dir ?? FileManager.default.temporaryDirectory.appending(path: "migctl-demo-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let control = folder + "/migctl.db"
            let runbooks = Plan.defaultRunbooks
            _ = try SQLiteControlStore.create(
                at: control, name: "demo-users", plan: .demo(soak: Int64(soak)), runbooks: runbooks,
                checklists: runbooks.mapValues { RunbookDocument(markdown: $0).checklist },
                by: Operator.current(), at: Date())
            print("demo: \(folder) (control database, old.db, new.db); seeding \(service.records) users…")
            if autopilot {
                try runAutopilot(control: control, folder: folder)
            } else {
                try runInteractive(control: control, folder: folder)
            }
        }
    }

    private func runAutopilot(control: String, folder: String) throws {
        let run = try DemoRun(controlPath: control, storesFolder: folder, records: service.records, settings: service.settings)
        run.start()
        let store = try SQLiteControlStore(path: control)
        let pilot = Autopilot(control: MigrationControl(store: store, signer: Operator(name: "autopilot", host: ProcessInfo.processInfo.hostName)),
                              approver: Operator(name: "autopilot-approver", host: ProcessInfo.processInfo.hostName))
        var failure: (any Error)?
        do { try pilot.run() } catch { failure = error }
        let report = try run.stop()
        let totals = try store.counterTotals()
        print("demo: counters " + [CounterName.write, CounterName.readOld, CounterName.hit, CounterName.miss, CounterName.backfill, CounterName.verifyMatch, CounterName.verifyMismatch, CounterName.writeNewError]
            .map { "\($0) \(totals[$0] ?? 0)" }.joined(separator: ", "))
        print("demo: \(report)")
        if let failure {
            print("demo: FAILED: \(failure)")
            throw ExitCode.failure
        }
        guard report.holds else { throw ExitCode.failure }
        print("demo: verdict PASS: every phase walked, every invariant holds")
    }

    private func runInteractive(control: String, folder: String) throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw ValidationError("the interactive demo needs a terminal; use 'migctl demo --autopilot' in scripts.")
        }
        let log = folder + "/service.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["simulate", "--db", control, "--stores", folder, "--records", "\(service.records)",
                           "--workers", "\(service.workers)", "--rate", "\(service.rate)"]
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        child.standardOutput = handle
        child.standardError = handle
        child.standardInput = FileHandle.nullDevice
        try child.run()
        defer {
            if child.isRunning {
                child.terminate()
                child.waitUntilExit()
            }
            let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").suffix(3).joined(separator: "\n") ?? ""
            print("demo: the service stopped; its last words (\(log)):\n\(tail)")
            print("demo: look again with: migctl console --db \(control)")
        }
        let store = try SQLiteControlStore(path: control)
        let deadline = Date().addingTimeInterval(60)
        while try store.instances().isEmpty {
            guard child.isRunning, Date() < deadline else { throw ValidationError("the demo service did not start; see \(log).") }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let terminal = CursesTerminal()
        defer { terminal.close() }
        ConsoleSession(control: MigrationControl(store: store, signer: Operator.current()), device: terminal,
                       context: RenderContext(glyphs: terminal.unicode ? .unicode : .ascii), readOnly: false).run()
    }
}

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the demo service alone against an existing control database, until interrupted.",
        discussion: "Reads and writes users in DIR/old.db and DIR/new.db through the Migrator (seeding the old store when empty). On SIGINT or SIGTERM it stops, checks the invariants and exits 0 only if they hold."
    )

    @Option(name: .long, help: ArgumentHelp("The control database.", valueName: "path"))
    var db: String

    @Option(name: .long, help: ArgumentHelp("Folder of old.db and new.db.", valueName: "dir"))
    var stores: String

    @Option(name: .long, help: "Stop after this many seconds (default: run until interrupted).")
    var seconds: Double?

    @OptionGroup var service: ServiceOptions

    func run() throws {
        try reportingFailures {
            _ = try SQLiteControlStore(path: db)
            let run = try DemoRun(controlPath: db, storesFolder: stores, records: service.records, settings: service.settings)
            let stop = DispatchSemaphore(value: 0)
            var sources: [any DispatchSourceSignal] = []
            for sig in [SIGINT, SIGTERM, SIGHUP] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler { stop.signal() }
                source.resume()
                sources.append(source)
            }
            run.start()
            print("simulate: serving \(service.records) users with \(service.workers) workers at \(service.rate)/s")
            fflush(nil)
            if let seconds { _ = stop.wait(timeout: .now() + seconds) } else { stop.wait() }
            let report = try run.stop()
            print("simulate: \(report)")
            sources.forEach { $0.cancel() }
            if !report.holds { throw ExitCode.failure }
        }
    }
}
