import Foundation
import TestSupport

/// Runs the built `migctl` binary the way an operator or a script would.
struct MigctlProcess {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The `migctl` built beside this test bundle.
    static let binary: URL = {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return me.deletingLastPathComponent().appending(path: "migctl")
    }()

    let folder: URL
    var environment: [String: String] = ["MIGCTL_ACTOR": "tester", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]

    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        let process = try start(arguments)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }

    /// A configured but not yet started process, for tests that race several.
    func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.environment = environment
        return process
    }

    /// Runs and decodes stdout as JSON.
    func json(_ arguments: [String]) throws -> Any {
        let result = try run(arguments)
        guard result.status == 0 else { throw CLIError(message: "exit \(result.status): \(result.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    /// A logical dump of a database file, to prove a command changed nothing in it.
    func dump(_ database: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [folder.appending(path: database).path, ".dump"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

struct CLIError: Error {
    let message: String
}

extension MigctlProcess {
    struct SQLResult {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs SQL on a database in the folder with the `sqlite3` shell, as a foreign writer would.
    @discardableResult
    func sqlite3(_ statements: String, database: String = "migctl.db") throws -> SQLResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = ["-bail", folder.appending(path: database).path, statements]
        let err = Pipe(), out = Pipe()
        process.standardError = err
        process.standardOutput = out
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return SQLResult(status: process.terminationStatus, stdout: output, stderr: message)
    }

    /// Drops the rules the database defends its contract with (every trigger but the counter
    /// roll-ups), as whoever can write the file can; readers must survive what follows.
    func dropRules(database: String = "migctl.db") throws {
        let names = try sqlite3("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name NOT LIKE 'counters_roll_up%'",
                                database: database).stdout
        let drops = names.split(separator: "\n").map { "DROP TRIGGER \"\($0)\";" }.joined()
        guard !drops.isEmpty else { return }
        let result = try sqlite3(drops, database: database)
        guard result.status == 0 else { throw CLIError(message: "sqlite3: \(result.stderr)") }
    }

    /// Drops the rules, then runs `statements`, failing the test if sqlite3 refuses them.
    func sqlAsAttacker(_ statements: String, database: String = "migctl.db") throws {
        try dropRules(database: database)
        let result = try sqlite3(statements, database: database)
        guard result.status == 0 else { throw CLIError(message: "sqlite3: \(result.stderr)") }
    }
}
