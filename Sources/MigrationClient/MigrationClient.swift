import Foundation
import MigrationCore
import Synchronization

/// What an application links to take part in a migration: it answers "where does this
/// key read and write?" from memory, counts events cheaply, and reports itself to the fleet.
///
/// A background refresher notices changes to the control database (SQLite's
/// `data_version`, a few microseconds) every `refreshInterval` and swaps in the new state;
/// callers never touch SQLite. A flusher adds the counted events to the per-second
/// buckets in one transaction every `flushInterval`, with this instance's heartbeat.
///
/// ```swift
/// let client = try MigrationClient(databasePath: "/srv/migctl.db")
/// let route = client.route(for: "user-42")   // which phase's reads and writes
/// client.count("hit")
/// client.shutdown()                          // flushes every last count
/// ```
public final class MigrationClient: Sendable {
    /// What the client knows of the migration.
    public struct Snapshot: Sendable {
        public let salt: String
        public let plan: Plan
        public let state: MigrationState
    }

    public let store: any ControlStore
    /// This process's row in the fleet table.
    public let instanceID: String
    private let snapshot: Mutex<Snapshot>
    private let pending = Mutex<[String: Int64]>([:])
    private let errors = Atomic<Int>(0)
    private let running = Atomic<Bool>(true)
    private let refreshInterval: Duration
    private let flushInterval: Duration
    private let startedAt = Date()
    private let lastToken: Mutex<Int64>
    private let stopped = DispatchGroup()

    /// Opens the control database and reads the state once.
    /// - Throws: ``ControlStoreError`` when there is no readable state: a fresh process fails fast.
    public convenience init(databasePath: String, refreshInterval: Duration = .milliseconds(250), flushInterval: Duration = .seconds(1)) throws {
        try self.init(store: try SQLiteControlStore(path: databasePath), refreshInterval: refreshInterval, flushInterval: flushInterval)
    }

    /// A client over any ``ControlStore``.
    public init(store: any ControlStore, refreshInterval: Duration = .milliseconds(250), flushInterval: Duration = .seconds(1)) throws {
        self.store = store
        self.refreshInterval = refreshInterval
        self.flushInterval = flushInterval
        instanceID = "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UUID().uuidString.prefix(8))"
        lastToken = Mutex(try store.changeToken())
        snapshot = Mutex(Snapshot(salt: try store.migration().name, plan: try store.plan(), state: try store.state()))
        start(every: refreshInterval) { $0.refresh() }
        start(every: flushInterval) { $0.flush() }
    }

    /// A client dropped without ``shutdown()`` still flushes its counts; it cannot wait for its
    /// threads, since the last reference may be released on one of them.
    deinit { finish(waitingForThreads: false, timeout: .seconds(2)) }

    // MARK: - Reading the state

    /// The state this process is routing by.
    public var current: Snapshot { snapshot.withLock { $0 } }

    /// The route of `key`: the current phase's behaviour inside the rollout, the previous phase's outside it.
    public func route(for key: String) -> Route {
        let bucket = Bucketing.bucket(salt: snapshot.withLock { $0.salt }, key: key)
        return snapshot.withLock { snap in
            let phase = snap.state.effectivePhase(forBucket: bucket, in: snap.plan) ?? snap.plan.first
            return Route(phase: phase, version: snap.state.version)
        }
    }

    /// The phase `key` gets (shorthand for `route(for:).phase`).
    public func phase(for key: String) -> Phase { route(for: key).phase }

    /// How many refreshes failed since start (the database was unreadable); the last known
    /// state stays in force meanwhile.
    public var refreshErrors: Int { errors.load(ordering: .relaxed) }

    /// Reads the state now if the database changed. Called by the refresher; public so a
    /// caller that just changed the state can see it at once.
    public func refresh() {
        do {
            let token = try store.changeToken()
            guard token != lastToken.withLock({ $0 }) else { return }
            let state = try store.state()
            lastToken.withLock { $0 = token }
            snapshot.withLock { $0 = Snapshot(salt: $0.salt, plan: $0.plan, state: state) }
        } catch {
            errors.add(1, ordering: .relaxed)
            count("client.refresh.error")
        }
    }

    // MARK: - Counting

    /// Adds `amount` to counter `name` in memory; the flusher writes it within a flush interval.
    /// Names must match `[a-z0-9][a-z0-9._-]{0,63}`; others are dropped and counted as `client.bad-name`.
    public func count(_ name: String, by amount: Int64 = 1) {
        guard amount > 0 else { return }
        let accepted = Names.isValidMetricName(name)
        pending.withLock { counts in
            let key = accepted ? name : "client.bad-name"
            let (sum, overflow) = counts[key, default: 0].addingReportingOverflow(amount)
            counts[key] = overflow ? .max : sum
        }
    }

    /// Sets a gauge at once (gauges are rare: progress reports, not per-request events).
    public func gauge(_ name: String, _ value: Double) throws {
        try store.setGauge(name, to: value, at: Date())
    }

    /// Writes the pending counts and this instance's heartbeat in one transaction. A failure
    /// (a busy database) puts the counts back for the next flush: nothing is dropped.
    public func flush() {
        let counts = pending.withLock { counts in
            defer { counts = [:] }
            return counts
        }
        let now = Date()
        let heartbeat = FleetInstance(
            id: instanceID, host: ProcessInfo.processInfo.hostName, pid: Int64(getpid()),
            servingVersion: snapshot.withLock { $0.state.version }, heartbeatAt: now, startedAt: startedAt)
        do {
            try store.flush(counts: counts, second: Int64(now.timeIntervalSince1970), heartbeat: running.load(ordering: .relaxed) ? heartbeat : nil)
        } catch {
            pending.withLock { pending in
                for (name, value) in counts {
                    let (sum, overflow) = pending[name, default: 0].addingReportingOverflow(value)
                    pending[name] = overflow ? .max : sum
                }
            }
        }
    }

    /// Stops the background work, flushes every pending count (retrying while the database
    /// is busy, up to `timeout`) and removes this instance from the fleet. Idempotent.
    public func shutdown(timeout: Duration = .seconds(10)) {
        finish(waitingForThreads: true, timeout: timeout)
    }

    private func finish(waitingForThreads: Bool, timeout: Duration) {
        guard running.exchange(false, ordering: .relaxed) else { return }
        if waitingForThreads { stopped.wait() }
        let deadline = ContinuousClock.now + timeout
        flush()
        while pending.withLock({ !$0.isEmpty }), ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            flush()
        }
        try? store.removeInstance(id: instanceID)
    }

    /// Runs `work` every `interval` on a thread of its own until shutdown.
    /// The thread holds the client weakly and never across its sleep, so dropping the last
    /// reference ends it too.
    private func start(every interval: Duration, _ work: @escaping @Sendable (MigrationClient) -> Void) {
        let group = stopped
        group.enter()
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        Thread { [weak self] in
            defer { group.leave() }
            while Self.turn(self, work) {
                Thread.sleep(forTimeInterval: seconds)
            }
        }.start()
    }

    /// One turn of a background thread; false once the client is gone or stopped.
    private static func turn(_ client: MigrationClient?, _ work: (MigrationClient) -> Void) -> Bool {
        guard let client, client.running.load(ordering: .relaxed) else { return false }
        work(client)
        return true
    }
}
