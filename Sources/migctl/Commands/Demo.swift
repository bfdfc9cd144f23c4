import ArgumentParser
import Console
import DemoService
import Foundation
import MigrationCore
import PostgresStore
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

            With --db postgresql://… the control store is created in that URL's schema (which must not \
            exist yet) and the two data stores stay SQLite files in --dir. The actor is the URL's login; \
            approvals need a second login: --approver-db names it (the same server and schema), else the \
            demo creates the login SCHEMA_demo_approver when the first login may create roles.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Keep the control store on PostgreSQL at this URL instead of DIR/migctl.db.", valueName: "url"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("With a postgresql:// --db: the second operator's URL, whose login approves.", valueName: "url"))
    var approverDb: String?

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
            let control = db ?? folder + "/migctl.db"
            let runbooks = Plan.defaultRunbooks
            if PostgresURL.isURL(control) {
                _ = try PostgresControlStore.create(
                    url: try PostgresURL(control), name: "demo-users", plan: .demo(soak: Int64(soak)), runbooks: runbooks,
                    checklists: RunbookDocument.checklists(of: runbooks), host: ProcessInfo.processInfo.hostName)
            } else {
                _ = try SQLiteControlStore.create(
                    at: control, name: "demo-users", plan: .demo(soak: Int64(soak)), runbooks: runbooks,
                    by: try Operator.current(), at: Date())
            }
            say("demo: \(folder) (\(db == nil ? "control database, " : "")old.db, new.db); seeding \(service.records) users…")
            if autopilot {
                try runAutopilot(control: control, folder: folder)
            } else {
                try runInteractive(control: control, folder: folder)
            }
        }
    }

    private func runAutopilot(control: String, folder: String) throws {
        let run = try DemoRun(control: try ControlStores.open(control), storesFolder: folder, records: service.records,
                              settings: service.settings)
        for crash in run.reconciledCrashes { say("demo: reconciled: \(crash)") }
        run.start()
        let store = try ControlStores.open(control)
        let host = ProcessInfo.processInfo.hostName
        let approverStore = try DemoApprover.store(control: control, approverURL: approverDb)
        defer { DemoApprover.dropCreatedLogin(control: control, approverURL: approverDb) }
        let pilot = Autopilot(control: MigrationControl(store: store, signer: Operator(name: try store.login() ?? "autopilot", host: host)),
                              approver: Operator(name: try approverStore?.login() ?? "autopilot-approver", host: host),
                              approverStore: approverStore, log: { say($0) })
        var failure: (any Error)?
        do { try pilot.run() } catch { failure = error }
        let report = try run.stop()
        let totals = try store.counterTotals()
        say("demo: counters " + [CounterName.write, CounterName.readOld, CounterName.hit, CounterName.miss, CounterName.backfill, CounterName.verifyMatch, CounterName.verifyMismatch, CounterName.writeNewError]
            .map { "\($0) \(totals[$0] ?? 0)" }.joined(separator: ", "))
        say("demo: \(report)")
        if let failure {
            say("demo: FAILED: \(failure)")
            throw ExitCode.failure
        }
        guard report.holds else { throw ExitCode.failure }
        say("demo: verdict PASS: every phase walked, every invariant holds")
    }

    /// What `q` asks in the demo's console: quitting stops the simulated service as well.
    static func quitQuestion(control: String) -> String {
        "Quitting stops the demo's simulated service (its writes and reads end). The migration stays in \(control): 'migctl console --db \(control)' looks again."
    }

    /// `control` as it may be printed: a URL without its password.
    private static func shown(_ control: String) -> String {
        (try? PostgresURL(control)).map(\.description) ?? control
    }

    private func runInteractive(control: String, folder: String) throws {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw ValidationError("the interactive demo needs a terminal; use 'migctl demo --autopilot' in scripts.")
        }
        let log = folder + "/service.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        // Not Foundation's Process: the service starts with every signal deliverable and at its
        // default action, whatever this process inherited (see ChildProcess). The control store
        // reaches it through its environment: a URL's password must not show in the process list.
        let child = try ChildProcess(
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path,
            ["simulate", "--stores", folder, "--records", "\(service.records)",
             "--workers", "\(service.workers)", "--rate", "\(service.rate)", "--parent", "\(getpid())"],
            environment: ProcessInfo.processInfo.environment.merging(["MIGCTL_DB": control]) { $1 },
            stdout: .descriptor(handle.fileDescriptor), stderr: .descriptor(handle.fileDescriptor))
        let service = ServiceProcess(child: child, log: log)
        defer { say("demo: look again with: migctl console --db \(Self.shown(control))") }
        let store = try ControlStores.open(control)
        do {
            try service.waitUntilInFleet(store, timeout: 60)
        } catch {
            service.stop()
            throw error
        }
        do {
            let terminal = CursesTerminal()
            defer { terminal.close() }
            let signer = try store.login().map { Operator(name: $0, host: ProcessInfo.processInfo.hostName) } ?? Operator.current()
            // Quitting stops the service too, so q asks first (y stops it; any other key stays).
            ConsoleSession(control: MigrationControl(store: store, signer: signer), device: terminal,
                           context: RenderContext(glyphs: terminal.unicode ? .unicode : .ascii), readOnly: false,
                           quitQuestion: Self.quitQuestion(control: Self.shown(control))).run()
        }
        guard service.stop() else { throw ExitCode.failure }
    }
}
