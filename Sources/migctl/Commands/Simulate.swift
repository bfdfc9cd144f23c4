import ArgumentParser
import DemoService
import Foundation
import MigrationCore
import PostgresStore

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the demo service alone against an existing control database, until interrupted.",
        discussion: """
            Reads and writes users in DIR/old.db and DIR/new.db through the Migrator (seeding the old store \
            when empty). On SIGINT, SIGTERM or SIGHUP, at any moment, it stops, leaves the fleet and reports: \
            while seeding, the seeding is rolled back and there is nothing to verify; once serving, it checks \
            the invariants and exits 0 only if they hold.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The control store: a SQLite file's path, or a postgresql:// URL.", discussion: "Defaults to $MIGCTL_DB.", valueName: "path|url"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("Folder of old.db and new.db.", valueName: "dir"))
    var stores: String

    @Option(name: .long, help: "Stop after this many seconds (default: run until interrupted).")
    var seconds: Double?

    @Option(name: .long, help: ArgumentHelp("Stop as if interrupted when this parent process goes away ('demo' ties its service to itself so).",
                                            valueName: "pid", visibility: .hidden))
    var parent: Int32?

    @OptionGroup var service: ServiceOptions

    func run() throws {
        try reportingFailures {
            let stop = StopRequest(parent: parent)
            guard let location = db ?? ProcessInfo.processInfo.environment["MIGCTL_DB"].flatMap({ $0.isEmpty ? nil : $0 }) else {
                throw ValidationError("simulate needs the control store: --db, or MIGCTL_DB.")
            }
            let control = try ControlStores.open(location)
            let run: DemoRun
            do {
                run = try DemoRun(control: control, storesFolder: stores, records: service.records, settings: service.settings,
                                  stopRequested: { stop.isRequested })
            } catch let error as DemoServiceError {
                say("simulate: \(error)")
                return
            }
            for crash in run.reconciledCrashes { say("simulate: reconciled: \(crash)") }
            run.start()
            say("simulate: serving \(service.records) users with \(service.workers) workers at \(service.rate)/s")
            fflush(nil)
            stop.wait(seconds: seconds)
            let report = try run.stop()
            say("simulate: \(report)")
            if !report.holds { throw ExitCode.failure }
        }
    }
}
