import Foundation
import MigrationCore

extension Figures {
    /// An operator's change (a rollout set through `MigrationControl`, as `migctl rollout`
    /// does) while three foreign processes write the database in tight loops, each
    /// `BEGIN IMMEDIATE; INSERT INTO counter_add …; COMMIT` as fast as it can; beside the
    /// same change with nobody else writing.
    /// `Examples/tight_writer.py`, found from this source file's place in the repository.
    static let tightWriter = #filePath.components(separatedBy: "/Sources/")[0] + "/Examples/tight_writer.py"

    func contention() throws -> Figure {
        let fixture = try BenchFixture(name: "contention")
        defer { fixture.remove() }
        let store = try SQLiteControlStore(path: fixture.path, lockWait: .seconds(30))
        let control = MigrationControl(store: store, signer: Operator(name: "bench", host: "h"))
        let changes = smoke ? 10 : 100
        let quiet = try operatorChanges(control, count: changes)
        let stop = fixture.folder + "/stop"
        let writers = try (0..<3).map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [Self.tightWriter, fixture.path, stop]
            try process.run()
            return process
        }
        defer {
            FileManager.default.createFile(atPath: stop, contents: nil)
            writers.forEach { $0.waitUntilExit() }
        }
        usleep(500_000)
        let loaded = try operatorChanges(control, count: changes)
        let (p50, p99) = (Measure.percentile(loaded, 0.5), Measure.percentile(loaded, 0.99))
        let (q50, q99) = (Measure.percentile(quiet, 0.5), Measure.percentile(quiet, 0.99))
        return Figure(name: "contention", measured: String(format: "p50 %.1f ms, p99 %.1f ms with 3 foreign writers in tight loops", p50, p99),
                      baseline: String(format: "p50 %.1f ms, p99 %.1f ms with none", q50, q99),
                      ratio: String(format: "%.1fx at p99", p99 / max(q99, 0.001)), target: "p99 ≤ 500 ms", met: p99 <= 500,
                      values: ["p50_ms": p50, "p99_ms": p99, "quiet_p50_ms": q50, "quiet_p99_ms": q99])
    }
}
