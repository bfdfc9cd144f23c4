import Foundation
import Logging
import MigrationCore

/// Delivers the guard's events to its notification targets without ever making the guard wait.
///
/// Each target has a bounded queue and a thread of its own: ``send(_:)`` only enqueues, a slow
/// or dead target delays nobody else, and each target gets its events in the order sent. A
/// failed delivery is retried on the ``RetrySchedule`` (1, 2, 4, 8, 16 s by default), then
/// given up and counted. When a queue is full the oldest event waiting in it is dropped and
/// counted. ``stats`` tells how each target is doing; failures are logged at warning and
/// give-ups at error, targets shown without secrets.
///
/// ```swift
/// let notifier = Notifier(targets: [try WebhookTarget(url: url, format: .slack)], logger: logger)
/// notifier.send(event)                  // returns at once
/// …
/// notifier.drain(within: .seconds(5))   // on SIGTERM: deliver what is queued, then stop
/// ```
public final class Notifier: Sendable {
    /// How many events wait per target before the oldest are dropped.
    public static let standardCapacity = 1000

    private let outboxes: [Outbox]

    /// Starts one delivery thread per target.
    /// - Parameters:
    ///   - retry: when failed deliveries are tried again; tests pass a fast one.
    ///   - capacity: events waiting per target (at least 1); beyond it the oldest is dropped.
    ///   - logger: where failures (warning), give-ups and drops (error, warning) are told.
    public init(targets: [any NotificationTarget], retry: RetrySchedule = .standard, capacity: Int = Notifier.standardCapacity,
                logger: Logger) {
        outboxes = targets.map { Outbox(target: $0, retry: retry, capacity: max(1, capacity), logger: logger) }
    }

    /// The targets the guard's flags name, in their order: webhooks first, then programs.
    ///
    /// ```swift
    /// let targets = try Notifier.targets(webhooks: options.webhook, format: options.webhookFormat, commands: options.exec)
    /// ```
    /// - Throws: ``NotifyError/badWebhookURL(_:)`` or ``NotifyError/emptyCommand`` for the first
    ///   value refused: a usage error, said in one sentence that repeats no secret.
    public static func targets(webhooks: [String], format: WebhookFormat, commands: [String]) throws(NotifyError)
        -> [any NotificationTarget] {
        var targets: [any NotificationTarget] = []
        for url in webhooks { targets.append(try WebhookTarget(url: url, format: format)) }
        for command in commands { targets.append(try ExecTarget(command: command)) }
        return targets
    }

    /// Queues `event` for every target and returns at once, whatever the targets are doing.
    /// After ``drain(within:)`` or ``stop()``, events are counted failed and not sent.
    public func send(_ event: GuardEvent) {
        for outbox in outboxes { outbox.enqueue(event) }
    }

    /// How each target is doing, in the order the targets were given.
    public var stats: [NotifierStats] { outboxes.map(\.stats) }

    /// For shutdown: lets the targets deliver what is queued for at most `limit`, then stops
    /// them; what is left undelivered is counted failed and logged.
    /// - Returns: whether every queued event was delivered or given up within `limit`.
    @discardableResult
    public func drain(within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        let idle = outboxes.map { $0.waitUntilIdle(deadline: deadline) }.allSatisfy { $0 }
        stop()
        return idle
    }

    /// Stops every target now: a delivery under way is cancelled (its program killed, its
    /// request abandoned) and everything queued is counted failed.
    public func stop() {
        for outbox in outboxes { outbox.requestStop() }
        let deadline = ContinuousClock.now + .seconds(2)
        for outbox in outboxes { outbox.waitUntilStopped(deadline: deadline) }
    }

    deinit {
        for outbox in outboxes { outbox.requestStop() }
    }
}
