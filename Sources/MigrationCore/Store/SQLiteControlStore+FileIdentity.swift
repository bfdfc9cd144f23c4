import Foundation

extension SQLiteControlStore {
    /// A new connection to the file at ``location``, read-only if asked, checked as
    /// ``init(path:allowOlderSchema:readOnly:)`` checks any file.
    public func reopen(readOnly: Bool) throws(ControlStoreError) -> any ControlStore {
        try SQLiteControlStore(path: location, readOnly: readOnly, lockWait: lockWait)
    }

    /// How the file at ``location`` differs from the one this connection opened: another file
    /// (another device or inode, or none), or the same file with another size or modification
    /// time. SQLite's own commits go to the WAL and leave the file alone, so a rewrite means a
    /// checkpoint (harmless) or a write behind SQLite's back (a backup copied over it).
    /// One `stat`, about a microsecond: cheap enough before every use by a long-lived process.
    public func fileChangeSinceOpening() -> FileChange? {
        let now = FileMark(path: location)
        guard now != openedFile else { return nil }
        guard let now, let openedFile, now.device == openedFile.device, now.inode == openedFile.inode else { return .replaced }
        return .rewritten
    }
}

/// What a `stat` says of a file: which file it is and when it was last written.
struct FileMark: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modifiedSeconds: Int
    let modifiedNanoseconds: Int

    /// nil when nothing is at `path`.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modifiedSeconds = Int(info.st_mtim.tv_sec)
        modifiedNanoseconds = Int(info.st_mtim.tv_nsec)
    }
}
