import Foundation
import MigrationCore

/// A python3 server script from a test bundle (a webhook receiver, an exporter, a fake
/// Prometheus), running on loopback for one test. It prints its port as the first line of its
/// stdout and takes `--stdin-lifeline`: it exits when its stdin closes, so it never outlives
/// the test process, and it is killed by ``stop()`` or `deinit` whatever happens.
///
/// ```swift
/// let server = try PythonFixture(script: Bundle.module.url(forResource: "promql_fixture", withExtension: "py",
///                                                          subdirectory: "Fixtures")!, arguments: ["silent"], in: folder)
/// defer { server.stop() }
/// ```
public final class PythonFixture: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let port: Int
    private let process: ChildProcess
    /// The write end of the script's stdin: it exits when this closes.
    private let lifeline: FileHandle

    /// Starts `python3 script arguments --stdin-lifeline` and waits up to 10 s for its port.
    /// - Throws: ``Failure`` when it prints no port (it is killed then).
    public init(script: URL, arguments: [String], in folder: TemporaryDirectory) throws {
        let stdout = folder.path("\(UUID().uuidString).stdout")
        let (input, lifeline) = try ChildProcess.pipe()
        let process = try ChildProcess("/usr/bin/env", ["python3", script.path] + arguments + ["--stdin-lifeline"],
                                       stdin: .descriptor(input.fileDescriptor), stdout: .file(stdout), stderr: .descriptor(STDERR_FILENO))
        try input.close()
        let port = eventually {
            (try? String(contentsOfFile: stdout, encoding: .utf8)).flatMap { $0.split(separator: "\n").first.flatMap { Int($0) } }
        }
        guard let port else {
            process.signal(SIGKILL)
            process.waitUntilExit()
            throw Failure(description: "\(script.lastPathComponent) printed no port within 10 s")
        }
        self.port = port
        self.process = process
        self.lifeline = lifeline
    }

    /// Ends the script: its stdin closes, and it is killed (SIGKILL) if it still runs.
    public func stop() {
        try? lifeline.close()
        if process.isRunning {
            process.signal(SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    /// The lines of the file at `path` that decode as `T` (a fixture's request log), in order.
    public static func jsonLines<T: Decodable>(_ path: String, as type: T.Type = T.self) -> [T] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }
}
