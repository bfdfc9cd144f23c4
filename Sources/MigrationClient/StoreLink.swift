import MigrationCore
import Synchronization

/// One connection to the control database for one job (reading the state, or writing counts)
/// that follows the file at its path.
///
/// It opens a new connection when the file there is no longer the one it opened (replaced by
/// a backup, or written behind SQLite's back) and after any failure, since a connection that
/// failed once may keep failing (a file whose header was zeroed and restored). Each failure in
/// a row doubles the wait before the next try, up to a cap, so a lost database costs a few
/// attempts a minute rather than a busy loop, and the first success resets it.
final class StoreLink: Sendable {
    /// Why ``StoreLink/connection()`` opened a new connection.
    enum Reopening: Equatable {
        /// The last use failed, or another job asked for it.
        case afterFailure
        /// The file at the path changed (see ``FileChange``).
        case file(FileChange)
    }

    private struct Link {
        var store: any ControlStore
        /// Replace the connection at its next use.
        var stale = false
        var failures = 0
    }

    private let link: Mutex<Link>
    private let readOnly: Bool

    /// - Parameter readOnly: the job only reads: it gets a read-only connection of its own, which
    ///   never waits for the write lock; a writer starts with `store` itself.
    init(_ store: any ControlStore, readOnly: Bool) throws(ControlStoreError) {
        self.readOnly = readOnly
        link = Mutex(Link(store: readOnly ? try store.reopen(readOnly: true) : store))
    }

    /// The connection in use now, which the next ``connection()`` may replace.
    var store: any ControlStore { link.withLock { $0.store } }

    /// The connection to use now: the same one, or a new one when the file changed or the last
    /// use failed.
    /// - Returns: the connection, and why it is a new one (what was read before may describe
    ///   another file), or nil.
    func connection() throws(ControlStoreError) -> (store: any ControlStore, reopened: Reopening?) {
        try link.withLock { link throws(ControlStoreError) in
            let change = link.store.fileChangeSinceOpening()
            guard link.stale || change != nil else { return (link.store, nil) }
            link.store = try link.store.reopen(readOnly: readOnly)
            link.stale = false
            return (link.store, change.map(Reopening.file) ?? .afterFailure)
        }
    }

    /// The connection failed: replace it at its next use, and wait longer before that.
    func failed() {
        link.withLock { link in
            link.stale = true
            link.failures += 1
        }
    }

    /// How many uses failed since the last success.
    var failuresInARow: Int { link.withLock { $0.failures } }

    /// The connection worked: back to the normal pace.
    func succeeded() { link.withLock { $0.failures = 0 } }

    /// Replace the connection at its next use (another job saw the file change).
    func invalidate() { link.withLock { $0.stale = true } }

    /// How long to wait before the next use: `interval`, doubled for each failure in a row,
    /// up to the larger of `interval` and five seconds.
    func delay(after interval: Duration) -> Duration {
        let failures = link.withLock { $0.failures }
        return min(interval * (1 << min(failures, 16)), max(interval, .seconds(5)))
    }
}
