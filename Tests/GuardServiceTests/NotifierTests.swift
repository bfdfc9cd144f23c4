import Foundation
import GuardService
import MigrationCore
import TestSupport
import Testing

/// The queues: bounded, oldest dropped first, drained at shutdown; and the retry schedule.
@Suite(.timeLimit(.minutes(2)))
struct NotifierTests {
    let folder = TemporaryDirectory()
    let logs = RecordedLogs()

    @Test func aFullQueueDropsTheOldestAndCountsIt() throws {
        let held = try WebhookReceiver(in: folder, held: true)
        defer { held.stop() }
        let notifier = Notifier(targets: [try WebhookTarget(url: "http://127.0.0.1:\(held.port)/", format: .json)],
                                retry: fastRetry(), capacity: 3, logger: logs.logger)
        defer { notifier.stop() }
        notifier.send(event(1))
        #expect(eventually { held.requests.count == 1 }, "event 1 is being delivered, no longer queued")
        for version in 2...6 { notifier.send(event(Int64(version))) }

        let full = notifier.stats[0]
        #expect(full.dropped == 2 && full.pending == 4, "2 and 3 made room for 4, 5 and 6")
        #expect(logs.entries.map(\.level) == [.warning], "one warning for a run of drops, not one per event")

        held.releaseHeld()
        let done = stats(of: notifier) { $0.delivered == 4 }
        #expect(done.delivered == 4 && done.dropped == 2 && done.pending == 0 && done.failed == 0)
        #expect(try held.requests.map { try decodeEvent($0.body).version } == [1, 4, 5, 6])
    }

    @Test func drainDeliversWhatIsQueuedThenStops() throws {
        let receiver = try WebhookReceiver(in: folder)
        defer { receiver.stop() }
        let notifier = Notifier(targets: [try WebhookTarget(url: "http://127.0.0.1:\(receiver.port)/", format: .json)],
                                retry: fastRetry(), logger: logs.logger)
        for version in 1...10 { notifier.send(event(Int64(version))) }

        #expect(notifier.drain(within: .seconds(10)))
        #expect(notifier.stats[0].delivered == 10)
        #expect(receiver.requests.count == 10)

        notifier.send(event(11))
        let after = notifier.stats[0]
        #expect(after.failed == 1 && after.pending == 0, "after a drain, sending is counted failed, not queued")
        #expect(receiver.requests.count == 10)
    }

    @Test func drainGivesUpOnADeadTargetAtItsLimit() throws {
        let closed = try closedPort(), port = closed.port
        defer { withExtendedLifetime(closed) {} }
        let receiver = try WebhookReceiver(in: folder)
        defer { receiver.stop() }
        let slow = RetrySchedule(first: .seconds(30), cap: .seconds(60), attempts: 6, jitter: 0)
        let notifier = Notifier(targets: [try WebhookTarget(url: "http://127.0.0.1:\(port)/", format: .json),
                                          try WebhookTarget(url: "http://127.0.0.1:\(receiver.port)/", format: .json)],
                                retry: slow, logger: logs.logger)
        for version in 1...3 { notifier.send(event(Int64(version))) }
        #expect(eventually { notifier.stats[0].retries == 0 && notifier.stats[0].failing }, "the first attempt failed; the next is 30 s away")

        let started = ContinuousClock.now
        #expect(!notifier.drain(within: .seconds(2)))
        #expect(ContinuousClock.now - started < .seconds(10), "the drain's limit holds, not the 30 s backoff")
        let dead = notifier.stats[0], alive = notifier.stats[1]
        #expect(dead.failed == 3 && dead.delivered == 0 && dead.pending == 0, "what was left is counted failed")
        #expect(alive.delivered == 3 && alive.failed == 0)
        #expect(logs.entries.contains { $0.level == .error && $0.message.contains("gave up 3 undelivered events at shutdown") })
    }

    @Test func theFlagsMakeTargetsInOrderAndTheFirstBadOneIsRefused() throws {
        let targets = try Notifier.targets(webhooks: ["https://hooks.slack.com/services/T0/B0/X", "http://127.0.0.1:9/"],
                                           format: .slack, commands: ["/usr/local/bin/page --team db"])
        #expect(targets.map(\.name) == ["webhook https://hooks.slack.com/…", "webhook http://127.0.0.1:9", "exec /usr/local/bin/page"])
        #expect(throws: NotifyError.emptyCommand) { try Notifier.targets(webhooks: [], format: .json, commands: ["page", ""]) }
        #expect(throws: NotifyError.badWebhookURL("the webhook URL has no scheme")) {
            try Notifier.targets(webhooks: ["hooks.slack.com/x"], format: .json, commands: [])
        }
    }

    @Test func theStandardScheduleDoublesFromOneSecondToAMinute() {
        let standard = RetrySchedule.standard
        #expect(standard.attempts == 6)
        #expect((1...8).map { standard.delay(afterAttempt: $0, random: 0.5) }
            == [1, 2, 4, 8, 16, 32, 60, 60].map { Duration.seconds($0) })
        #expect(standard.delay(afterAttempt: 1, random: 0) == .milliseconds(750))
        #expect(standard.delay(afterAttempt: 2, random: 0.999_999) > .milliseconds(2490))
        #expect(standard.delay(afterAttempt: 7, random: 0.999) == .seconds(60), "jitter never goes past the cap")
        #expect(RetrySchedule(first: .seconds(1), cap: .seconds(60), attempts: 0, jitter: 3).attempts == 1)
    }
}
