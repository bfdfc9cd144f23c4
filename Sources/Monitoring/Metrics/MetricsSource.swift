import Foundation
import Logging
import MigrationCore
import Synchronization

/// Makes the exposition from the control store for each scrape, and survives the store (a
/// ``FollowedStore``): a read that fails answers `migctl_store_readable 0` (never a stale
/// figure), a SQLite file replaced or rewritten under it is reopened, and each new problem and
/// skipped row is logged once. A deleted file is unreadable until it is back.
///
/// ```swift
/// let source = MetricsSource(store: store, actor: "metrics@host", logger: logger)
/// let body = source.exposition()
/// ```
public final class MetricsSource: Sendable {
    /// How long a scrape waits for a lock another process holds on a SQLite file before it
    /// answers `migctl_store_readable 0`: well inside Prometheus's default scrape timeout (10 s),
    /// which would otherwise record a failed scrape and no figure at all.
    public static let lockWait: Duration = .seconds(2)

    private let followed: Mutex<FollowedStore>
    private let actor: String
    private let clock: (@Sendable () -> Date)?

    /// - Parameters:
    ///   - actor: who a gate preview considers to be advancing (an approval gate looks for someone else).
    ///   - clock: the time of each scrape; nil (the default) takes the store's clock, which soaks,
    ///     heartbeats and leases are measured by (on PostgreSQL, the server's), as every command does.
    public init(store: any ControlStore, actor: String, logger: Logger, clock: (@Sendable () -> Date)? = nil) {
        followed = Mutex(FollowedStore(store) { news in
            switch news {
            case .reopened(let change):
                logger.notice("the control store's file was \(change == .replaced ? "replaced" : "rewritten behind its back"); reopened it")
            case .failing(let problem):
                logger.error("cannot read the control store: \(problem.terminalSafe); answering migctl_store_readable 0 until it can")
            case .recovered:
                logger.notice("the control store can be read again")
            case .skippedRow(let row):
                logger.warning("skipped a row: \(row.terminalSafe)")
            }
        })
        self.actor = actor
        self.clock = clock
    }

    /// The exposition now, as the response body.
    public func exposition() -> [UInt8] {
        PrometheusExposition.bytes(snapshot())
    }

    /// A snapshot now, or nil when the store cannot be read (the reason is logged).
    public func snapshot() -> MetricsSnapshot? {
        let actor = actor, clock = clock
        return followed.withLock { followed in
            (try? followed.read { store in try MetricsSnapshot.read(from: store, actor: actor, now: clock?() ?? store.now()) }) ?? nil
        }
    }
}
