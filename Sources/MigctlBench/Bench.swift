import ArgumentParser
import Foundation
import MigrationClient
import MigrationCore
import PostgresStore

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migctl-bench",
        abstract: "Measure migctl's costs beside their baselines and print one table (see BENCHMARKS.md).",
        subcommands: [Run.self, Follow.self, Ingest.self, Member.self, FleetClient.self],
        defaultSubcommand: Run.self
    )
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the figures (the default).")

    @Flag(help: "A few seconds of each figure, to prove the benchmark still runs (CI does this).")
    var smoke = false

    @Option(help: ArgumentHelp("Also write the figures as JSON to this file.", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Only these figures, comma-separated: route,count,propagation,ingest,fleet,chart,frame,idle,startup,contention,statsd,jobs.", valueName: "names"))
    var only: String?

    @Option(help: ArgumentHelp("The PostgreSQL server for the PostgreSQL rows, as a libpq URL whose login may create schemas and roles (default: $MIGCTL_TEST_POSTGRES). Each figure makes a schema bench_<random> and drops it, with its roles, afterwards.", valueName: "url"))
    var postgres: String?

    func run() throws {
        let folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let figures = Figures(smoke: smoke, binaryFolder: folder)
        let server = postgres ?? ProcessInfo.processInfo.environment["MIGCTL_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
        if let server { _ = try PostgresURL(server) }
        // The figures that depend on the store run on both, side by side.
        let stores: [BenchStore] = [.sqlite] + (server.map { [.postgres($0)] } ?? [])
        func onEach(_ measure: @escaping (BenchStore) throws -> [Figure]) -> () throws -> [Figure] {
            { try stores.flatMap(measure) }
        }
        let all: [(String, () throws -> [Figure])] = [
            ("route", onEach { [try figures.route($0)] }), ("propagation", onEach { [try figures.propagation($0)] }),
            ("count", { [try figures.count()] }), ("ingest", onEach(figures.ingest)), ("fleet", onEach { [try figures.fleet($0)] }),
            ("chart", { [try figures.chart()] }), ("frame", { [try figures.frame()] }), ("idle", { [try figures.idle()] }),
            ("startup", { [try figures.startup()] }), ("contention", { [try figures.contention()] }), ("statsd", { [try figures.statsd()] }),
            ("jobs", figures.jobs),
        ]
        let wanted = only.map { Set($0.split(separator: ",").map(String.init)) }
        if server == nil {
            FileHandle.standardError.write(Data("migctl-bench: no PostgreSQL server (--postgres or MIGCTL_TEST_POSTGRES): the PostgreSQL rows are not measured.\n".utf8))
        }
        var results: [Figure] = []
        print("| figure | measured | baseline (same run) | ratio | target | met |")
        print("| --- | --- | --- | --- | --- | --- |")
        for (name, measure) in all where wanted?.contains(name) ?? true {
            for figure in try measure() {
                results.append(figure)
                print("| \(figure.name) | \(figure.measured) | \(figure.baseline) | \(figure.ratio) | \(figure.target) | \(figure.met ? "yes" : "no") |")
                fflush(nil)
            }
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(results).write(to: URL(fileURLWithPath: json))
        }
    }
}
