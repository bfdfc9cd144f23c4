/// A record as the new store keeps it: a value, or the tombstone a delete leaves.
public enum Stored<Value: Sendable & Equatable>: Sendable, Equatable {
    case value(Value)
    case tombstone

    public var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }
}

/// The old store, as the application already talks to it.
public struct OldStore<Value: Sendable & Equatable>: Sendable {
    public var get: @Sendable (String) throws -> Value?
    public var put: @Sendable (String, Value) throws -> Void
    public var delete: @Sendable (String) throws -> Void
    /// Up to `limit` records with keys after `cursor` (nil: from the start), in key order: what the backfill walks.
    public var scan: @Sendable (_ after: String?, _ limit: Int) throws -> [(key: String, value: Value)]
    /// How many records the store holds, for the backfill's progress.
    public var count: @Sendable () throws -> Int

    public init(
        get: @escaping @Sendable (String) throws -> Value?, put: @escaping @Sendable (String, Value) throws -> Void,
        delete: @escaping @Sendable (String) throws -> Void,
        scan: @escaping @Sendable (String?, Int) throws -> [(key: String, value: Value)],
        count: @escaping @Sendable () throws -> Int
    ) {
        self.get = get
        self.put = put
        self.delete = delete
        self.scan = scan
        self.count = count
    }
}

extension OldStore {
    /// The next batch a job walks: ``scan`` checked to return keys strictly after `cursor`, in
    /// increasing order of their Unicode scalars (code points: the order of SQLite's `ORDER BY`
    /// and PostgreSQL's `COLLATE "C"`; Swift's own `<` would treat `é` and `e` + U+0301 as equal). A scan that returns the cursor again (`>=` for `>`) or keys out of
    /// order would make a job walk the same keys forever or skip some; it is refused instead.
    /// - Throws: ``ScanOrderError``, or the store's own error.
    func batch(after cursor: String?, limit: Int) throws -> [(key: String, value: Value)] {
        let batch = try scan(cursor, limit)
        var previous = cursor
        for record in batch {
            if let previous, !previous.unicodeScalars.lexicographicallyPrecedes(record.key.unicodeScalars) {
                throw ScanOrderError(cursor: cursor, previous: previous, key: record.key)
            }
            previous = record.key
        }
        return batch
    }
}

/// The old store's `scan` returned a key that is not after the one before it.
public struct ScanOrderError: Error, CustomStringConvertible {
    public let cursor: String?
    public let previous: String
    public let key: String

    public var description: String {
        let shown = { (key: String) in
            "'\(String(String.UnicodeScalarView(key.unicodeScalars.prefix(64))).terminalSafe)\(key.unicodeScalars.count > 64 ? "…" : "")'"
        }
        return "the old store's scan after \(cursor.map(shown) ?? "the start") returned \(shown(key)), not after \(shown(previous)): "
            + "scan(after:limit:) must return keys strictly after the cursor, in increasing code point order (SQLite's ORDER BY, PostgreSQL's COLLATE \"C\"); nothing was copied or verified from this batch"
    }
}

/// Why a record reached the new store: kept with it, so counters can be checked against the store.
public enum CopyOrigin: String, Sendable {
    /// The application wrote it.
    case write
    /// A read missed in the new store and copied it from the old one.
    case miss
    /// The backfill copied it.
    case backfill
}

/// The new store, which can also hold tombstones and insert only when a key is absent.
public struct NewStore<Value: Sendable & Equatable>: Sendable {
    public var get: @Sendable (String) throws -> Stored<Value>?
    public var put: @Sendable (String, Stored<Value>, CopyOrigin) throws -> Void
    /// Inserts only if nothing (no value, no tombstone) is stored under the key; returns whether it did.
    public var putIfAbsent: @Sendable (String, Value, CopyOrigin) throws -> Bool
    /// Removes a key outright (no tombstone).
    public var delete: @Sendable (String) throws -> Void
    /// Removes every tombstone; returns how many.
    public var purgeTombstones: @Sendable () throws -> Int

    public init(
        get: @escaping @Sendable (String) throws -> Stored<Value>?, put: @escaping @Sendable (String, Stored<Value>, CopyOrigin) throws -> Void,
        putIfAbsent: @escaping @Sendable (String, Value, CopyOrigin) throws -> Bool, delete: @escaping @Sendable (String) throws -> Void,
        purgeTombstones: @escaping @Sendable () throws -> Int
    ) {
        self.get = get
        self.put = put
        self.putIfAbsent = putIfAbsent
        self.delete = delete
        self.purgeTombstones = purgeTombstones
    }
}
