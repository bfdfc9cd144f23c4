import Foundation
import MigrationCore

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
    private let process: ChildProcess
    /// The write end of the child's stdin: it rolls back and exits when this closes.
    private let input: FileHandle

    /// Returns once the lock is held.
    public init(path: String) throws {
        let (stdin, input) = try ChildProcess.pipe()
        let (output, stdout) = try ChildProcess.pipe()
        let process = try ChildProcess("/usr/bin/env", ["python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            print("locked", flush=True)
            sys.stdin.read()
            db.execute("ROLLBACK")
            """, path], stdin: .descriptor(stdin.fileDescriptor), stdout: .descriptor(stdout.fileDescriptor),
            stderr: .descriptor(STDERR_FILENO))
        try stdin.close()
        try stdout.close()
        let line = output.readData(ofLength: 7)
        guard String(decoding: line, as: UTF8.self) == "locked\n" else {
            process.signal(SIGKILL)
            process.waitUntilExit()
            throw CocoaError(.fileLocking)
        }
        self.process = process
        self.input = input
    }

    /// Ends the transaction and waits for the child to exit.
    public func release() {
        guard process.isRunning else { return }
        try? input.close()
        process.waitUntilExit()
    }

    deinit { release() }
}
