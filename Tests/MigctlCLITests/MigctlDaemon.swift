import Foundation
import TestSupport

/// A long-running migctl command (metrics, statsd, a watch), its stdout and stderr each in a
/// file of the test's folder. ``stop()`` SIGKILLs it if it still runs; tests call it in a
/// `defer`, and `deinit` does too.
final class MigctlDaemon {
    let process: Process
    private let outPath: String
    private let errPath: String

    init(_ migctl: MigctlProcess, _ arguments: [String], name: String) throws {
        outPath = migctl.folder.appending(path: "\(name).out").path
        errPath = migctl.folder.appending(path: "\(name).err").path
        for path in [outPath, errPath] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process = try migctl.start(arguments)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        try out.close()
        try err.close()
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
        kill(process.processIdentifier, signal)
    }

    /// Whether it exited within `limit`.
    func exited(within limit: Duration) -> Bool {
        guard eventually(within: limit, { !process.isRunning }) else { return false }
        process.waitUntilExit()
        return true
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
