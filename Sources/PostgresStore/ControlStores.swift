import MigrationCore

/// Opening the control store a `--db` value names: a `postgresql://` or `postgres://` URL
/// means the PostgreSQL store, anything else a SQLite file's path.
public enum ControlStores {
    /// Opens the store at `location`.
    /// - Parameters:
    ///   - allowOlderSchema: only `upgrade` opens an older schema.
    ///   - lockWait: how long a SQLite file's reads and writes wait for another process's lock.
    public static func open(_ location: String, allowOlderSchema: Bool = false,
                            lockWait: Duration = .seconds(10)) throws(ControlStoreError) -> any ControlStore {
        guard PostgresURL.isURL(location) else {
            return try SQLiteControlStore(path: location, allowOlderSchema: allowOlderSchema, lockWait: lockWait)
        }
        let url: PostgresURL
        do {
            url = try PostgresURL(location)
        } catch {
            throw .badLocation(error.description)
        }
        return try PostgresControlStore(url: url, allowOlderSchema: allowOlderSchema)
    }
}
