import Foundation
import InMemoryLogging
import Logging
import MigrationClient
import MigrationCore
import TestSupport
import Testing

/// A running client follows the file at its path through damage, replacement and restores,
/// and never stops counting or reporting itself.
struct FileFollowingTests {
    let fixture: ControlFixture
    let path: String
    let logs = InMemoryLogHandler()
    let client: MigrationClient

    init() throws {
        fixture = try ControlFixture()
        path = fixture.store.location
        client = try MigrationClient(databasePath: path, refreshInterval: .milliseconds(20), flushInterval: .milliseconds(50),
                                     logger: Logger(label: "test") { [logs] _ in logs })
    }

    /// A fresh connection to whatever file is at the path now.
    func fresh() throws -> SQLiteControlStore { try SQLiteControlStore(path: path) }

    func logged(_ text: String) -> Bool { logs.entries.contains { $0.message.description.contains(text) } }

    /// Advances the file at the path now (not the fixture's connection, which may be on an old file).
    func advance(_ store: SQLiteControlStore) throws -> Int64 {
        let control = MigrationControl(store: store, signer: Operator(name: "t", host: "h"))
        let next = try store.plan().next(after: try store.state().phase)!
        if try store.state().rollout != .full { try control.perform(.setRollout(.full)) }
        return try control.perform(.advance(), authority: AdvanceAuthority(confirmation: next.id)).after.version
    }

    /// Counts reach the file at the path, the fleet row is there, and an advance is followed.
    func expectFollowing(counted: Int64) throws {
        let store = try fresh()
        #expect(eventually { (try? store.counterTotals()["hit"]) == counted }, "every count reached the file")
        #expect(eventually { (try? store.instances().map(\.id)) == [client.instanceID] }, "the fleet row is in the file")
        let version = try advance(store)
        #expect(eventually { client.current.state.version == version }, "the client follows the file's state")
    }

    @Test func aHeaderZeroedAndRestoredDoesNotWedgeTheClient() throws {
        defer { client.shutdown() }
        client.count("hit", by: 3)
        #expect(eventually { (try? fixture.store.instances().count) == 1 })
        let header = try FileFaults.zeroHeader(path)
        client.count("hit", by: 4)
        #expect(eventually { client.refreshErrors > 0 && logged("could not write counts and heartbeat") })
        try FileFaults.restore(header: header, of: path)
        client.count("hit", by: 5)
        try expectFollowing(counted: 12)
    }

    /// Backs the file up at version 1, then advances it past the backup and waits for the client.
    func backupThenAdvance() throws -> (backup: String, newer: Int64) {
        let backup = fixture.folder.appending(path: "backup.db").path
        try FileFaults.backup(path, to: backup)
        let newer = try advance(fixture.store)
        #expect(eventually { client.current.state.version == newer })
        return (backup, newer)
    }

    /// The client routes by the backup now at the path, said why, and counts into it.
    func expectFollowingTheBackup(newer: Int64) throws {
        #expect(eventually { client.current.state.version < newer }, "the client routes by the file's state, not the newer one it remembers")
        #expect(client.current.state.phase == "old-only")
        #expect(logged("is not the one this client had open: its state went back from version \(newer) to"))
        client.count("hit", by: 2)
        try expectFollowing(counted: 2)
        #expect((try fresh().counterTotals()["client.file.changed"] ?? 0) >= 1)
    }

    @Test func aFileReplacedByABackupIsReopenedAndFollowed() throws {
        defer { client.shutdown() }
        let (backup, newer) = try backupThenAdvance()
        let inode = try FileFaults.inode(path)
        try FileFaults.replace(path, with: backup)
        #expect(try FileFaults.inode(path) != inode)
        try expectFollowingTheBackup(newer: newer)
    }

    @Test func aFileOverwrittenInPlaceIsReadAgainAndFollowed() throws {
        defer { client.shutdown() }
        let (backup, newer) = try backupThenAdvance()
        try FileFaults.checkpoint(path)
        let inode = try FileFaults.inode(path)
        try FileFaults.overwrite(path, with: backup)
        #expect(try FileFaults.inode(path) == inode)
        try expectFollowingTheBackup(newer: newer)
    }
}
