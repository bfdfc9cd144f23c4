import Foundation

/// What an operator or a failing disk does to a control database file while clients run.
enum FileFaults {
    /// Zeroes the first 100 bytes (SQLite's header) in place and returns what they were.
    static func zeroHeader(_ path: String) throws -> Data {
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? file.close() }
        let header = try file.read(upToCount: 100) ?? Data()
        try file.seek(toOffset: 0)
        try file.write(contentsOf: Data(count: header.count))
        try file.synchronize()
        return header
    }

    /// Writes `header` back over the start of the file, byte for byte.
    static func restore(header: Data, of path: String) throws {
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? file.close() }
        try file.seek(toOffset: 0)
        try file.write(contentsOf: header)
        try file.synchronize()
    }

    /// A consistent copy of a live database (SQLite's backup API), as an operator's backup job makes.
    static func backup(_ path: String, to copy: String) throws {
        try python("import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))", path, copy)
    }

    /// Moves everything in the WAL into the file and empties the WAL, as the last connection to
    /// close does: what makes copying over the file look safe to an operator.
    static func checkpoint(_ path: String) throws {
        try python("import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA wal_checkpoint(TRUNCATE)')", path)
    }

    /// `rm db db-wal db-shm; cp backup db`, as the error messages advise.
    static func replace(_ path: String, with backup: String) throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try FileManager.default.copyItem(atPath: backup, toPath: path)
    }

    /// `cp backup db` over the existing file: same inode, new bytes.
    static func overwrite(_ path: String, with backup: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: backup))
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? file.close() }
        try file.truncate(atOffset: 0)
        try file.write(contentsOf: bytes)
        try file.synchronize()
    }

    /// The inode of the file at `path`.
    static func inode(_ path: String) throws -> UInt64 {
        (try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
    }

    private static func python(_ script: String, _ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
