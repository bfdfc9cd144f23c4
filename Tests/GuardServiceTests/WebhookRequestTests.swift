import Foundation
import GuardService
import MigrationCore
import Synchronization
import TestSupport
import Testing

/// The HTTP request itself, seen by a real receiver on loopback: headers, IPv6, the timeout,
/// cancelling, redirects, and answers that are not HTTP.
@Suite(.timeLimit(.minutes(2)))
struct WebhookRequestTests {
    let folder = TemporaryDirectory()

    @Test func theRequestCarriesItsHeadersAndNeitherTheFragmentNorAChunkedBody() throws {
        let receiver = try WebhookReceiver(in: folder)
        defer { receiver.stop() }
        let target = try WebhookTarget(url: "http://127.0.0.1:\(receiver.port)/hooks/x?channel=db#fragment", format: .json)
        let sent = event(4)
        try target.deliver(sent, cancel: CancelFlag())

        let request = try #require(receiver.requests.first)
        #expect(request.method == "POST" && request.path == "/hooks/x?channel=db")
        #expect(request.headers == ["host": "127.0.0.1:\(receiver.port)", "user-agent": "migctl-guard", "content-type": "application/json",
                                    "content-length": "\(sent.json.utf8.count)", "connection": "close"])
        #expect(request.body == sent.json)
        #expect(request.sni == nil)
    }

    @Test func aURLWithoutAPathPostsToTheRoot() throws {
        let receiver = try WebhookReceiver(in: folder)
        defer { receiver.stop() }
        try WebhookTarget(url: "http://127.0.0.1:\(receiver.port)?q=1").deliver(event(1), cancel: CancelFlag())
        #expect(receiver.requests.first?.path == "/?q=1")
    }

    @Test func anIPv6LiteralIsConnectedToWithItsPort() throws {
        let receiver = try WebhookReceiver(in: folder, bind: "::1")
        defer { receiver.stop() }
        let target = try WebhookTarget(url: "http://[::1]:\(receiver.port)/v6", format: .json)
        #expect(target.name == "webhook http://[::1]:\(receiver.port)/…")
        try target.deliver(event(2), cancel: CancelFlag())

        let request = try #require(receiver.requests.first)
        #expect(request.path == "/v6")
        #expect(request.headers["host"] == "[::1]:\(receiver.port)")
    }

    @Test func userInfoIsSentAsBasicAuthorizationAndShownNowhere() throws {
        let receiver = try WebhookReceiver(in: folder)
        defer { receiver.stop() }
        let target = try WebhookTarget(url: "http://alice:hunter2@127.0.0.1:\(receiver.port)/", format: .json)
        #expect(target.name == "webhook http://127.0.0.1:\(receiver.port)")
        try target.deliver(event(1), cancel: CancelFlag())
        #expect(receiver.requests.first?.headers["authorization"] == "Basic YWxpY2U6aHVudGVyMg==")
    }

    @Test func aRedirectIsAFailureAndIsNotFollowed() throws {
        let receiver = try WebhookReceiver(in: folder, status: 302)
        defer { receiver.stop() }
        let target = try WebhookTarget(url: "http://127.0.0.1:\(receiver.port)/moved", format: .json)
        #expect(throws: NotifyError.httpStatus(302)) { try target.deliver(event(1), cancel: CancelFlag()) }
        #expect(receiver.requests.count == 1)
    }

    @Test func aReceiverThatNeverAnswersIsGivenUpAtTheTimeout() throws {
        let held = try WebhookReceiver(in: folder, held: true)
        defer { held.stop() }
        let target = try WebhookTarget(url: "http://127.0.0.1:\(held.port)/slow", format: .json, timeout: .milliseconds(400))
        let started = ContinuousClock.now
        #expect(throws: NotifyError.unreachable("127.0.0.1:\(held.port) did not answer within 1 s")) {
            try target.deliver(event(1), cancel: CancelFlag())
        }
        let took = ContinuousClock.now - started
        #expect(took >= .milliseconds(400) && took < .seconds(3), "the timeout counts from the start: \(took)")
        #expect(held.requests.count == 1, "the request was sent; its answer never came")
    }

    @Test func aCancelStopsTheDeliveryAtOnce() throws {
        let held = try WebhookReceiver(in: folder, held: true)
        defer { held.stop() }
        let target = try WebhookTarget(url: "http://127.0.0.1:\(held.port)/", format: .json)
        let cancel = CancelFlag()
        let outcome = Mutex<NotifyError?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            do throws(NotifyError) {
                try target.deliver(event(1), cancel: cancel)
            } catch {
                outcome.withLock { $0 = error }
            }
            done.signal()
        }
        #expect(eventually { held.requests.count == 1 }, "the request is being answered")
        let started = ContinuousClock.now
        cancel.set()
        #expect(done.wait(timeout: .now() + 2) == .success)
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(outcome.withLock { $0 } == .cancelled)
    }

    @Test func httpsToAPlainHTTPServerIsATLSFailure() throws {
        let receiver = try WebhookReceiver(in: folder)
        defer { receiver.stop() }
        let target = try WebhookTarget(url: "https://127.0.0.1:\(receiver.port)/", format: .json, timeout: .seconds(5))
        #expect(throws: NotifyError.unreachable("the TLS handshake with 127.0.0.1:\(receiver.port) failed (WRONG_VERSION_NUMBER)")) {
            try target.deliver(event(1), cancel: CancelFlag())
        }
    }

    @Test func aHostThatDoesNotResolveIsSaidSo() throws {
        let target = try WebhookTarget(url: "http://no-such-host.invalid/hook", format: .json, timeout: .seconds(5))
        #expect(throws: NotifyError.unreachable("could not resolve the host of no-such-host.invalid:80")) {
            try target.deliver(event(1), cancel: CancelFlag())
        }
    }

    @Test(arguments: ["http://127.0.0.1:0/hook", "http://127.0.0.1:65536/hook"])
    func aPortOutOfRangeIsRefused(url: String) {
        #expect {
            _ = try WebhookTarget(url: url, format: .json)
        } throws: { error in
            (error as? NotifyError) == .badWebhookURL("the webhook URL's port is not between 1 and 65535")
        }
    }
}
