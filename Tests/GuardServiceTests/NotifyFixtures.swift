import Foundation
import GuardService
import Logging
import MigrationCore
import Synchronization
import TestSupport

/// `Fixtures/webhook_receiver.py` running on loopback: the requests it received, in order.
/// Killed when the test ends, whatever happens (``stop()``, also from `deinit`).
final class WebhookReceiver: Sendable {
    struct Request: Decodable {
        let method: String
        let path: String
        let headers: [String: String]
        let body: String
        /// The server name the client sent in its TLS hello; nil without TLS or without SNI.
        let sni: String?
    }

    let port: Int
    private let process: Process
    /// The receiver's stdin: it exits when this closes, so it cannot outlive the test process.
    private let lifeline = Pipe()
    private let log: String
    private let release: String

    /// - Parameters:
    ///   - failFirst: answer 500 to that many requests first.
    ///   - status: the answer after those.
    ///   - held: answer nothing until ``releaseHeld()``.
    ///   - bind: the address to listen on, IPv4 or IPv6.
    ///   - tls: serve https with this certificate.
    init(in folder: TemporaryDirectory, failFirst: Int = 0, status: Int = 200, held: Bool = false, bind: String = "127.0.0.1",
         tls: TestCertificate? = nil) throws {
        let name = UUID().uuidString
        log = folder.path("\(name).requests")
        release = folder.path("\(name).release")
        let stdout = folder.path("\(name).stdout")
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        guard let script = Bundle.module.url(forResource: "webhook_receiver", withExtension: "py", subdirectory: "Fixtures") else {
            throw FixtureError("Fixtures/webhook_receiver.py is not in the test bundle")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["python3", script.path, "--log", log, "--fail-first", "\(failFirst)", "--status", "\(status)", "--bind", bind]
        if held { arguments += ["--hold-until", release] }
        if let tls { arguments += ["--tls-cert", tls.certificate, "--tls-key", tls.key] }
        process.arguments = arguments + ["--stdin-lifeline"]
        process.standardOutput = FileHandle(forWritingAtPath: stdout)
        process.standardInput = lifeline
        try process.run()
        let port = eventually {
            (try? String(contentsOfFile: stdout, encoding: .utf8)).flatMap { $0.split(separator: "\n").first.flatMap { Int($0) } }
        }
        guard let port else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw FixtureError("the webhook receiver printed no port within 10 s")
        }
        self.port = port
    }

    /// The requests received so far, held ones included.
    var requests: [Request] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// Lets a `held` receiver answer.
    func releaseHeld() {
        _ = FileManager.default.createFile(atPath: release, contents: nil)
    }

    /// Kills the receiver (SIGKILL: a test runner's thread may have started it with SIGTERM blocked).
    func stop() {
        try? lifeline.fileHandleForWriting.close()
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// A self-signed certificate and its key, made by `openssl req -x509` in a test's folder.
struct TestCertificate {
    /// The PEM certificate: what a target given it as a trust root trusts.
    let certificate: String
    let key: String

    /// - Parameter names: the subject alternative names, as `DNS:localhost` or `IP:127.0.0.1`.
    init(in folder: TemporaryDirectory, names: [String]) throws {
        let name = UUID().uuidString
        certificate = folder.path("\(name).crt")
        key = folder.path("\(name).key")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-days", "2", "-subj", "/CN=migctl-guard-test", "-addext", "subjectAltName=\(names.joined(separator: ","))",
                             "-keyout", key, "-out", certificate]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0, FileManager.default.fileExists(atPath: certificate) else {
            throw FixtureError("openssl req -x509 exited with status \(process.terminationStatus)")
        }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A loopback port nothing listens on: bound, then closed.
func closedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw FixtureError("socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw FixtureError("bind: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A guard event numbered by its version; whole-second times so it survives the JSON round trip.
func event(_ version: Int64, kind: GuardEvent.Kind = .guardFired, text: String? = nil, facts: [String: String]? = nil) -> GuardEvent {
    GuardEvent(kind: kind, at: Date(timeIntervalSince1970: 1_790_000_000 + Double(version)), migration: "orders", phase: "read-new",
               rollout: "25%", version: version, text: text ?? "guard new-store-errors fired in read-new: 0.7% > 0.5% (event \(version))",
               facts: facts ?? ["guard": "new-store-errors", "observed": "0.007", "bound": "0.005"])
}

/// Reads ``GuardEvent/json`` back.
func decodeEvent(_ text: String) throws -> GuardEvent {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .custom { decoder in
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = Timestamp.date(text) else { throw FixtureError("not a timestamp: \(text)") }
        return date
    }
    return try decoder.decode(GuardEvent.self, from: Data(text.utf8))
}

/// Retries within milliseconds: 5, 10, 20, 20… ms, no jitter.
func fastRetry(attempts: Int = 3) -> RetrySchedule {
    RetrySchedule(first: .milliseconds(5), cap: .milliseconds(20), attempts: attempts, jitter: 0)
}

/// Every log entry a notifier made, for one test.
final class RecordedLogs: Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]

        /// The message and metadata as one text, to search for what must not be there.
        var allText: String { ([message] + metadata.map { "\($0.key)=\($0.value)" }).joined(separator: " ") }
    }

    private let recorded = Mutex<[Entry]>([])

    var entries: [Entry] { recorded.withLock { $0 } }

    var logger: Logger { Logger(label: "notify-test") { _ in Handler(logs: self) } }

    fileprivate func append(_ entry: Entry) { recorded.withLock { $0.append(entry) } }

    private struct Handler: LogHandler {
        let logs: RecordedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            logs.append(Entry(level: event.level, message: event.message.description,
                              metadata: merged.mapValues { "\($0)" }))
        }
    }
}

/// A notifier's one target's stats, polled until `condition` holds; the last seen otherwise.
func stats(of notifier: Notifier, _ index: Int = 0, until condition: (NotifierStats) -> Bool) -> NotifierStats {
    var last = notifier.stats[index]
    _ = eventually {
        last = notifier.stats[index]
        return condition(last)
    }
    return last
}
