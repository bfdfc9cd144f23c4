import Foundation

/// A control store that a process reads again and again until it is stopped (`status
/// --watch`, `log --follow`, `migctl metrics`): it keeps going through trouble, and tells of
/// each kind of trouble once.
///
/// - A SQLite file replaced or rewritten under the connection (a backup restored, a file moved
///   into place) is reopened, read-only, before the next read.
/// - A read that fails (a lock held too long, a lost PostgreSQL connection, a file that is no
///   longer a control database) is told once per distinct problem, and again once reads work;
///   the caller tries again at its next turn. A server link's countdown ("next try in 0.4s")
///   does not make a problem new.
/// - Rows skipped because they hold values migctl cannot use are told once each.
///
/// Whether a deleted file ends the reading is the caller's choice (``fileIsGone``): a watch
/// ends, an exporter answers "unreadable" until the file is back.
///
/// ```swift
/// let followed = FollowedStore(try ControlStores.open(path)) { news in log(news) }
/// if let state = try followed.read({ try $0.state() }) { … }   // nil: told, try again later
/// ```
public final class FollowedStore {
    /// What the reader should tell its operator.
    public enum News: Sendable, Equatable {
        /// The file was replaced or rewritten, and the store reopened.
        case reopened(FileChange)
        /// A read failed, for a reason not told since the last success.
        case failing(String)
        /// Reads work again after ``failing(_:)``.
        case recovered
        /// A row was skipped (at most ``toldRowLimit`` distinct ones are told).
        case skippedRow(String)
    }

    public private(set) var store: any ControlStore
    private let tell: (News) -> Void
    private var lastProblem: String?
    private var toldRows: Set<String> = []

    /// How many distinct skipped rows are told (a hostile table could hold millions).
    public static let toldRowLimit = 100

    public init(_ store: any ControlStore, tell: @escaping (News) -> Void) {
        self.store = store
        self.tell = tell
    }

    /// Whether the SQLite file the store was opened from is no longer at its path (never for a server).
    public var fileIsGone: Bool {
        store.fileChangeSinceOpening() == .replaced && !FileManager.default.fileExists(atPath: store.location)
    }

    /// `body` run on the store, or nil when it could not be read (told).
    /// - Throws: only what `body` throws that ends the following (``EndsFollowing``); every other
    ///   error is told and gives nil.
    public func read<T>(_ body: (any ControlStore) throws -> T) throws -> T? {
        if let change = store.fileChangeSinceOpening() {
            do {
                store = try store.reopen(readOnly: true)
                tell(.reopened(change))
            } catch {
                report("\(error)")
                return nil
            }
        }
        do {
            let value = try body(store)
            if lastProblem != nil {
                lastProblem = nil
                tell(.recovered)
            }
            tellSkippedRows()
            return value
        } catch let ending as any EndsFollowing {
            throw ending
        } catch {
            tellSkippedRows()
            report("\(error)")
            return nil
        }
    }

    private func report(_ problem: String) {
        let same = problem.replacingOccurrences(of: #" \(next try in [^)]*\)"#, with: "", options: .regularExpression)
        guard lastProblem != same else { return }
        lastProblem = same
        tell(.failing(problem))
    }

    private func tellSkippedRows() {
        for problem in store.takeRowProblems() {
            let text = problem.description
            guard toldRows.count < Self.toldRowLimit, toldRows.insert(text).inserted else { continue }
            tell(.skippedRow(text))
        }
    }
}

/// An error that ends a ``FollowedStore``'s reading rather than being told and retried (the
/// history a follower printed is gone, say).
public protocol EndsFollowing: Error {}
