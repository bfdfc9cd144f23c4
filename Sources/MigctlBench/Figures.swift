import Console
import Foundation
import GRDB
import MigrationClient
import MigrationCore
import Synchronization

/// Each figure of BENCHMARKS.md, measured beside its baseline.
struct Figures {
    let smoke: Bool
    let binaryFolder: URL

    func format(_ ns: Double) -> String { ns < 1000 ? String(format: "%.0f ns", ns) : String(format: "%.1f µs", ns / 1000) }

    func route(_ kind: BenchStore) throws -> Figure {
        let fixture = try kind.fixture("route")
        defer { fixture.remove() }
        let client = try openClient(fixture.location)
        defer { client.shutdown() }
        let keys = (0..<(smoke ? 10_000 : 1_000_000)).map { "user-\($0)" }
        let count = keys.count
        let routed = Measure.nsPerCall(threads: 2, batches: smoke ? 10 : 200, perBatch: smoke ? 1000 : 5000) { i in
            _ = client.route(for: keys[i % count])
        }
        let store = fixture.store
        let baseline = Measure.nsPerCall(threads: 1, batches: smoke ? 5 : 30, perBatch: 200) { _ in
            _ = try? store.state()
        }
        let ratio = baseline / routed
        return Figure(name: "route (\(kind.label))", measured: "\(format(routed)) median (2 threads, \(count) keys)",
                      baseline: "\(format(baseline)) state read per call", ratio: String(format: "%.0fx faster", ratio),
                      target: "≤ 100 ns, ≥ 100x", met: routed <= 100 && ratio >= 100, values: ["route_ns": routed, "baseline_ns": baseline])
    }

    func count() throws -> Figure {
        let fixture = try BenchFixture(name: "count")
        defer { fixture.remove() }
        let client = try MigrationClient(databasePath: fixture.path)
        defer { client.shutdown() }
        let hits = client.counter("hit")
        let batches = smoke ? 10 : 200, perBatch = smoke ? 10_000 : 100_000
        let one = Measure.nsPerCall(threads: 1, batches: batches, perBatch: perBatch) { _ in hits.add() }
        let two = Measure.nsPerCall(threads: 2, batches: batches, perBatch: perBatch) { _ in hits.add() }
        let byName = Measure.nsPerCall(threads: 1, batches: batches, perBatch: perBatch / 10) { _ in client.count("hit") }
        let atomic = AtomicBox()
        let baseline = Measure.nsPerCall(threads: 1, batches: batches, perBatch: perBatch) { _ in atomic.add() }
        return Figure(name: "count", measured: "\(format(one)) 1 thread, \(format(two)) 2 threads; count(\"hit\") by name \(format(byName))",
                      baseline: "\(format(baseline)) uncontended atomic add", ratio: String(format: "%.1fx / %.1fx", one / baseline, two / baseline),
                      target: "≤ 3x the atomic add", met: one <= 3 * baseline && two <= 3 * baseline,
                      values: ["one_thread_ns": one, "two_threads_ns": two, "by_name_ns": byName, "atomic_ns": baseline])
    }

    final class AtomicBox: Sendable {
        let value = Atomic<Int64>(0)
        @inline(never) func add() { value.wrappingAdd(1, ordering: .relaxed) }
    }

    /// An operator's change seen by 8 client processes: on SQLite by the refresher's poll of
    /// `data_version` every 250 ms, on PostgreSQL by a NOTIFY that wakes the refresher.
    func propagation(_ kind: BenchStore) throws -> Figure {
        let fixture = try kind.fixture("propagation")
        defer { fixture.remove() }
        let followers = 8, changes = smoke ? 3 : 15
        let children = try (0..<followers).map { _ in try spawn(["follow", fixture.location, "\(changes)"]) }
        for child in children { _ = child.readLine() }   // "ready"
        var committed: [Int64: UInt64] = [:]
        for i in 0..<changes {
            Thread.sleep(forTimeInterval: 0.4)
            let change = try fixture.control.perform(.setRollout(try Rollout(basisPoints: 5000 + (i + 1) * 100)))
            committed[change.after.version] = Measure.now()
        }
        var latencies: [Double] = []
        for child in children {
            while let line = child.readLine(), line != "done" {
                let parts = line.split(separator: " ")
                if parts.count == 2, let version = Int64(parts[0]), let seen = UInt64(parts[1]), let at = committed[version] {
                    latencies.append(Double(Int64(seen) - Int64(at)) / 1e6)
                }
            }
            child.process.waitUntilExit()
        }
        let p50 = Measure.percentile(latencies, 0.5), p99 = Measure.percentile(latencies, 0.99)
        let all = latencies.count == followers * changes
        let measured = String(format: "p50 %.1f ms, p99 %.1f ms (%d processes, %d samples)", p50, p99, followers, latencies.count)
        let values = ["p50_ms": p50, "p99_ms": p99, "samples": Double(latencies.count)]
        if case .postgres = kind {
            return Figure(name: "propagation (PostgreSQL)", measured: measured, baseline: "refresh interval 250 ms (the poll NOTIFY replaces)",
                          ratio: String(format: "p99 = interval / %.0f", 250 / max(p99, 0.001)), target: "p99 ≤ 50 ms (NOTIFY)",
                          met: p99 <= 50 && all, values: values)
        }
        return Figure(name: "propagation (SQLite)", measured: measured, baseline: "refresh interval 250 ms",
                      ratio: String(format: "p99 = interval %+.0f ms", p99 - 250), target: "p99 ≤ interval + 50 ms",
                      met: p99 <= 300 && all, values: values)
    }

    func chart() throws -> Figure {
        let fixture = try BenchFixture(name: "chart")
        defer { fixture.remove() }
        let names = ["hit", "miss", "backfill", "write", "verify.match", "write.new.error"]
        let end = Int64(Date().timeIntervalSince1970)
        let days = smoke ? 1 : 7
        try fixture.fillCounters(names: names, days: days, end: end)
        let store = fixture.store
        func time(_ window: Int64) throws -> Double {
            var runs: [Double] = []
            for _ in 0..<5 {
                let start = Measure.now()
                _ = try store.counterSeries(ConsoleData.chartedCounters, from: end - window, to: end, slots: 72)
                runs.append(Double(Measure.now() - start) / 1e6)
            }
            return Measure.median(runs)
        }
        let quarter = try time(900), day = try time(86_400), week = try time(Int64(days) * 86_400)
        let queue = try DatabaseQueue(path: fixture.path)
        var raw: [Double] = []
        for _ in 0..<3 {
            let start = Measure.now()
            _ = try queue.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT name, (second - ?) / ? AS slot, SUM(value) FROM counters
                    WHERE name IN ('hit', 'miss', 'backfill') AND second >= ? GROUP BY name, slot
                    """, arguments: [end - Int64(days) * 86_400, Int64(days) * 86_400 / 72, end - Int64(days) * 86_400])
            }
            raw.append(Double(Measure.now() - start) / 1e6)
        }
        let baseline = Measure.median(raw)
        return Figure(name: "chart", measured: String(format: "15m %.2f ms, 24h %.2f ms, %dd %.2f ms", quarter, day, days, week),
                      baseline: String(format: "%.1f ms GROUP BY over raw rows (%dd)", baseline, days), ratio: String(format: "%.0fx", baseline / week),
                      target: "7d ≤ 20 ms", met: week <= 20,
                      values: ["quarter_ms": quarter, "day_ms": day, "week_ms": week, "baseline_ms": baseline])
    }

    func frame() throws -> Figure {
        let fixture = try BenchFixture(name: "frame")
        defer { fixture.remove() }
        try fixture.fillCounters(names: ["hit", "miss", "backfill"], days: 0, end: 0)
        let frames = smoke ? 20 : 300
        let small = try consoleFrames(fixture.store, width: 80, height: 24, frames: frames, reloading: false)
        let large = try consoleFrames(fixture.store, width: 200, height: 60, frames: frames, reloading: false)
        let (smallMs, largeMs) = (Measure.median(small.milliseconds), Measure.median(large.milliseconds))
        let unchangedBytes = small.unchangedBytes + large.unchangedBytes
        return Figure(name: "frame", measured: String(format: "80x24 %.3f ms, 200x60 %.3f ms; unchanged frame %d bytes", smallMs, largeMs, unchangedBytes),
                      baseline: "—", ratio: "—", target: "≤ 1 ms at 200x60; 0 bytes", met: largeMs <= 1 && unchangedBytes == 0,
                      values: ["small_ms": smallMs, "large_ms": largeMs, "unchanged_bytes": Double(unchangedBytes)])
    }

    /// Console frames drawn on `store` at `width` x `height`, each timed: with `reloading`, each
    /// frame first loads the dashboard's data (`ConsoleData.load`, what the console does whenever
    /// another process committed) and frames come `interval` seconds apart, as the console polls;
    /// without, the data is loaded once, untimed, and frames are rendered back to back.
    /// Stops early, after at least one frame, once `keepGoing` says no.
    /// - Returns: each frame's milliseconds, and the bytes the last frame would write to the
    ///   terminal over the one before (`Screen.changes(since:)`, the curses layer's diff).
    func consoleFrames(_ store: any ControlStore, width: Int, height: Int, frames: Int, reloading: Bool,
                       interval: TimeInterval = 0, keepGoing: () -> Bool = { true }) throws -> (milliseconds: [Double], unchangedBytes: Int) {
        func load() throws -> ConsoleData {
            try ConsoleData.load(from: store, window: .hour, slots: ConsoleView.chartSlots(width: width, height: height), actor: "bench", now: Date())
        }
        let loaded = reloading ? nil : try load()
        var times: [Double] = []
        var last: Screen?
        var unchangedBytes = 0
        while times.count < frames && (times.isEmpty || keepGoing()) {
            if reloading && !times.isEmpty { Thread.sleep(forTimeInterval: interval) }
            var screen = Screen(width: width, height: height)
            let start = Measure.now()
            let data = try loaded ?? load()
            ConsoleView.render(data: data, state: ConsoleState(), operatorName: "bench@host", context: RenderContext(), into: &screen)
            times.append(Double(Measure.now() - start) / 1e6)
            if let last { unchangedBytes = screen.changes(since: last).reduce(0) { $0 + $1.text.utf8.count } }
            last = screen
        }
        return (times, unchangedBytes)
    }

    func idle() throws -> Figure {
        let fixture = try BenchFixture(name: "idle")
        defer { fixture.remove() }
        let seconds = smoke ? 3.0 : 60.0
        let socket = "migctl-bench-\(getpid())"
        func tmux(_ args: [String]) { Self.spawnAndWait(["/usr/bin/tmux", "-L", socket, "-f", "/dev/null"] + args) }
        tmux(["new-session", "-d", "-x", "80", "-y", "24", "env", "LANG=C.UTF-8", "TERM=xterm-256color",
              binaryFolder.appending(path: "migctl").path, "console", "--db", fixture.path])
        defer { tmux(["kill-server"]) }
        var pid: Int32?
        for _ in 0..<100 where pid == nil {
            Thread.sleep(forTimeInterval: 0.05)
            pid = Self.pid(of: "console", db: fixture.path)
        }
        guard let pid else { throw BenchError("the console did not start") }
        Thread.sleep(forTimeInterval: 1)
        let (cpuBefore, start) = (ProcessCPU.ticks(pid), Measure.now())
        Thread.sleep(forTimeInterval: seconds)
        let cpu = Double(ProcessCPU.ticks(pid) - cpuBefore) / ProcessCPU.ticksPerSecond
        let elapsed = Double(Measure.now() - start) / 1e9
        let percent = cpu / elapsed * 100
        let rss = Self.peakRSSMegabytes(pid)
        return Figure(name: "idle", measured: String(format: "%.2f%% CPU over %.0f s, peak RSS %.1f MB", percent, elapsed, rss), baseline: "—", ratio: "—",
                      target: "≤ 0.5% CPU, ≤ 30 MB", met: percent <= 0.5 && rss <= 30, values: ["cpu_percent": percent, "rss_mb": rss])
    }

    func startup() throws -> Figure {
        let fixture = try BenchFixture(name: "startup")
        defer { fixture.remove() }
        let runs = smoke ? 3 : 20
        let status = Measure.commandMilliseconds([binaryFolder.appending(path: "migctl").path, "status", "--db", fixture.path], runs: runs)
        let sqlite = Measure.commandMilliseconds(["/usr/bin/sqlite3", fixture.path, "SELECT phase, rollout, version FROM state"], runs: runs)
        return Figure(name: "startup", measured: String(format: "migctl status %.1f ms", status), baseline: String(format: "sqlite3 %.1f ms", sqlite),
                      ratio: String(format: "%.1fx", status / sqlite), target: "status within 2x of sqlite3", met: status <= 2 * sqlite,
                      values: ["status_ms": status, "sqlite3_ms": sqlite])
    }

    // MARK: - Processes

    struct Child {
        let process: Process
        let output: FileHandle
        func readLine() -> String? {
            var bytes: [UInt8] = []
            while true {
                let data = output.readData(ofLength: 1)
                guard let byte = data.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
                if byte == 10 { return String(decoding: bytes, as: UTF8.self) }
                bytes.append(byte)
            }
        }
    }

    func spawn(_ arguments: [String]) throws -> Child {
        let process = Process()
        process.executableURL = binaryFolder.appending(path: "migctl-bench")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        return Child(process: process, output: pipe.fileHandleForReading)
    }

    /// Runs a program with no shared descriptors, its output discarded, and waits for it.
    /// (Foundation's Process can hang waiting for a tmux client whose server outlives it, and
    /// would start tmux with the calling thread's signals blocked: see ChildProcess.)
    static func spawnAndWait(_ argv: [String]) {
        (try? ChildProcess(argv[0], Array(argv.dropFirst())))?.waitUntilExit()
    }

    static func pid(of command: String, db: String) -> Int32? {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry),
                  let cmdline = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8) else { continue }
            let args = cmdline.split(separator: "\0")
            if args.contains(Substring(command)), args.contains(Substring(db)), args.first?.hasSuffix("migctl") == true { return pid }
        }
        return nil
    }

    static func peakRSSMegabytes(_ pid: Int32) -> Double {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
