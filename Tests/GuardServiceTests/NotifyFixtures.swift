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
    private let server: PythonFixture
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
        guard let script = Bundle.module.url(forResource: "webhook_receiver", withExtension: "py", subdirectory: "Fixtures") else {
            throw FixtureError("Fixtures/webhook_receiver.py is not in the test bundle")
        }
        var arguments = ["--log", log, "--fail-first", "\(failFirst)", "--status", "\(status)", "--bind", bind]
        if held { arguments += ["--hold-until", release] }
        if let tls { arguments += ["--tls-cert", tls.certificate, "--tls-key", tls.key] }
        server = try PythonFixture(script: script, arguments: arguments, in: folder)
        port = server.port
    }

    /// The requests received so far, held ones included.
    var requests: [Request] { PythonFixture.jsonLines(log) }

    /// Lets a `held` receiver answer.
    func releaseHeld() {
        _ = FileManager.default.createFile(atPath: release, contents: nil)
    }

    /// Kills the receiver.
    func stop() {
        server.stop()
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A loopback port that refuses connections while the returned value lives (keep it alive).
func closedPort() throws -> RefusingPort {
    try RefusingPort()
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
