import ArgumentParser
import Foundation
import Logging
import MigrationClient
import MigrationCore
import PostgresStore
import Synchronization

/// An application instance for the multi-host test (Tests/MigctlCLITests/FleetAcrossHostsTests):
/// a `MigrationClient` that counts a known number of events a second and appends what it sees
/// to a report file, one JSON object a line, which the test reads from another namespace.
///
/// Each line has `t` (Unix seconds), `version` and `rollout` (the state it routes by), `counted`
/// (every event handed to the client so far), `refreshErrors`, the last heartbeat the client tried
/// to send (`heartbeatStale`, `heartbeatVersion`) and how its flushes went (`flushesOK`,
/// `flushesFailed`). After the file `--stop` appears it stops counting, shuts the client down
/// (which flushes every count) and writes a last line with `final: true`. The client's own log
/// goes to stderr.
struct FleetClient: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fleet-client", shouldDisplay: false)

    @Option var db: String
    @Option var report: String
    @Option var stop: String
    @Option(help: "Events a second, counted in ten steps.") var rate: Int64 = 100
    @Option var counter = "fleet.events"

    func run() throws {
        var logger = Logger(label: "fleet-client") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .info
        let out = try ReportFile(report)
        let store: RecordingStore
        let client: MigrationClient
        do {
            store = RecordingStore(try ControlStores.open(db))
            client = try MigrationClient(store: store, logger: logger)
        } catch {
            out.write(["error": "\(error)", "final": true])
            throw error
        }
        let events = client.counter(counter)
        var counted: Int64 = 0
        func line(_ extra: [String: Any] = [:]) {
            let state = client.current.state
            let seen = store.recorder.seen.withLock { $0 }
            var fields: [String: Any] = [
                "t": Date().timeIntervalSince1970, "version": state.version, "rollout": state.rollout.basisPoints,
                "counted": counted, "refreshErrors": client.refreshErrors, "flushesOK": seen.flushesOK,
                "flushesFailed": seen.flushesFailed, "instance": client.instanceID,
            ]
            if let stale = seen.heartbeatStale { fields["heartbeatStale"] = stale }
            if let version = seen.heartbeatVersion { fields["heartbeatVersion"] = version }
            out.write(fields.merging(extra) { $1 })
        }
        while !FileManager.default.fileExists(atPath: stop) {
            events.add(rate / 10)
            counted += rate / 10
            line()
            usleep(100_000)
        }
        // Everything counted before the stop is written before the last line says so.
        let deadline = Date().addingTimeInterval(20)
        var flushed = client.flush()
        while !flushed, Date() < deadline {
            usleep(200_000)
            flushed = client.flush()
        }
        client.shutdown(timeout: .seconds(10))
        line(["final": true, "flushed": flushed])
    }
}

/// Appends JSON lines to a file shared with the test (another network namespace, same files).
final class ReportFile: Sendable {
    private let handle: FileHandle

    init(_ path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw BenchError("cannot write the report file \(path)") }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    func write(_ fields: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        handle.write(data + Data("\n".utf8))
    }
}

/// A control store that passes every call to `base` and remembers what the client's flushes
/// carried: the heartbeat it tried to send (even when the server could not be reached) and
/// whether the flush went through. Every requirement of ``ControlStore`` is passed on, those
/// with a default too: a default here would silently replace the server's behaviour.
final class RecordingStore: ControlStore {
    struct Seen: Sendable {
        var heartbeatStale: Bool?
        var heartbeatVersion: Int64?
        var flushesOK = 0
        var flushesFailed = 0
    }

    final class Recorder: Sendable {
        let seen = Mutex(Seen())
    }

    let base: any ControlStore
    /// Shared with the stores this one reopens.
    let recorder: Recorder

    init(_ base: any ControlStore, recorder: Recorder = Recorder()) {
        self.base = base
        self.recorder = recorder
    }

    func flush(counts: [String: Int64], second: Int64, heartbeat: FleetInstance?) throws(ControlStoreError) {
        if let heartbeat { recorder.seen.withLock { ($0.heartbeatStale, $0.heartbeatVersion) = (heartbeat.stale, heartbeat.servingVersion) } }
        do throws(ControlStoreError) {
            try base.flush(counts: counts, second: second, heartbeat: heartbeat)
            recorder.seen.withLock { $0.flushesOK += 1 }
        } catch {
            recorder.seen.withLock { $0.flushesFailed += 1 }
            throw error
        }
    }

    var location: String { base.location }
    func migration() throws(ControlStoreError) -> MigrationInfo { try base.migration() }
    func plan() throws(ControlStoreError) -> Plan { try base.plan() }
    func runbook(phase: String) throws(ControlStoreError) -> String? { try base.runbook(phase: phase) }
    func state() throws(ControlStoreError) -> MigrationState { try base.state() }
    func commit(_ new: MigrationState, replacing old: MigrationState, event: AuditEvent) throws(ControlStoreError) {
        try base.commit(new, replacing: old, event: event)
    }
    func append(_ event: AuditEvent) throws(ControlStoreError) { try base.append(event) }
    func auditLog(limit: Int) throws(ControlStoreError) -> [AuditEvent] { try base.auditLog(limit: limit) }
    func add(counts: [String: Int64], second: Int64) throws(ControlStoreError) { try base.add(counts: counts, second: second) }
    func setGauge(_ name: String, to value: Double, at date: Date) throws(ControlStoreError) { try base.setGauge(name, to: value, at: date) }
    func counterTotals() throws(ControlStoreError) -> [String: Int64] { try base.counterTotals() }
    func gauges() throws(ControlStoreError) -> [Gauge] { try base.gauges() }
    func counterSeries(_ names: [String], from: Int64, to: Int64, slots: Int) throws(ControlStoreError) -> CounterSeries {
        try base.counterSeries(names, from: from, to: to, slots: slots)
    }
    func counterSums(_ windows: [CounterWindow], now: Date) throws(ControlStoreError) -> [CounterWindow: Int64] {
        try base.counterSums(windows, now: now)
    }
    func checklist(phase: String) throws(ControlStoreError) -> [ChecklistItem] { try base.checklist(phase: phase) }
    func setTick(phase: String, item number: Int, ticked: Bool, by signer: Operator, at date: Date) throws(ControlStoreError) {
        try base.setTick(phase: phase, item: number, ticked: ticked, by: signer, at: date)
    }
    func approve(phase: String, by signer: Operator, at date: Date, reason: String?) throws(ControlStoreError) {
        try base.approve(phase: phase, by: signer, at: date, reason: reason)
    }
    func approvals(phase: String) throws(ControlStoreError) -> [Approval] { try base.approvals(phase: phase) }
    func instances() throws(ControlStoreError) -> [FleetInstance] { try base.instances() }
    func removeInstance(id: String) throws(ControlStoreError) { try base.removeInstance(id: id) }
    func changeToken() throws(ControlStoreError) -> Int64 { try base.changeToken() }
    /// A server store is its own reopening; a file's new connection is recorded too.
    func reopen(readOnly: Bool) throws(ControlStoreError) -> any ControlStore {
        let other = try base.reopen(readOnly: readOnly)
        return other as AnyObject === base as AnyObject ? self : RecordingStore(other, recorder: recorder)
    }
    func fileChangeSinceOpening() -> FileChange? { base.fileChangeSinceOpening() }
    func takeRowProblems() -> [RowProblem] { base.takeRowProblems() }
    func onChange(_ handler: @escaping @Sendable () -> Void) { base.onChange(handler) }
    func now() -> Date { base.now() }
    func login() throws(ControlStoreError) -> String? { try base.login() }
    func auditChainHead() throws(ControlStoreError) -> (id: Int64, hash: String)? { try base.auditChainHead() }
    func verifyAuditChain() throws(ControlStoreError) -> AuditChain.Break? { try base.verifyAuditChain() }
    func planTampering() throws(ControlStoreError) -> String? { try base.planTampering() }
}
