import Foundation
import Logging
import MigrationCore
import Synchronization

/// Makes the exposition from the control store for each scrape, and survives the store: a
/// read that fails answers `migctl_store_readable 0` (never a stale figure), a SQLite file
/// replaced or rewritten under it is reopened, and each new problem is logged once.
///
/// ```swift
/// let source = MetricsSource(store: store, actor: "metrics@host", logger: logger)
/// let body = source.exposition()
/// ```
public final class MetricsSource: Sendable {
    private let state: Mutex<State>
    private let actor: String
    private let logger: Logger
    private let clock: @Sendable () -> Date

    private struct State {
        var store: any ControlStore
        var lastProblem: String?
        var loggedRowProblems: Set<String> = []
    }

    /// How many distinct skipped-row warnings are logged (a hostile table could hold millions).
    static let loggedRowProblemLimit = 100

    /// - Parameters:
    ///   - actor: who a gate preview considers to be advancing (an approval gate looks for someone else).
    ///   - clock: the time of each scrape (tests give their own).
    public init(store: any ControlStore, actor: String, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }) {
        state = Mutex(State(store: store))
        self.actor = actor
        self.logger = logger
        self.clock = clock
    }

    /// The exposition now, as the response body.
    public func exposition() -> [UInt8] {
        PrometheusExposition.bytes(snapshot())
    }

    /// A snapshot now, or nil when the store cannot be read (the reason is logged).
    public func snapshot() -> MetricsSnapshot? {
        state.withLock { state in
            if let change = state.store.fileChangeSinceOpening() {
                do {
                    state.store = try state.store.reopen(readOnly: true)
                    logger.notice("the control store's file was \(change == .replaced ? "replaced" : "rewritten behind its back"); reopened it")
                } catch {
                    report("\(error)", in: &state)
                    return nil
                }
            }
            do {
                let snapshot = try MetricsSnapshot.read(from: state.store, actor: actor, now: clock())
                if state.lastProblem != nil {
                    logger.notice("the control store can be read again")
                    state.lastProblem = nil
                }
                for problem in state.store.takeRowProblems() {
                    let text = problem.description
                    guard state.loggedRowProblems.count < Self.loggedRowProblemLimit, state.loggedRowProblems.insert(text).inserted else { continue }
                    logger.warning("skipped a row: \(text.terminalSafe)")
                }
                return snapshot
            } catch {
                report("\(error)", in: &state)
                return nil
            }
        }
    }

    private func report(_ problem: String, in state: inout State) {
        guard state.lastProblem != problem else { return }
        state.lastProblem = problem
        logger.error("cannot read the control store: \(problem.terminalSafe); answering migctl_store_readable 0 until it can")
    }
}
