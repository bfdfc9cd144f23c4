import Foundation
import MigrationCore
import PostgresStore

/// The control store as a command that reads it until stopped sees it (`status --watch`,
/// `log --follow`): it keeps going through trouble, and says so once.
///
/// - A SQLite file replaced or rewritten under the connection (a backup restored, a file moved
///   into place) is reopened, read-only, before the next read.
/// - A read that fails (a lock held too long, a lost PostgreSQL connection, a file that is no
///   longer a control database) prints one `migctl:` line on stderr per distinct problem, and
///   one line when reads work again; the caller tries again at its next turn.
/// - Rows skipped because they hold values migctl cannot use are reported once each.
/// - A file that is gone ends the watch (``Ended``): there is nothing left to watch, and a
///   command that waited for it forever would hide that from the script or person running it.
///
/// ```swift
/// let watched = WatchedStore(try store.open())
/// if let state = try watched.read({ try $0.state() }) { … }   // nil: reported, try again later
/// ```
final class WatchedStore {
    /// Why the watch cannot go on; exit 1.
    struct Ended: Error, CustomStringConvertible {
        let description: String
    }

    private(set) var store: any ControlStore
    private var lastProblem: String?
    private var reportedRows: Set<String> = []

    /// How many distinct skipped rows are reported (a hostile table could hold millions).
    static let reportedRowLimit = 100

    init(_ store: any ControlStore) {
        self.store = store
    }

    /// `body` run on the store, or nil when it could not be read (reported on stderr).
    /// - Throws: ``Ended`` when the store's file was deleted, or when `body` throws it.
    func read<T>(_ body: (any ControlStore) throws -> T) throws(Ended) -> T? {
        if let change = store.fileChangeSinceOpening() {
            let location = store.location
            if change == .replaced, !PostgresURL.isURL(location), !FileManager.default.fileExists(atPath: location) {
                throw Ended(description: "\(location) was deleted while it was watched; there is nothing left to watch")
            }
            do {
                store = try store.reopen(readOnly: true)
            } catch {
                report("\(error)")
                return nil
            }
        }
        do {
            let value = try body(store)
            if lastProblem != nil {
                printError("reading \(store.location) again")
                lastProblem = nil
            }
            reportSkippedRows()
            return value
        } catch let ended as Ended {
            throw ended
        } catch {
            reportSkippedRows()
            report("\(error)")
            return nil
        }
    }

    private func report(_ problem: String) {
        // A server link that keeps failing says when it tries next: the same problem, counting down.
        let same = problem.replacingOccurrences(of: #" \(next try in [^)]*\)"#, with: "", options: .regularExpression)
        guard lastProblem != same else { return }
        lastProblem = same
        printError("\(problem) (still trying)")
    }

    private func reportSkippedRows() {
        for problem in store.takeRowProblems() {
            let text = problem.description
            guard reportedRows.count < Self.reportedRowLimit, reportedRows.insert(text).inserted else { continue }
            printError("warning: \(text); that row was skipped.")
        }
    }
}
