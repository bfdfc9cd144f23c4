import Foundation

/// Which process holds a SQLite database's write lock, when Linux's `/proc/locks` can tell.
///
/// In WAL mode the writer holds a POSIX write lock on byte 120 of the `-shm` file (SQLite's
/// `WAL_WRITE_LOCK`); `/proc/locks` lists it with the holder's pid, and `/proc/PID/cmdline`
/// names the program. Elsewhere (another OS, another user's process hidden from us) it
/// says nothing rather than guess.
enum LockHolder {
    /// `pid 4242 (python3 writer.py)`, or nil.
    static func describe(databasePath path: String) -> String? {
        var info = stat()
        guard stat(path + "-shm", &info) == 0,
              let locks = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return nil }
        for line in locks.split(separator: "\n") {
            // 1: POSIX  ADVISORY  WRITE 4242 fd:01:1234567 120 120
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 8, fields[1] == "POSIX", fields[3] == "WRITE",
                  let pid = Int32(fields[4]), fields[5].split(separator: ":").last.flatMap({ UInt64($0) }) == UInt64(info.st_ino),
                  fields[6] == "120" else { continue }
            let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")))
                .map { String(decoding: $0, as: UTF8.self).split(separator: "\0").joined(separator: " ") } ?? ""
            return command.isEmpty ? "pid \(pid)" : "pid \(pid) (\(command.prefix(80)))"
        }
        return nil
    }
}
