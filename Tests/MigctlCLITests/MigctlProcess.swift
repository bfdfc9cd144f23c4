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

    /// Runs migctl to its end, its stdin `stdin` (or /dev/null), its output read from files
    /// (``runToEnd(_:_:environment:directory:stdin:)``: it starts with no signal blocked and no
    /// descriptor of the test's, and nothing it leaves running can hold the test up).
    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        let output = runToEnd(Self.binary.path, arguments, environment: environment, directory: folder.path, stdin: stdin)
        guard output.status >= 0 else { throw CLIError(message: output.stderr) }
        return Result(status: output.status, stdout: output.stdout, stderr: output.stderr)
    }

    /// A configured but not yet started process, for tests that race several or give it
    /// pipes; it starts with no signal blocked (``UnblockedProcess``).
    func start(_ arguments: [String]) throws -> Process {
        let process = UnblockedProcess()
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
        runToEnd("/usr/bin/sqlite3", [folder.appending(path: database).path, ".dump"], environment: environment).stdout
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
        let output = runToEnd("/usr/bin/sqlite3", ["-bail", folder.appending(path: database).path, statements], environment: environment)
        return SQLResult(status: output.status, stdout: output.stdout, stderr: output.stderr)
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
