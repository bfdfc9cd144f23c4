import Foundation
import MigrationCore
import TestSupport

/// A long-running migctl command (metrics, statsd, a watch), its stdout and stderr each in a
/// file of the test's folder. It starts as every test child does (``ChildProcess``: no signal
/// blocked, every signal at its default action, no descriptor of the test's, so it never holds
/// another test's pipe open). ``stop()`` SIGKILLs it if it still runs; tests call it in a
/// `defer`, and `deinit` does too.
final class MigctlDaemon {
    let process: ChildProcess
    private let outPath: String
    private let errPath: String

    init(_ migctl: MigctlProcess, _ arguments: [String], name: String) throws {
        outPath = migctl.folder.appending(path: "\(name).out").path
        errPath = migctl.folder.appending(path: "\(name).err").path
        process = try ChildProcess(MigctlProcess.binary.path, arguments, environment: migctl.environment, directory: migctl.folder.path,
                                   stdout: .file(outPath), stderr: .file(errPath))
    }

    /// Everything it printed on stdout so far.
    var output: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    /// Everything it logged on stderr so far.
    var log: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    /// The first `host:port` it printed after `prefix` (a listener's bound address), once it has.
    func address(after prefix: String, within limit: Duration = .seconds(30)) -> String? {
        eventually(within: limit) { () -> String? in
            guard let range = output.range(of: prefix) else { return nil }
            let rest = output[range.upperBound...]
            let address = rest.prefix { !$0.isWhitespace && $0 != "/" }
            return address.contains(":") && rest.dropFirst(address.count).first != nil ? String(address) : nil
        }
    }

    /// Its process id, as a lease row or a fleet row records it.
    var pid: Int64 { Int64(process.processIdentifier) }

    func signal(_ signal: Int32) {
        process.signal(signal)
    }

    /// Whether it exited within `limit`.
    func exited(within limit: Duration) -> Bool {
        eventually(within: limit) { !process.isRunning }
    }

    func stop() {
        guard process.isRunning else { return }
        process.signal(SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
