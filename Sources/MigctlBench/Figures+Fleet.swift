import Foundation
import MigrationCore
import Synchronization

extension Figures {
    /// 8 processes count into one counter name as fast as they can for 60 s, flushing once a
    /// second; *lost* is what they counted minus the stored total. Meanwhile an operator changes
    /// the rollout every 250 ms: on PostgreSQL the flushes add to the same `(name, second)` from 8
    /// connections at once, each on its connection's shard, and a sampler of `pg_stat_activity`
    /// looks for backends waiting on a lock.
    /// - Returns: the ingest row and the operator-change row.
    func ingest(_ kind: BenchStore) throws -> [Figure] {
        let fixture = try kind.fixture("ingest")
        defer { fixture.remove() }
        let seconds = smoke ? 2.0 : 60.0, processes = 8
        let quiet = try operatorChanges(fixture.control, count: smoke ? 10 : 50)
        let sampler = try kind.server.map { try LockSampler($0) }
        let children = try (0..<processes).map { _ in try spawn(["ingest", fixture.location, "\(seconds)"]) }
        for child in children { _ = child.readLine() }   // "ready"
        let loaded = try operatorChanges(fixture.control, every: 0.25, until: Measure.now() + UInt64((seconds - 0.3) * 1e9))
        let waits = sampler?.stop()
        var counted: Int64 = 0
        for child in children {
            counted += Int64(child.readLine() ?? "0") ?? 0
            child.process.waitUntilExit()
        }
        let stored = try fixture.store.counterTotals()["ingest"] ?? 0
        let perSecond = Double(counted) / seconds
        let store = fixture.store
        let start = Measure.now()
        var single = 0
        while Measure.now() - start < (smoke ? 500_000_000 : 2_000_000_000) {
            try store.add(counts: ["single": 1], second: Int64(Date().timeIntervalSince1970))
            single += 1
        }
        let baseline = Double(single) / (smoke ? 0.5 : 2)
        let ingest = Figure(
            name: "ingest (\(kind.label))",
            measured: String(format: "%.1fM events/s, %lld lost (%d processes, one counter, %.0f s)", perSecond / 1e6, counted - stored,
                             processes, seconds),
            baseline: String(format: "%.0f events/s at one transaction per event", baseline), ratio: String(format: "%.0fx", perSecond / baseline),
            target: "≥ 10M events/s, 0 lost", met: perSecond >= 10_000_000 && counted == stored,
            values: ["events_per_second": perSecond, "lost": Double(counted - stored), "baseline_per_second": baseline])
        let (p50, p99) = (Measure.percentile(loaded, 0.5), Measure.percentile(loaded, 0.99))
        let (q50, q99) = (Measure.percentile(quiet, 0.5), Measure.percentile(quiet, 0.99))
        var measured = String(format: "p50 %.1f ms, p99 %.1f ms while the 8 ingest processes flush (%d changes)", p50, p99, loaded.count)
        var values = ["p50_ms": p50, "p99_ms": p99, "quiet_p50_ms": q50, "quiet_p99_ms": q99]
        if let waits {
            measured += "; backends waiting on a lock in \(waits.withWaiters) of \(waits.samples) samples"
            values["lock_wait_samples"] = Double(waits.withWaiters)
            values["samples"] = Double(waits.samples)
        }
        let change = Figure(
            name: "operator change (\(kind.label))", measured: measured,
            baseline: String(format: "p50 %.1f ms, p99 %.1f ms with no fleet", q50, q99),
            ratio: String(format: "%.1fx at p99", p99 / max(q99, 0.001)), target: "p99 ≤ 500 ms", met: p99 <= 500, values: values)
        return [ingest, change]
    }

    /// A fleet of 64 client processes, each counting 100 events a second and flushing once a
    /// second, for 20 s: the server connections it holds (`pg_stat_activity`), the CPU the server
    /// processes and the clients use (`/proc/PID/stat`), an operator's changes meanwhile, and
    /// whether every count arrived.
    func fleet(_ kind: BenchStore) throws -> Figure {
        let fixture = try kind.fixture("fleet")
        defer { fixture.remove() }
        let size = smoke ? 16 : 64, seconds = smoke ? 2.0 : 20.0, rate: Int64 = 100
        let folder = FileManager.default.temporaryDirectory.appending(path: "migctl-bench-fleet-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let stop = folder + "/stop"
        let quiet = try operatorChanges(fixture.control, count: smoke ? 5 : 20)
        let application = "migctl-bench-fleet"
        let location = fixture.location(applicationName: application)
        var children: [Child] = []
        defer {
            FileManager.default.createFile(atPath: stop, contents: nil)
            children.forEach { $0.process.waitUntilExit() }
        }
        for _ in 0..<size { children.append(try spawn(["member", location, "\(rate)", stop])) }
        for child in children { _ = child.readLine() }   // "ready"
        Thread.sleep(forTimeInterval: 1)
        let server = try fixture.server?.serverProcesses()
        let pids = children.map(\.process.processIdentifier)
        let serverBefore = server?.sample()
        let clientsBefore = pids.map { ProcessCPU.ticks($0) }
        let start = Measure.now()
        var connections = try fixture.server?.connections(applicationName: application)
        let loaded = try operatorChanges(fixture.control, every: 0.5, until: start + UInt64(seconds * 1e9))
        if let now = try fixture.server?.connections(applicationName: application) { connections = max(connections ?? 0, now) }
        let elapsed = Double(Measure.now() - start) / 1e9
        let serverCPU = server.map { ServerProcesses.seconds(from: serverBefore ?? [:], to: $0.sample()) / elapsed * 100 }
        let clientsCPU = Double(zip(pids, clientsBefore).reduce(0) { $0 + ProcessCPU.ticks($1.0) - $1.1 }) / ProcessCPU.ticksPerSecond / elapsed * 100
        FileManager.default.createFile(atPath: stop, contents: nil)
        var counted: Int64 = 0
        for child in children {
            counted += Int64(child.readLine() ?? "0") ?? 0
            child.process.waitUntilExit()
        }
        let lost = counted - (try fixture.store.counterTotals()["fleet"] ?? 0)
        let (p50, p99) = (Measure.percentile(loaded, 0.5), Measure.percentile(loaded, 0.99))
        let (q50, q99) = (Measure.percentile(quiet, 0.5), Measure.percentile(quiet, 0.99))
        var values = ["clients_cpu_percent": clientsCPU, "lost": Double(lost), "change_p50_ms": p50, "change_p99_ms": p99,
                      "quiet_change_p99_ms": q99, "clients": Double(size)]
        let serverSide: String
        var met = lost == 0
        if let connections {
            values["connections"] = Double(connections)
            met = met && connections == size
            if let serverCPU {
                values["server_cpu_percent"] = serverCPU
                serverSide = String(format: "%lld server connections, server CPU %.1f%% of a core", connections, serverCPU)
            } else {
                serverSide = "\(connections) server connections, server CPU not seen (not on this machine)"
            }
        } else {
            serverSide = "no server (each client has 2 file connections)"
        }
        return Figure(
            name: "fleet (\(kind.label))",
            measured: "\(size) clients for \(Int(elapsed.rounded())) s: \(serverSide); "
                + String(format: "clients %.1f%% of a core in all; %lld lost; operator change p50 %.1f ms, p99 %.1f ms", clientsCPU, lost, p50, p99),
            baseline: String(format: "operator change p50 %.1f ms, p99 %.1f ms with no fleet", q50, q99),
            ratio: String(format: "%.1fx at p99", p99 / max(q99, 0.001)),
            target: kind.server == nil ? "0 lost" : "1 connection per client, 0 lost", met: met, values: values)
    }

    /// The milliseconds each operator change took: the rollout set through `MigrationControl`
    /// (what `migctl rollout` does), alternating 100% and 50%, `count` times or until `deadline`,
    /// starting one every `every` seconds.
    func operatorChanges(_ control: MigrationControl, count: Int? = nil, every: Double = 0, until deadline: UInt64? = nil) throws -> [Double] {
        var times: [Double] = []
        var next = Measure.now()
        while times.count < (count ?? .max), deadline.map({ Measure.now() < $0 }) ?? true {
            let started = Measure.now()
            try control.perform(.setRollout(Rollout(basisPoints: times.count % 2 == 0 ? 10_000 : 5000)), reason: "bench")
            times.append(Double(Measure.now() - started) / 1e6)
            next += UInt64(every * 1e9)
            let now = Measure.now()
            if next > now { usleep(UInt32((next - now) / 1000)) }
        }
        return times
    }
}

extension BenchStore {
    /// The server's URL, for a PostgreSQL store.
    var server: String? {
        if case .postgres(let base) = self { return base }
        return nil
    }
}

/// Counts, on a connection of its own, how often some backend of the database waits for a
/// lock (`pg_stat_activity.wait_event_type = 'Lock'`), every 20 ms until stopped.
final class LockSampler: Sendable {
    struct Result: Sendable {
        var samples = 0
        var withWaiters = 0
        var most: Int64 = 0
    }

    private let result = Mutex(Result())
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)

    init(_ server: String) throws {
        let admin = try PostgresAdmin(server)
        Thread { [self] in
            defer { finished.signal() }
            while running.load(ordering: .relaxed) {
                guard let waiting = try? admin.lockWaiters() else { break }
                result.withLock { r in
                    r.samples += 1
                    if waiting > 0 { r.withWaiters += 1 }
                    r.most = max(r.most, waiting)
                }
                usleep(20_000)
            }
        }.start()
    }

    func stop() -> Result {
        running.store(false, ordering: .relaxed)
        finished.wait()
        return result.withLock { $0 }
    }
}
