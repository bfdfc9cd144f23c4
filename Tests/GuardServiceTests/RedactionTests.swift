import Foundation
import GuardService
import MigrationCore
import TestSupport
import Testing

/// A webhook URL's path and query carry tokens: they never reach stats, logs or refusals.
@Suite(.timeLimit(.minutes(2)))
struct RedactionTests {
    let folder = TemporaryDirectory()
    let logs = RecordedLogs()
    let secrets = ["T0SECRET", "B0SECRET", "XXTOKENXX", "QUERYKEY", "alice", "hunter2"]

    func leaked(_ text: String) -> [String] { secrets.filter { text.contains($0) } }

    @Test func statsAndLogsShowSchemeHostAndPortOnly() throws {
        let closed = try closedPort(), port = closed.port
        defer { withExtendedLifetime(closed) {} }
        let failing = try WebhookReceiver(in: folder, status: 500)
        defer { failing.stop() }
        let path = "/services/T0SECRET/B0SECRET/XXTOKENXX?key=QUERYKEY"
        let targets = [try WebhookTarget(url: "http://alice:hunter2@127.0.0.1:\(port)\(path)", format: .slack),
                       try WebhookTarget(url: "http://127.0.0.1:\(failing.port)\(path)#QUERYKEY", format: .json)]
        #expect(targets.map(\.name) == ["webhook http://127.0.0.1:\(port)/…", "webhook http://127.0.0.1:\(failing.port)/…"])
        let notifier = Notifier(targets: targets, retry: fastRetry(attempts: 2), logger: logs.logger)
        defer { notifier.stop() }
        notifier.send(event(1))

        #expect(eventually { notifier.stats.allSatisfy { $0.failed == 1 } })
        #expect(failing.requests.first?.path == "/services/T0SECRET/B0SECRET/XXTOKENXX?key=QUERYKEY", "the secret is used, only not shown")
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let statsJSON = String(decoding: try encoder.encode(notifier.stats), as: UTF8.self)
        #expect(leaked(statsJSON) == [], "\(statsJSON)")
        #expect(notifier.stats.map(\.lastError) == ["could not connect to 127.0.0.1:\(port).", "the webhook answered HTTP 500."])
        let levels = logs.entries.map(\.level)
        #expect(levels.filter { $0 == .warning }.count == 2 && levels.filter { $0 == .error }.count == 2)
        for entry in logs.entries {
            #expect(leaked(entry.allText) == [], "\(entry.allText)")
            #expect(entry.allText.contains("webhook http://127.0.0.1:"), "each line names its target, redacted")
        }
    }

    @Test func aTargetWithoutAPathShowsNoEllipsis() throws {
        #expect(try WebhookTarget(url: "https://hooks.example.com").name == "webhook https://hooks.example.com")
        #expect(try WebhookTarget(url: "https://hooks.example.com:8443/").name == "webhook https://hooks.example.com:8443")
        #expect(try WebhookTarget(url: "HTTPS://[::1]:9/x").name == "webhook https://[::1]:9/…")
    }

    @Test(arguments: [
        ("ftp://files.example.com/T0SECRET", "the webhook URL's scheme is 'ftp'; a webhook must be an http:// or https:// URL with a host."),
        ("hooks.slack.com/services/T0SECRET/B0SECRET/XXTOKENXX", "the webhook URL has no scheme; a webhook must be an http:// or https:// URL with a host."),
        ("http:///services/T0SECRET", "the webhook URL has no host; a webhook must be an http:// or https:// URL with a host."),
        ("https://exa mple.com/T0SECRET", "the webhook URL cannot be parsed; a webhook must be an http:// or https:// URL with a host."),
        ("", "the webhook URL has no scheme; a webhook must be an http:// or https:// URL with a host."),
    ])
    func aURLThatIsNotHTTPIsRefusedWithoutRepeatingIt(url: String, sentence: String) {
        #expect {
            _ = try WebhookTarget(url: url, format: .json)
        } throws: { error in
            guard let error = error as? NotifyError, case .badWebhookURL = error else { return false }
            return error.description == sentence && leaked(error.description).isEmpty
        }
    }
}
