import Foundation
import Logging
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

        /// The routes of keys inside and outside the rollout; nil when the state names a
        /// phase the plan does not have, where any route would be a guess.
        var routes: (current: Route, previous: Route)? {
            guard let (inside, outside) = state.phasePositions(in: plan) else { return nil }
            return (Route(phaseIndex: inside, phase: plan.phases[inside], version: state.version),
                    Route(phaseIndex: outside, phase: plan.phases[outside], version: state.version))
        }
    }

    /// A counter's in-memory total, spread over cache-line-padded slots so threads adding at
    /// once rarely touch the same line: adding is one uncontended atomic instruction.
    public final class Counter: @unchecked Sendable {
        public let name: String
        /// 64 slots, one per 64-byte line (8 atomics apart); only their atomic operations touch them.
        private let slots: UnsafeMutablePointer<Atomic<Int64>>
        private static let slotCount = 64, stride = 8

        init(name: String) {
            self.name = name
            slots = .allocate(capacity: Self.slotCount * Self.stride)
            for i in 0..<(Self.slotCount * Self.stride) { (slots + i).initialize(to: Atomic(0)) }
        }

        deinit {
            slots.deinitialize(count: Self.slotCount * Self.stride)
            slots.deallocate()
        }

        /// Adds `amount` (1 by default); it reaches the database with the next flush.
        @inline(__always)
        public func add(_ amount: Int64 = 1) {
            let thread = UInt64(pthread_self())
            let slot = Int((thread &* 0x9E37_79B9_7F4A_7C15) >> 58)
            slots[slot * Self.stride].wrappingAdd(amount, ordering: .relaxed)
        }

        /// Takes the total added since the last take.
        func take() -> Int64 {
            var total: Int64 = 0
            for slot in 0..<Self.slotCount {
                total = total.addingReportingOverflow(slots[slot * Self.stride].exchange(0, ordering: .relaxed)).partialValue
            }
            return total
        }

        var isEmpty: Bool { (0..<Self.slotCount).allSatisfy { slots[$0 * Self.stride].load(ordering: .relaxed) == 0 } }
    }

    public let store: any ControlStore
    /// This process's row in the fleet table.
    public let instanceID: String
    private let snapshot: Mutex<Snapshot>
    private let routes: PublishedRoutes
    private let hasher: Bucketing.Hasher
    private let counters = Mutex<[String: Counter]>([:])
    /// Counts a failed flush could not write, added to the next one.
    private let carried = Mutex<[String: Int64]>([:])
    private let errors = Atomic<Int>(0)
    private let running = Atomic<Bool>(true)
    private let refreshInterval: Duration
    private let flushInterval: Duration
    private let startedAt = Date()
    private let lastToken: Mutex<Int64>
    private let stopped = DispatchGroup()
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
        self.store = store
        self.refreshInterval = refreshInterval
        self.flushInterval = flushInterval
        instanceID = "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UUID().uuidString.prefix(8))"
        var logger = logger
        logger[metadataKey: "migctl.instance"] = "\(instanceID)"
        self.logger = logger
        lastToken = Mutex(try store.changeToken())
        let salt = try store.migration().name
        let first = Snapshot(salt: salt, plan: try store.plan(), state: try store.state())
        guard let firstRoutes = first.routes else {
            throw .io(path: store.location, message: "the state names phase '\(first.state.phase.terminalSafe)', which the plan does not have")
        }
        hasher = Bucketing.hasher(salt: salt)
        snapshot = Mutex(first)
        routes = PublishedRoutes(rollout: first.state.rollout.basisPoints, version: first.state.version,
                                 current: firstRoutes.current, previous: firstRoutes.previous)
        start(every: refreshInterval) { $0.refresh() }
        start(every: flushInterval) { $0.flush() }
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

    /// The phase `key` gets, in full.
    public func phase(for key: String) -> Phase {
        let index = route(for: key).phaseIndex
        return snapshot.withLock { $0.plan.phases[index] }
    }

    /// How many refreshes failed since start (the database was unreadable, or its state named a
    /// phase the plan does not have); the last known state stays in force meanwhile.
    public var refreshErrors: Int { errors.load(ordering: .relaxed) }

    /// Reads the state now if the database changed. Called by the refresher; public so a
    /// caller that just changed the state can see it at once.
    ///
    /// Refreshes run one at a time, so each reads the database after the one before it; and
    /// whatever order they finish in, only a strictly newer version is published.
    public func refresh() {
        lastToken.withLock { lastToken in
            do throws(ControlStoreError) {
                let token = try store.changeToken()
                guard token != lastToken else { return }
                let state = try store.state()
                lastToken = token
                if let incident = adopt(state) { report(incident) }
            } catch {
                report(.refreshFailed(error))
            }
        }
    }

    /// Publishes `state` if it is newer than the one in force and routes by a phase of the
    /// plan; decided inside the snapshot lock, which also serialises the publishes the
    /// sequence lock needs.
    /// - Returns: why the state was not usable, if it was not.
    private func adopt(_ state: MigrationState) -> Incident? {
        snapshot.withLock { snap in
            guard state.version > snap.state.version else { return nil }
            let next = Snapshot(salt: snap.salt, plan: snap.plan, state: state)
            guard let routes = next.routes else { return .unknownPhase(state.phase, version: state.version, keeping: snap.state) }
            snap = next
            self.routes.publish(rollout: state.rollout.basisPoints, version: state.version, current: routes.current, previous: routes.previous)
            return nil
        }
    }

    /// Logs `incident` and counts it in its `client.*` counter.
    func report(_ incident: Incident) {
        if incident.counter == Incident.refreshError { errors.add(1, ordering: .relaxed) }
        logger.log(level: incident.level, incident.message)
        counter(incident.counter).add()
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
    public func count(_ name: String, by amount: Int64 = 1) {
        guard amount > 0 else { return }
        counter(name).add(amount)
    }

    /// Sets a gauge at once (gauges are rare: progress reports, not per-request events).
    public func gauge(_ name: String, _ value: Double) throws {
        try store.setGauge(name, to: value, at: Date())
    }

    /// Writes the pending counts and this instance's heartbeat in one transaction. A failure
    /// (a busy database) puts the counts back for the next flush: nothing is dropped.
    public func flush() {
        var counts = carried.withLock { carried in
            defer { carried = [:] }
            return carried
        }
        for counter in counters.withLock({ Array($0.values) }) {
            let value = counter.take()
            if value != 0 { counts[counter.name] = Self.saturatingSum(counts[counter.name] ?? 0, value) }
        }
        let now = Date()
        let heartbeat = FleetInstance(
            id: instanceID, host: ProcessInfo.processInfo.hostName, pid: Int64(getpid()),
            servingVersion: snapshot.withLock { $0.state.version }, heartbeatAt: now, startedAt: startedAt)
        do {
            try store.flush(counts: counts, second: Int64(now.timeIntervalSince1970), heartbeat: running.load(ordering: .relaxed) ? heartbeat : nil)
        } catch {
            carried.withLock { carried in
                for (name, value) in counts { carried[name] = Self.saturatingSum(carried[name] ?? 0, value) }
            }
        }
    }

    private static func saturatingSum(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
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
        if waitingForThreads { stopped.wait() }
        let deadline = ContinuousClock.now + timeout
        flush()
        while hasPendingCounts, ContinuousClock.now < deadline {
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
