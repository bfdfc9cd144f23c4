import Foundation
import MigrationClient
import MigrationCore
import Synchronization

/// The demo's live traffic: several workers reading, updating, inserting and deleting users
/// over a skewed key distribution (a few hot keys take most requests), through the Migrator.
///
/// Each worker owns the keys whose index modulo the worker count is its own, so every key's
/// operations happen in one order, and the worker's reference model of acknowledged writes is
/// exact: what the invariants compare the stores with.
public final class Workload: Sendable {
    public struct Settings: Sendable {
        public var workers: Int
        /// Operations per second across all workers.
        public var rate: Double
        public var seededKeys: Int

        public init(workers: Int = 4, rate: Double = 400, seededKeys: Int) {
            self.workers = max(1, workers)
            self.rate = max(1, rate)
            self.seededKeys = seededKeys
        }
    }

    public let migrator: Migrator<User>
    public let settings: Settings
    /// Which worker owns which key.
    public let keys: KeySpace
    /// Per worker: key → the last acknowledged value (nil: deleted).
    private let models: [Partition]

    /// One worker's reference model.
    final class Partition: Sendable {
        let model: Mutex<[String: User?]>
        init(_ model: [String: User?]) { self.model = Mutex(model) }
        func withLock<T>(_ body: (inout [String: User?]) -> T) -> T { model.withLock { body(&$0) } }
    }
    private let running = Atomic<Bool>(false)
    private let finished = DispatchGroup()
    private let failures = Atomic<Int>(0)
    private let wrongReads = Atomic<Int>(0)

    public init(migrator: Migrator<User>, settings: Settings, seed: [String: User]) {
        self.migrator = migrator
        self.settings = settings
        keys = KeySpace(seededKeys: settings.seededKeys, workers: settings.workers)
        var partitions = [[String: User?]](repeating: [:], count: settings.workers)
        for (key, user) in seed { partitions[keys.owner(of: key)][key] = .some(user) }
        models = partitions.map { Partition($0) }
    }

    /// Requests that failed because the primary store refused them (not acknowledged).
    public var failedRequests: Int { failures.load(ordering: .relaxed) }
    /// Reads that returned something other than the last acknowledged write: always 0 when correct.
    public var inconsistentReads: Int { wrongReads.load(ordering: .relaxed) }

    public func start() {
        guard !running.exchange(true, ordering: .relaxed) else { return }
        for worker in 0..<settings.workers {
            finished.enter()
            Thread { [self] in
                run(worker)
                finished.leave()
            }.start()
        }
    }

    /// Stops the workers and waits for their last request to finish.
    public func stop() {
        running.store(false, ordering: .relaxed)
        finished.wait()
    }

    /// Every key the workers know with its last acknowledged value.
    public func reference() -> [String: User?] {
        models.reduce(into: [:]) { all, model in model.withLock { all.merge($0) { $1 } } }
    }

    private func run(_ worker: Int) {
        var generator = SystemRandomNumberGenerator()
        let interval = Double(settings.workers) / settings.rate
        var nextInsert = keys.firstInsert(by: worker)
        var next = Date()
        while running.load(ordering: .relaxed) {
            next += interval
            let pause = next.timeIntervalSinceNow
            if pause > 0 { Thread.sleep(forTimeInterval: pause) } else if pause < -1 { next = Date() }
            let key = DemoStores.key(keys.pick(for: worker, using: &generator))
            let roll = Int.random(in: 0..<100, using: &generator)
            do {
                switch roll {
                case ..<70: try read(key, worker)
                case ..<90: try update(key, worker)
                case ..<95:
                    let fresh = DemoStores.key(nextInsert)
                    nextInsert += settings.workers
                    try write(fresh, User(name: "New \(fresh)", email: "\(fresh)@example.org", version: 1), worker)
                default: try delete(key, worker)
                }
            } catch {
                failures.add(1, ordering: .relaxed)
            }
        }
    }

    private func read(_ key: String, _ worker: Int) throws {
        let value = try migrator.read(key)
        let expected = models[worker].withLock { $0[key] ?? nil }
        if value != expected {
            wrongReads.add(1, ordering: .relaxed)
            migrator.client.count("demo.read.inconsistent")
        }
    }

    private func update(_ key: String, _ worker: Int) throws {
        let current = models[worker].withLock { $0[key] ?? nil }
        // A key written again after a delete goes on from the version the old store last had, so
        // the new value is a later version than the old one: what the demo's full verification
        // (`supersedes`: a higher version) relies on once the old store receives no more writes.
        let user = try current.map { User(name: $0.name, email: $0.email, version: $0.version + 1) }
            ?? User(name: "Revived \(key)", email: "\(key)@example.net", version: (try migrator.old.get(key)?.version ?? 0) + 1)
        try write(key, user, worker)
    }

    private func write(_ key: String, _ user: User, _ worker: Int) throws {
        try migrator.write(key, user)
        models[worker].withLock { $0[key] = .some(user) }
    }

    private func delete(_ key: String, _ worker: Int) throws {
        try migrator.delete(key)
        models[worker].withLock { $0[key] = .some(nil) }
    }
}
