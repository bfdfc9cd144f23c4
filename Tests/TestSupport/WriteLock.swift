import Foundation

/// Another process holding the control database's write lock, as a long transaction or a
/// stalled writer elsewhere in the fleet would: `BEGIN IMMEDIATE` in a `python3` child until
/// ``release()``.
///
/// ```swift
/// let lock = try WriteLock(path: under.db)
/// …   // writes fail after their lock wait
/// lock.release()
/// ```
public final class WriteLock {
    private let process = Process()
    private let input = Pipe()

    /// Returns once the lock is held.
    public init(path: String) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            print("locked", flush=True)
            sys.stdin.read()
            db.execute("ROLLBACK")
            """, path]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let line = output.fileHandleForReading.readData(ofLength: 7)
        guard String(decoding: line, as: UTF8.self) == "locked\n" else { throw CocoaError(.fileLocking) }
    }

    /// Ends the transaction and waits for the child to exit.
    public func release() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    deinit { release() }
}
