import Console
import DemoService
import Foundation
import GRDB
import MigrationClient
import MigrationCore
import Synchronization

/// Issue 16's figures, on the demo's two SQLite stores with the control store in `backfill`:
/// the backfill's and the full verification's rows a second beside a plain `INSERT … SELECT`
/// between the two files, and the console's frames while a backfill runs at full speed.
extension Figures {
    /// The backfill, verification and console-during-backfill rows (BENCHMARKS.md, issue 16).
    func jobs() throws -> [Figure] {
        let users = smoke ? 20_000 : 200_000
        let copy = try insertSelectRowsPerSecond(users: users, runs: smoke ? 1 : 3)
        let (backfill, verify) = try backfillAndVerify(users: users)
        let baseline = String(format: "%.0f rows/s INSERT … SELECT between the files (median of %d)", copy.median, copy.runs)
        func throughput(_ name: String, _ rowsPerSecond: Double, _ what: String) -> Figure {
            Figure(name: name, measured: String(format: "%.0f rows/s (%d users, ", rowsPerSecond, users) + what + ")", baseline: baseline,
                   ratio: String(format: "%.0fx slower", copy.median / rowsPerSecond), target: "within 10x of INSERT … SELECT",
                   met: rowsPerSecond * 10 >= copy.median, values: ["rows_per_second": rowsPerSecond, "insert_select_rows_per_second": copy.median])
        }
        return [
            throughput("backfill (SQLite demo stores)", backfill, "batches of 500, no rate limit, into an empty new store"),
            throughput("verify (SQLite demo stores)", verify, "batches of 500, after the backfill"),
            try consoleDuringBackfill(users: users),
        ]
    }

    /// The baseline: `old.db`'s users copied by one `INSERT … SELECT` into a fresh, empty new
    /// store of the demo's shape (made by `DemoStores`, so the same journal mode and
    /// synchronous setting), through `ATTACH`. Wall time of the statement, its commit included.
    private func insertSelectRowsPerSecond(users: Int, runs: Int) throws -> (median: Double, runs: Int) {
        let source = try JobsFixture(name: "jobs-copy", users: users)
        defer { source.remove() }
        var rates: [Double] = []
        for run in 0..<runs {
            let folder = source.control.folder + "/copy-\(run)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let target = try DemoStores(folder: folder)
            let seconds = try target.newQueue.writeWithoutTransaction { db in
                try db.execute(sql: "ATTACH DATABASE ? AS old", arguments: [source.control.folder + "/old.db"])
                defer { try? db.execute(sql: "DETACH DATABASE old") }
                let start = Measure.now()
                try db.execute(sql: """
                    INSERT INTO users (id, full_name, email, email_domain, version, tombstone, origin)
                    SELECT id, name, email, substr(email, instr(email, '@') + 1), version, 0, 'backfill' FROM old.users_old
                    """)
                let seconds = Double(Measure.now() - start) / 1e9
                guard db.changesCount == users else { throw BenchError("INSERT … SELECT copied \(db.changesCount) of \(users) users") }
                return seconds
            }
            rates.append(Double(users) / seconds)
        }
        return (Measure.median(rates), runs)
    }

    /// `Backfill` walking the whole old store into the empty new store at full speed, then
    /// `Verifier` walking the same stores; rows a second of each, by wall time of its loop.
    private func backfillAndVerify(users: Int) throws -> (backfill: Double, verify: Double) {
        let fixture = try JobsFixture(name: "jobs", users: users)
        defer { fixture.remove() }
        let backfill = Backfill(migrator: fixture.migrator, batchSize: 500)
        var start = Measure.now()
        while try backfill.step() {}
        let backfillSeconds = Double(Measure.now() - start) / 1e9
        let copied = try fixture.newRows()
        guard copied == users else { throw BenchError("the backfill copied \(copied) of \(users) users") }

        let verifier = Verifier(migrator: fixture.migrator, batchSize: 500, supersedes: { old, new in new.version > old.version })
        start = Measure.now()
        while try verifier.step() {}
        let verifySeconds = Double(Measure.now() - start) / 1e9
        guard let run = verifier.progress, run.done == users, run.mismatches == 0 else {
            throw BenchError("the verifier walked \(verifier.progress?.done ?? 0) of \(users) users with \(verifier.progress?.mismatches ?? 0) mismatches")
        }
        return (Double(users) / backfillSeconds, Double(users) / verifySeconds)
    }

    /// The `frame` figure's frames at 200x60, each reloading the dashboard as the console does
    /// when the store changed, one per console poll, on a connection of their own to the control
    /// store: while a `Backfill` runs at full speed on another thread against that store (each
    /// batch writes its gauges and `job_progress` there), then with the backfill paused and its
    /// client shut down, nothing writing.
    private func consoleDuringBackfill(users: Int) throws -> Figure {
        let fixture = try JobsFixture(name: "jobs-console", users: users)
        defer { fixture.remove() }
        let console = try SQLiteControlStore(path: fixture.control.path)
        let frames = smoke ? 8 : 100, interval = Double(ConsoleSession.pollMilliseconds) / 1000
        let backfill = Backfill(migrator: fixture.migrator, batchSize: 500)
        let job = BackgroundJob { while try backfill.step() {} }
        defer {
            backfill.pause()
            try? job.wait()
        }
        while backfill.cursor == nil && job.isRunning { usleep(1000) }
        let (copiedBefore, start) = (try fixture.newRows(), Measure.now())
        let busy = try consoleFrames(console, width: 200, height: 60, frames: frames, reloading: true, interval: interval, keepGoing: { job.isRunning })
        backfill.pause()
        try job.wait()
        let rate = Double(try fixture.newRows() - copiedBefore) / (Double(Measure.now() - start) / 1e9)
        fixture.client.shutdown()
        let quiet = try consoleFrames(console, width: 200, height: 60, frames: frames, reloading: true, interval: interval)
        let (p50, p99) = (Measure.percentile(busy.milliseconds, 0.5), Measure.percentile(busy.milliseconds, 0.99))
        let (q50, q99) = (Measure.percentile(quiet.milliseconds, 0.5), Measure.percentile(quiet.milliseconds, 0.99))
        return Figure(name: "console during backfill (SQLite)",
                      measured: String(format: "load + render at 200x60: p50 %.2f ms, p99 %.2f ms (%d frames %.0f ms apart while the backfill copied %.0f rows/s)",
                                       p50, p99, busy.milliseconds.count, interval * 1000, rate),
                      baseline: String(format: "p50 %.2f ms, p99 %.2f ms with nothing writing", q50, q99),
                      ratio: String(format: "%.1fx at p99", p99 / max(q99, 0.001)), target: "p99 ≤ 100 ms", met: p99 <= 100,
                      values: ["p50_ms": p50, "p99_ms": p99, "quiet_p50_ms": q50, "quiet_p99_ms": q99, "frames": Double(busy.milliseconds.count),
                               "backfill_rows_per_second": rate])
    }
}

/// A control store moved to `backfill` (the default plan with only `cleanup`'s gates), the
/// demo's stores in the same folder with `users` users in the old one, and a client and
/// migrator over them, as the demo service would have.
private struct JobsFixture {
    let control: BenchFixture
    let stores: DemoStores
    let client: MigrationClient
    let migrator: Migrator<User>

    init(name: String, users: Int) throws {
        control = try BenchFixture(name: name, plan: BenchFixture.backfillPlan)
        do {
            try control.move(to: "backfill")
            stores = try DemoStores(folder: control.folder)
            try stores.seed(users)
            client = try MigrationClient(databasePath: control.path)
        } catch {
            control.remove()
            throw error
        }
        migrator = Migrator(client: client, old: stores.old, new: stores.new)
    }

    /// The rows of the new store.
    func newRows() throws -> Int {
        try stores.newQueue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM users") ?? 0 }
    }

    func remove() {
        client.shutdown()
        control.remove()
    }
}

/// A job on a thread of its own, whose error is kept for ``wait()``.
private final class BackgroundJob: Sendable {
    private let failure = Mutex<(any Error)?>(nil)
    private let running = Atomic<Bool>(true)
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [self] in
            do { try body() } catch { failure.withLock { $0 = error } }
            running.store(false, ordering: .releasing)
            done.signal()
        }
        thread.name = "migctl-bench-job"
        thread.start()
    }

    var isRunning: Bool { running.load(ordering: .acquiring) }

    /// Waits for the job to end; rethrows what it threw.
    func wait() throws {
        done.wait()
        done.signal()
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
