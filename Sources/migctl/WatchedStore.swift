import Foundation
import MigrationCore

/// The control store as a command that reads it until stopped sees it (`status --watch`,
/// `log --follow`): a ``FollowedStore`` whose news are `migctl:` lines on stderr, and which ends
/// (exit 1) when its file is deleted: there is nothing left to watch, and a command that waited
/// for it forever would hide that from the script or person running it.
///
/// ```swift
/// let watched = WatchedStore(try store.open())
/// if let state = try watched.read({ try $0.state() }) { … }   // nil: reported, try again later
/// ```
final class WatchedStore {
    /// Why the watch cannot go on; exit 1.
    struct Ended: EndsFollowing, CustomStringConvertible {
        let description: String
    }

    private let followed: FollowedStore

    init(_ store: any ControlStore) {
        let location = store.location
        followed = FollowedStore(store) { news in
            switch news {
            case .reopened: break
            case .failing(let problem): printError("\(problem) (still trying)")
            case .recovered: printError("reading \(location) again")
            case .skippedRow(let row): printError("warning: \(row); that row was skipped.")
            }
        }
    }

    var store: any ControlStore { followed.store }

    /// `body` run on the store, or nil when it could not be read (reported on stderr).
    /// - Throws: ``Ended`` when the store's file was deleted, or when `body` throws it.
    func read<T>(_ body: (any ControlStore) throws -> T) throws -> T? {
        if followed.fileIsGone {
            throw Ended(description: "\(followed.store.location) was deleted while it was watched; there is nothing left to watch")
        }
        return try followed.read(body)
    }
}
