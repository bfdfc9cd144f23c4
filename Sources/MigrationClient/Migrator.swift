import MigrationCore

/// Routes an application's reads, writes and deletes between the old and the new store by
/// the phase each key gets, and counts what happened.
///
/// - writes go to the phase's primary store first (its failure fails the request), then to
///   the secondary, best effort: a failure there is counted (`write.new.error`,
///   `write.old.error`) and handed to `retry`. Writes and deletes count `write.old` or
///   `write.new` by the primary store that took them;
/// - reads of a phase that reads only the old store count `read.old`;
/// - reads of a phase that reads the new store count `hit` when the record is there and
///   `miss` when it had to be copied from the old store (insert-if-absent, so a copy never
///   overwrites a newer write); while the old store is authoritative, reads also compare
///   both stores (`verify.match`, `verify.mismatch`) and return the old store's value;
/// - deletes leave tombstones in the new store wherever reads fall back to the old one, so a fallback read, a copy on a miss racing the delete, or
///   the backfill can never bring a deleted record back.
///
/// ```swift
/// let migrator = Migrator(client: client, old: oldStore, new: newStore)
/// try migrator.write("user-42", user)
/// let user = try migrator.read("user-42")
/// ```
public struct Migrator<Value: Sendable & Equatable>: Sendable {
    public let client: MigrationClient
    public let old: OldStore<Value>
    public let new: NewStore<Value>
    /// Called with a write that did not reach the secondary store, for the application to retry.
    public let retry: @Sendable (FailedWrite) -> Void
    private let counters: Counters

    /// The counters the Migrator reports (names from ``CounterName``), looked up once.
    private struct Counters: Sendable {
        let hit, miss, readAbsent, readOld, write, delete, verifyMatch, verifyMismatch: MigrationClient.Counter
        /// By store: what it served as primary, and its failed secondary writes.
        let served, errors: [DataStore: MigrationClient.Counter]

        init(_ client: MigrationClient) {
            hit = client.counter(CounterName.hit)
            miss = client.counter(CounterName.miss)
            readAbsent = client.counter(CounterName.readAbsent)
            readOld = client.counter(CounterName.readOld)
            write = client.counter(CounterName.write)
            delete = client.counter(CounterName.delete)
            verifyMatch = client.counter(CounterName.verifyMatch)
            verifyMismatch = client.counter(CounterName.verifyMismatch)
            served = [.old: client.counter(CounterName.writeOld), .new: client.counter(CounterName.writeNew)]
            errors = [.old: client.counter(CounterName.writeOldError), .new: client.counter(CounterName.writeNewError)]
        }
    }

    /// A secondary write that failed.
    public struct FailedWrite: Sendable {
        public let key: String
        public let store: DataStore
        /// nil for a delete.
        public let value: Value?
        public let error: any Error
    }

    public init(client: MigrationClient, old: OldStore<Value>, new: NewStore<Value>, retry: @escaping @Sendable (FailedWrite) -> Void = { _ in }) {
        self.client = client
        self.old = old
        self.new = new
        self.retry = retry
        counters = Counters(client)
    }

    /// Reads `key` the way its phase says.
    public func read(_ key: String) throws -> Value? {
        let route = client.route(for: key)
        switch route.reads {
        case .old:
            let value = try old.get(key)
            counters.readOld.add()
            return value
        case .new:
            let stored = try new.get(key)
            if stored != nil { counters.hit.add() }
            return stored?.value
        case .newFallbackOld:
            if let stored = try new.get(key) {
                counters.hit.add()
                guard route.verifiesReads else { return stored.value }
                let authoritative = try old.get(key)
                (authoritative == stored.value ? counters.verifyMatch : counters.verifyMismatch).add()
                return authoritative
            }
            guard let value = try old.get(key) else {
                counters.readAbsent.add()
                return nil
            }
            if try new.putIfAbsent(key, value, .miss) { counters.miss.add() }
            return value
        }
    }

    /// Writes `value` under `key`: the primary store must take it, the secondary is best effort.
    public func write(_ key: String, _ value: Value) throws {
        let route = client.route(for: key)
        counters.write.add()
        try apply(route, key: key) { store in
            switch store {
            case .old: try old.put(key, value)
            case .new: try new.put(key, .value(value), .write)
            }
        } failed: { store, error in
            FailedWrite(key: key, store: store, value: value, error: error)
        }
    }

    /// Deletes `key`, leaving a tombstone in the new store when the phase needs one.
    public func delete(_ key: String) throws {
        let route = client.route(for: key)
        counters.delete.add()
        try apply(route, key: key) { store in
            switch store {
            case .old: try old.delete(key)
            case .new: route.deletesLeaveTombstones ? try new.put(key, .tombstone, .write) : try new.delete(key)
            }
        } failed: { store, error in
            FailedWrite(key: key, store: store, value: nil, error: error)
        }
    }

    private func apply(
        _ route: Route, key: String, _ operation: (DataStore) throws -> Void, failed: (DataStore, any Error) -> FailedWrite
    ) throws {
        try operation(route.primary)
        counters.served[route.primary]?.add()
        if let secondary = route.secondary {
            do {
                try operation(secondary)
            } catch {
                counters.errors[secondary]?.add()
                retry(failed(secondary, error))
            }
        }
    }
}
