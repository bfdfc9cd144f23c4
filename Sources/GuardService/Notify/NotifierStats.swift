import Foundation

/// How one notification target is doing, for the control store and the console: what was
/// delivered, given up, retried and dropped, and the last error in one sentence.
///
/// ```json
/// {"target": "webhook https://hooks.slack.com/…", "delivered": 12, "failed": 1, "retries": 7, "dropped": 0,
///  "pending": 2, "failing": true, "lastError": "the webhook answered HTTP 500.", "lastErrorAt": …, "lastSuccessAt": …}
/// ```
public struct NotifierStats: Sendable, Equatable, Codable {
    /// The target as ``NotificationTarget/name`` shows it: never a webhook's path or query.
    public var target: String
    /// Events the target took.
    public var delivered: Int64 = 0
    /// Events given up after every attempt failed (or left undelivered at shutdown).
    public var failed: Int64 = 0
    /// Attempts after the first, over all events.
    public var retries: Int64 = 0
    /// Events dropped unsent because the queue was full (the oldest go first).
    public var dropped: Int64 = 0
    /// Events waiting, the one being delivered included.
    public var pending: Int = 0
    /// Whether the last attempt failed: the console shows the target as failing.
    public var failing: Bool = false
    /// The last failure, one sentence, kept after later successes.
    public var lastError: String?
    public var lastErrorAt: Date?
    public var lastSuccessAt: Date?

    public init(target: String) {
        self.target = target
    }
}
