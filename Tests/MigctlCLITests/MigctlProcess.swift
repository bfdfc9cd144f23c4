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
