import Foundation
import MigrationClient
import MigrationCore
import Synchronization

/// The demo's live service: the workload, plus the batch jobs an operator would run in the
/// right phases (the backfill in `backfill`, then the full verification, and the tombstone
/// purge in `cleanup`).
public final class DemoRun: Sendable {
    public let client: MigrationClient
    public let stores: DemoStores
    public let workload: Workload
    public let backfill: Backfill<User>
    /// The full verification, run in `backfill` once the backfill has finished.
    public let verifier: Verifier<User>
    /// Services that served these stores before and died without stopping, reconciled at start.
    public let reconciledCrashes: [CrashReconciliation]
    private let running = Atomic<Bool>(false)
    private let jobsDone = DispatchGroup()
    private let purged = Atomic<Bool>(false)

    /// Opens the control database and the stores in `storesFolder`, seeding `records` users
    /// into an empty old store. The service joins the fleet once its stores are open, and is
    /// in it from then on, seeding included.
    ///
    /// - Parameter stopRequested: polled while seeding; when it turns true, the seeding rolls
    ///   back and the service leaves the fleet.
    /// - Throws: ``DemoServiceError/stoppedWhileSeeding(seeded:of:)``, or a store's error;
    ///   either way no instance is left in the fleet.
    public convenience init(controlPath: String, storesFolder: String, records: Int, settings: Workload.Settings? = nil,
                            stopRequested: @escaping @Sendable () -> Bool = { false }) throws {
        try self.init(control: try SQLiteControlStore(path: controlPath), storesFolder: storesFolder, records: records,
                      settings: settings, stopRequested: stopRequested)
    }

    /// The same over any control store (a SQLite file, or PostgreSQL): the data stores stay
    /// SQLite files in `storesFolder`.
    public init(control: any ControlStore, storesFolder: String, records: Int, settings: Workload.Settings? = nil,
                stopRequested: @escaping @Sendable () -> Bool = { false }) throws {
        let stores = try DemoStores(folder: storesFolder)
        let client = try MigrationClient(store: control)
        let reference: [String: User]
        do {
            let seed = try stores.seed(records, stopRequested: stopRequested)
            reference = try Self.currentView(of: seed.keys, stores: stores, client: client)
            reconciledCrashes = try stores.reconcileCrashes(fleet: client.store)
            try stores.beginSession(client.instanceID)
        } catch {
            client.shutdown()
            throw error
        }
        self.client = client
        self.stores = stores
        let migrator = Migrator(client: client, old: stores.old, new: stores.new) { [client] failed in
            client.count("write.retry.dropped")
            _ = failed
        }
        workload = Workload(migrator: migrator, settings: settings ?? Workload.Settings(seededKeys: records), seed: reference)
        backfill = Backfill(migrator: migrator, batchSize: 500)
        // Once the old store stops receiving writes, a user the service wrote since has a higher version.
        verifier = Verifier(migrator: migrator, batchSize: 500) { old, new in new.version > old.version }
    }

    /// What each key reads as now: the starting reference when the stores already hold a migration in flight.
    static func currentView(of keys: Dictionary<String, User>.Keys, stores: DemoStores, client: MigrationClient) throws -> [String: User] {
        var view: [String: User] = [:]
        for key in keys {
            if let value = try stores.value(of: key, as: client.route(for: key)) { view[key] = value }
        }
        return view
    }

    /// Starts the traffic and the phase jobs.
    public func start() {
        guard !running.exchange(true, ordering: .relaxed) else { return }
        workload.start()
        jobsDone.enter()
        Thread { [self] in
            while running.load(ordering: .relaxed) {
                runPhaseJobs()
                Thread.sleep(forTimeInterval: 0.1)
            }
            jobsDone.leave()
        }.start()
    }

    /// Stops everything, flushes the counters, checks the invariants and leaves the fleet.
    public func stop() throws -> InvariantReport {
        if running.exchange(false, ordering: .relaxed) {
            workload.stop()
            jobsDone.wait()
        }
        client.flush()
        let report = try Invariants.check(workload: workload, stores: stores, client: client)
        client.shutdown()
        try stores.endSession(client.instanceID)
        return report
    }

    private func runPhaseJobs() {
        switch client.current.state.phase {
        case "backfill":
            if !backfill.isFinished {
                _ = try? backfill.step()
            } else {
                _ = try? verifier.step()
            }
        case "cleanup", "complete":
            if !purged.exchange(true, ordering: .relaxed) {
                if let count = try? stores.new.purgeTombstones() { client.count("tombstones.purged", by: Int64(count)) }
            }
        default:
            break
        }
    }
}
