import ArgumentParser
import Foundation
import MigrationClient
import MigrationCore

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migctl-bench",
        abstract: "Measure migctl's costs beside their baselines and print one table (see BENCHMARKS.md).",
        subcommands: [Run.self, Follow.self, Ingest.self],
        defaultSubcommand: Run.self
    )
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the figures (the default).")

    @Flag(help: "A few seconds of each figure, to prove the benchmark still runs (CI does this).")
    var smoke = false

    @Option(help: ArgumentHelp("Also write the figures as JSON to this file.", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Only these figures, comma-separated: route,count,propagation,ingest,chart,frame,idle,startup,contention.", valueName: "names"))
    var only: String?

    func run() throws {
        let folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let figures = Figures(smoke: smoke, binaryFolder: folder)
        let all: [(String, () throws -> Figure)] = [
            ("route", figures.route), ("propagation", figures.propagation), ("count", figures.count), ("ingest", figures.ingest),
            ("chart", figures.chart), ("frame", figures.frame), ("idle", figures.idle), ("startup", figures.startup),
            ("contention", figures.contention),
        ]
        let wanted = only.map { Set($0.split(separator: ",").map(String.init)) }
        var results: [Figure] = []
        print("| figure | measured | baseline (same run) | ratio | target | met |")
        print("| --- | --- | --- | --- | --- | --- |")
        for (name, measure) in all where wanted?.contains(name) ?? true {
            let figure = try measure()
            results.append(figure)
            print("| \(figure.name) | \(figure.measured) | \(figure.baseline) | \(figure.ratio) | \(figure.target) | \(figure.met ? "yes" : "no") |")
            fflush(nil)
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(results).write(to: URL(fileURLWithPath: json))
        }
    }
}

/// A child of the propagation figure: prints when it sees each new state version.
struct Follow: ParsableCommand {
    static let configuration = CommandConfiguration(shouldDisplay: false)

    @Argument var db: String
    @Argument var changes: Int

    func run() throws {
        let client = try MigrationClient(databasePath: db)
        var version = client.current.state.version
        print("ready")
        fflush(nil)
        var seen = 0
        let deadline = Date().addingTimeInterval(Double(changes) * 0.4 + 10)
        while seen < changes, Date() < deadline {
            let now = client.current.state.version
            if now != version {
                print("\(now) \(Measure.now())")
                fflush(nil)
                version = now
                seen += 1
            }
            usleep(500)
        }
        print("done")
        fflush(nil)
        client.shutdown()
    }
}

/// A child of the ingest figure: counts as fast as it can, then shuts down cleanly and prints how many.
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(shouldDisplay: false)

    @Argument var db: String
    @Argument var seconds: Double

    func run() throws {
        let client = try MigrationClient(databasePath: db)
        let counter = client.counter("ingest")
        let end = Measure.now() + UInt64(seconds * 1e9)
        var total: Int64 = 0
        while Measure.now() < end {
            for _ in 0..<4096 { counter.add() }
            total += 4096
        }
        client.shutdown(timeout: .seconds(60))
        print(total)
    }
}
