/// How the file behind a connection changed since the connection opened it.
public enum FileChange: Sendable, Equatable {
    /// Another file is at the path, or none: the connection still reads the old one.
    case replaced
    /// The same file, written since: by a checkpoint (harmless) or behind the store's back
    /// (a backup copied over it), which leaves the connection's cache describing another database.
    case rewritten
}

extension ControlStore {
    /// A store that is not a file (a server) has nothing to reopen: its own connections
    /// already follow the server, so it serves every job itself.
    public func reopen(readOnly: Bool) throws(ControlStoreError) -> any ControlStore { self }

    /// A store that is not a file cannot be replaced under its connection.
    public func fileChangeSinceOpening() -> FileChange? { nil }
}
