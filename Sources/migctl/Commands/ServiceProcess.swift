import Foundation
import MigrationCore

/// Why the interactive demo could not run its service (exit code 7).
enum DemoError: Error, CustomStringConvertible {
    case serviceDidNotStart(log: String, tail: String)

    var description: String {
        switch self {
        case .serviceDidNotStart(let log, let tail):
            "the demo service did not start; see \(log)" + (tail.isEmpty ? "." : ":\n\(tail)")
        }
    }
}

/// The demo's service running as a child process (`migctl simulate`), writing to its log.
struct ServiceProcess {
    let child: ChildProcess
    let log: String
    /// How long the service may take to stop and check the invariants before it is killed.
    var stopTimeout: TimeInterval = 120

    /// Waits until the service reports to the fleet, which it does before seeding.
    /// - Throws: ``DemoError/serviceDidNotStart(log:tail:)`` if it exits or takes longer than `timeout`.
    func waitUntilInFleet(_ store: any ControlStore, timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try store.instances().isEmpty {
            guard child.isRunning, Date() < deadline else { throw DemoError.serviceDidNotStart(log: log, tail: tail()) }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// Asks the service to stop (SIGTERM), waits for its report, kills it if it does not come
    /// within ``stopTimeout``, and prints how it ended. Returns whether it exited 0.
    @discardableResult
    func stop() -> Bool {
        if child.isRunning { child.terminate() }
        let deadline = Date().addingTimeInterval(stopTimeout)
        while child.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if child.isRunning {
            child.signal(SIGKILL)
            child.waitUntilExit()
            say("demo: the service did not stop within \(Int(stopTimeout)) s and was killed; its log (\(log)):\n\(tail())")
            return false
        }
        let ended = child.terminationReason == .exit ? "exited \(child.terminationStatus)" : "was killed by signal \(child.terminationStatus)"
        say("demo: the service stopped (\(ended)); its report (\(log)):\n\(tail())")
        return child.terminationReason == .exit && child.terminationStatus == 0
    }

    /// The log's last lines.
    func tail(_ lines: Int = 3) -> String {
        (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").suffix(lines).joined(separator: "\n") ?? ""
    }
}
