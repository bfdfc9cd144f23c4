import Foundation
import Logging
import MigrationCore
import Synchronization

/// What an application links to take part in a migration: it answers "where does this
/// key read and write?" from memory, counts events cheaply, and reports itself to the fleet.
///
/// A background refresher notices changes to the control database (SQLite's `data_version`,
/// a few microseconds, every `refreshInterval`; PostgreSQL's NOTIFY, at once) and swaps in the
/// new state; callers never touch the database. A flusher adds the counted events to the
/// per-second buckets in one transaction every `flushInterval`, with this instance's heartbeat.
/// On a SQLite file each has a connection of its own (the refresher's is read-only), so a flush
/// waiting for the write lock never holds back the state routing depends on; on PostgreSQL
/// they take turns on the process's one connection, where writes never wait for a file lock.
/// Both follow the file at the path: a file replaced or restored from a backup is reopened and followed, a failing
/// connection is replaced, with a growing wait between tries, and each of these is logged
/// and counted in a `client.*` counter.
///
/// A client whose state could not be refreshed for longer than the plan's serving lease
/// (``MigrationCore/Plan/servingLeaseSeconds``) keeps routing by it, but says so in its
/// heartbeat (`stale`), and the fleet gate counts it as unknown.
///
/// ```swift
/// let client = try MigrationClient(databasePath: "/srv/migctl.db")
/// // or, on PostgreSQL (the PostgresStore library):
/// // let client = try MigrationClient(store: ControlStores.open("postgresql://svc@db/ops"))
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
        /// Which database file the state came from, in the order the client met them.
        let generation: Int

        /// The routes of keys inside and outside the rollout; nil when the state names a
        /// phase the plan does not have, where any route would be a guess.
        var routes: (current: Route, previous: Route)? {
            guard let (inside, outside) = state.phasePositions(in: plan) else { return nil }
            return (Route(phaseIndex: inside, phase: plan.phases[inside], version: state.version),
                    Route(phaseIndex: outside, phase: plan.phases[outside], version: state.version))
        }
    }

    /// The connection the client writes through now; another one once the file is replaced.
    public var store: any ControlStore { writer.store }
    /// This process's row in the fleet table.
    public let instanceID: String
    let snapshot: Mutex<Snapshot>
    let routes: PublishedRoutes
    private let hasher: Bucketing.Hasher
    /// The bucketing salt: the migration's name, which a client never changes.
    let salt: String
    /// The refresher's read-only connection and the flusher's.
    let reader: StoreLink, writer: StoreLink
    /// Serialises refreshes; what they know of the file.
    let cursor: Mutex<RefreshCursor>
    /// Set while the file at the path holds another migration: nothing is written there.
    let foreign = Atomic<Bool>(false)
    let counters = Mutex<[String: Counter]>([:])
    /// Counts a failed flush could not write, added to the next one.
    let carried = Mutex<[String: Int64]>([:])
    /// Serialises flushes.
    let flushing = Mutex<Void>(())
    private let errors = Atomic<Int>(0)
    let running = Atomic<Bool>(true)
    let refreshInterval: Duration
    let flushInterval: Duration
    let startedAt = Date()
    private let stopped = DispatchGroup()
    /// The flusher's and the refresher's sleeps; a store's change notification ends the refresher's.
    private let flushWakeup = Wakeup(), refreshWakeup = Wakeup(minimumGap: .milliseconds(10))
    /// When the state was last read successfully: the age the serving lease is measured against.
    let lastRefreshed = Mutex(ContinuousClock.now)
    /// Where the client says what went wrong; each line carries this instance's id.
    let logger: Logger

    /// Opens the control database and reads the state once.
    ///
    /// - Parameter logger: where the client reports what went wrong (an unreadable database, a
    ///   refused count) besides its `client.*` counters. The library never sets up logging
    ///   itself: by default it logs to the task-local `Logger.current` of the caller.
    /// - Throws: ``ControlStoreError`` when there is no readable state: a fresh process fails fast.
    public convenience init(
        databasePath: String, refreshInterval: Duration = .milliseconds(250), flushInterval: Duration = .seconds(1),
        logger: Logger = .current
    ) throws(ControlStoreError) {
        try self.init(store: try SQLiteControlStore(path: databasePath), refreshInterval: refreshInterval,
                      flushInterval: flushInterval, logger: logger)
    }

    /// A client over any ``ControlStore``.
    /// - Throws: ``ControlStoreError`` when there is no readable state, or when the state
    ///   names a phase the plan does not have.
    public init(
        store: any ControlStore, refreshInterval: Duration = .milliseconds(250), flushInterval: Duration = .seconds(1),
        logger: Logger = .current
    ) throws(ControlStoreError) {
        self.refreshInterval = refreshInterval
        self.flushInterval = flushInterval
        instanceID = "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UUID().uuidString.prefix(8))"
        var logger = logger
        logger[metadataKey: "migctl.instance"] = "\(instanceID)"
        self.logger = logger
        writer = try StoreLink(store, readOnly: false)
        reader = try StoreLink(store, readOnly: true)
        let info = try reader.store.migration()
        let token = try reader.store.changeToken()
        let first = Snapshot(salt: info.name, plan: try reader.store.plan(), state: try reader.store.state(), generation: 0)
        guard let firstRoutes = first.routes else {
            throw .io(path: store.location, message: "the state names phase '\(first.state.phase.terminalSafe)', which the plan does not have")
        }
        salt = info.name
        cursor = Mutex(RefreshCursor(token: token, createdAt: info.createdAt))
        hasher = Bucketing.hasher(salt: info.name)
        snapshot = Mutex(first)
        routes = PublishedRoutes(rollout: first.state.rollout.basisPoints, version: first.state.version,
                                 current: firstRoutes.current, previous: firstRoutes.previous)
        start(refreshWakeup) { client in
            client.refresh()
            return client.reader.delay(after: client.refreshInterval)
        }
        start(flushWakeup) { client in
            client.flush()
            return client.writer.delay(after: client.flushInterval)
        }
        store.onChange { [refreshWakeup] in refreshWakeup.poke() }
    }

    /// A client dropped without ``shutdown()`` still flushes its counts; it cannot wait for its
    /// threads, since the last reference may be released on one of them.
    deinit { finish(waitingForThreads: false, timeout: .seconds(2)) }

    // MARK: - Reading the state

    /// The state this process is routing by.
    public var current: Snapshot { snapshot.withLock { $0 } }

    /// The route of `key`: the current phase's behaviour inside the rollout, the previous phase's
    /// outside it. Reads memory only, takes no lock: the hot path of every request.
    public func route(for key: String) -> Route {
        routes.route(bucket: hasher.bucket(key))
    }

    /// The phase `key` gets, in full, from the state in force (one lock, no I/O).
    public func phase(for key: String) -> Phase {
        let bucket = hasher.bucket(key)
        return snapshot.withLock { snap in
            let positions = snap.state.phasePositions(in: snap.plan) ?? (0, 0)  // a published state always has them
            return snap.plan.phases[snap.state.rollout.includes(bucket: bucket) ? positions.inside : positions.outside]
        }
    }

    /// How many refreshes failed since start (the database was unreadable, or its state named a
    /// phase the plan does not have); the last known state stays in force meanwhile.
    public var refreshErrors: Int { errors.load(ordering: .relaxed) }

    /// Logs `incident` and counts it in its `client.*` counter.
    func report(_ incident: Incident) {
        if incident.counter == Incident.refreshError { errors.add(1, ordering: .relaxed) }
        logger.log(level: incident.level, incident.message)
        counter(incident.counter).add(incident.times)
    }

    // MARK: - Counting

    /// The counter called `name`, to keep and add to on a hot path without a lookup.
    /// Names must match `[a-z0-9][a-z0-9._-]{0,63}`; any other gives the counter `client.bad-name`.
    public func counter(_ name: String) -> Counter {
        let key = Names.isValidMetricName(name) ? name : "client.bad-name"
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(name: key)
            counters[key] = counter
            return counter
        }
    }

    /// Adds `amount` to counter `name` in memory; the flusher writes it within a flush interval.
    /// Like ``Counter/add(_:)``, it ignores a negative amount, and the next flush logs and counts it.
    public func count(_ name: String, by amount: Int64 = 1) {
        guard amount != 0 else { return }
        counter(name).add(amount)
    }

    /// Sets a gauge at once (gauges are rare: progress reports, not per-request events).
    public func gauge(_ name: String, _ value: Double) throws(ControlStoreError) {
        do throws(ControlStoreError) {
            try writer.connection().store.setGauge(name, to: value, at: Date())
        } catch {
            if !error.refusesData { writer.failed() }
            throw error
        }
    }

    /// Whether counts are waiting to be written.
    private var hasPendingCounts: Bool {
        carried.withLock { !$0.isEmpty } || counters.withLock { $0.values.contains { !$0.isEmpty } }
    }

    /// Stops the background work, flushes every pending count (retrying while the database
    /// is busy, up to `timeout`) and removes this instance from the fleet. Idempotent.
    public func shutdown(timeout: Duration = .seconds(10)) {
        finish(waitingForThreads: true, timeout: timeout)
    }

    private func finish(waitingForThreads: Bool, timeout: Duration) {
        guard running.exchange(false, ordering: .relaxed) else { return }
        flushWakeup.stop()
        refreshWakeup.stop()
        if waitingForThreads { stopped.wait() }
        let deadline = ContinuousClock.now + timeout
        let pause = Wakeup()
        flush()
        while hasPendingCounts, ContinuousClock.now < deadline, pause.sleep(for: .milliseconds(50)) {
            flush()
        }
        try? writer.connection().store.removeInstance(id: instanceID)
    }

    /// Runs `work` on a thread of its own until shutdown, waiting between turns for as long as
    /// each turn returns, or until shutdown wakes it.
    /// The thread holds the client weakly and never across its wait, so dropping the last
    /// reference ends it too.
    private func start(_ wakeup: Wakeup, _ work: @escaping @Sendable (MigrationClient) -> Duration) {
        let group = stopped
        group.enter()
        Thread { [weak self, wakeup] in
            defer { group.leave() }
            while let wait = Self.turn(self, work), wakeup.sleep(for: wait) {}
        }.start()
    }

    /// One turn of a background thread and how long to wait before the next; nil once the
    /// client is gone or stopped.
    private static func turn(_ client: MigrationClient?, _ work: (MigrationClient) -> Duration) -> Duration? {
        guard let client, client.running.load(ordering: .relaxed) else { return nil }
        return work(client)
    }
}
