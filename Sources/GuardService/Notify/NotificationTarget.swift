import MigrationCore

/// Somewhere the guard's events go: a webhook, a program. A ``Notifier`` gives each target a
/// queue and a thread of its own and calls ``deliver(_:cancel:)`` there, one event at a time.
///
/// ```swift
/// let targets: [any NotificationTarget] = [try WebhookTarget(url: "https://hooks.slack.com/services/…", format: .slack),
///                                           try ExecTarget(command: "/usr/local/bin/page-oncall --team db")]
/// ```
public protocol NotificationTarget: Sendable {
    /// How the target appears in logs, stats and on the console: never a secret (a webhook
    /// shows its scheme, host and port only, as `webhook https://hooks.slack.com/…`).
    var name: String { get }

    /// Delivers one event, blocking until it is delivered, it failed, or `cancel` is set.
    /// - Throws: ``NotifyError``, one sentence that names no secret; the notifier retries.
    func deliver(_ event: GuardEvent, cancel: CancelFlag) throws(NotifyError)
}
