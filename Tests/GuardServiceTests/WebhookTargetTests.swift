import Foundation
import GuardService
import MigrationCore
import TestSupport
import Testing

/// Webhooks against a real HTTP server on loopback (`Fixtures/webhook_receiver.py`).
@Suite(.timeLimit(.minutes(2)))
struct WebhookTargetTests {
    let folder = TemporaryDirectory()
    let logs = RecordedLogs()

    @Test func aJSONWebhookReceivesTheEventItself() throws {
        let receiver = try WebhookReceiver(in: folder)
        defer { receiver.stop() }
        let target = try WebhookTarget(url: "http://127.0.0.1:\(receiver.port)/hooks/orders?channel=db", format: .json)
        let notifier = Notifier(targets: [target], retry: fastRetry(), logger: logs.logger)
        defer { notifier.stop() }
        let sent = event(7, facts: ["guard": "new-store-errors", "quote": "\"<&>\"\n", "unicode": "façade ⚠️"])
        notifier.send(sent)

        let done = stats(of: notifier) { $0.delivered == 1 }
        #expect(done.delivered == 1 && done.failed == 0 && done.retries == 0 && done.pending == 0)
        #expect(done.lastSuccessAt != nil && done.lastError == nil && !done.failing)
        let request = try #require(receiver.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/hooks/orders?channel=db")
        #expect(request.headers["content-type"] == "application/json")
        #expect(try decodeEvent(request.body) == sent)
        #expect(request.body == sent.json)
    }

    @Test func aSlackWebhookReceivesTheSentenceAsText() throws {
        let receiver = try WebhookReceiver(in: folder)
        defer { receiver.stop() }
        let target = try WebhookTarget(url: "http://127.0.0.1:\(receiver.port)/services/T0/B0/x", format: .slack)
        let notifier = Notifier(targets: [target], retry: fastRetry(), logger: logs.logger)
        defer { notifier.stop() }
        notifier.send(event(1, text: "guard \"errors\" fired: 0.7% > 0.5% & rising\nsee <runbook> — façade ⚠️ \\ /"))

        #expect(stats(of: notifier) { $0.delivered == 1 }.delivered == 1)
        let request = try #require(receiver.requests.first)
        #expect(request.headers["content-type"] == "application/json")
        let body = try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any]
        #expect(body?.keys.sorted() == ["text"], "the Slack incoming-webhook shape, nothing else")
        #expect(body?["text"] as? String == "guard \"errors\" fired: 0.7% &gt; 0.5% &amp; rising\nsee &lt;runbook&gt; — façade ⚠️ \\ /",
                "JSON-escaped, with Slack's three markup characters as entities")
    }

    @Test func eventsArriveInTheOrderSent() throws {
        let receiver = try WebhookReceiver(in: folder)
        defer { receiver.stop() }
        let notifier = Notifier(targets: [try WebhookTarget(url: "http://127.0.0.1:\(receiver.port)/", format: .json)],
                                retry: fastRetry(), logger: logs.logger)
        defer { notifier.stop() }
        for version in 1...25 { notifier.send(event(Int64(version))) }

        #expect(stats(of: notifier) { $0.delivered == 25 }.delivered == 25)
        #expect(try receiver.requests.map { try decodeEvent($0.body).version } == Array(1...25))
    }

    @Test func aReceiverThatFailsTwiceGetsTheEventOnTheThirdAttempt() throws {
        let receiver = try WebhookReceiver(in: folder, failFirst: 2)
        defer { receiver.stop() }
        let notifier = Notifier(targets: [try WebhookTarget(url: "http://127.0.0.1:\(receiver.port)/hook", format: .json)],
                                retry: fastRetry(attempts: 6), logger: logs.logger)
        defer { notifier.stop() }
        let sent = event(3)
        notifier.send(sent)

        let done = stats(of: notifier) { $0.delivered == 1 }
        #expect(done.delivered == 1 && done.retries == 2 && done.failed == 0)
        #expect(!done.failing, "the last attempt succeeded")
        #expect(done.lastError == "the webhook answered HTTP 500.", "the last error stays for the console to show")
        #expect(try receiver.requests.map { try decodeEvent($0.body) } == [sent, sent, sent])
        #expect(logs.entries.map(\.level) == [.warning, .warning, .info], "each failure at warning, the recovery at info")
    }

    @Test func aStatusOutsideTwoHundredsIsAFailureGivenUpAfterTheLastAttempt() throws {
        let receiver = try WebhookReceiver(in: folder, status: 404)
        defer { receiver.stop() }
        let notifier = Notifier(targets: [try WebhookTarget(url: "http://127.0.0.1:\(receiver.port)/gone", format: .slack)],
                                retry: fastRetry(attempts: 3), logger: logs.logger)
        defer { notifier.stop() }
        notifier.send(event(1))

        let done = stats(of: notifier) { $0.failed == 1 }
        #expect(done.failed == 1 && done.delivered == 0 && done.retries == 2 && done.pending == 0 && done.failing)
        #expect(done.lastError == "the webhook answered HTTP 404.")
        #expect(receiver.requests.count == 3)
        #expect(logs.entries.map(\.level) == [.warning, .warning, .error], "two failures retried, then the give-up")
        #expect(logs.entries.last?.message.contains("gave up on a guard-fired event after 3 attempts") == true)
    }

    @Test func anUnreachableTargetCountsFailuresAndNeverHoldsUpSend() throws {
        let closed = try closedPort(), port = closed.port
        defer { withExtendedLifetime(closed) {} }
        let held = try WebhookReceiver(in: folder, held: true)
        defer { held.stop() }
        let notifier = Notifier(targets: [try WebhookTarget(url: "http://127.0.0.1:\(port)/hook", format: .json),
                                          try WebhookTarget(url: "http://127.0.0.1:\(held.port)/hook", format: .json)],
                                retry: fastRetry(attempts: 3), logger: logs.logger)
        defer { notifier.stop() }
        for version in 1...3 { notifier.send(event(Int64(version))) }

        // send returned while the held receiver had answered nothing: it waits for no delivery.
        let whileHeld = notifier.stats[1]
        #expect(whileHeld.delivered == 0 && whileHeld.pending == 3)

        let down = stats(of: notifier, 0) { $0.failed == 3 }
        #expect(down.failed == 3 && down.delivered == 0 && down.retries == 6 && down.pending == 0 && down.failing)
        #expect(down.lastError == "could not connect to 127.0.0.1:\(port).")
        #expect(down.target == "webhook http://127.0.0.1:\(port)/…")

        held.releaseHeld()
        #expect(stats(of: notifier, 1) { $0.delivered == 3 }.delivered == 3, "the dead target held up no other")
        #expect(try held.requests.map { try decodeEvent($0.body).version } == [1, 2, 3])
    }
}
