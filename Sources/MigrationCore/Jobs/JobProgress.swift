import Foundation

/// Where a job is, as the process that runs it reports it in the control store
/// (`job_progress`): the key after which it goes on, how many rows it walked of how many, and
/// when it started and finished. A job that restarts after a crash resumes after ``cursor``.
public struct JobProgress: Sendable, Equatable {
    /// The last key walked; nil before the first batch.
    public var cursor: String?
    public var done: Int64
    public var total: Int64?
    public var startedAt: Date
    public var finishedAt: Date?
    /// The client instance that runs it.
    public var instance: String
    /// Why the job slowed or paused itself, or nil.
    public var throttled: String?
    /// The verifier's run: the phase the migration was in when the run started, and when that
    /// phase had been entered, so a `verified` gate can tell which visit of a phase it covers.
    public var sincePhase: String?
    public var phaseEnteredAt: Date?
    /// The verifier's run: keys found missing, deleted or different so far.
    public var mismatches: Int64
    /// When the row was last written, as the store says (not written by ``ControlStore/saveJobProgress(_:_:mismatches:)``).
    public var updatedAt: Date?

    /// The longest cursor the store keeps (Unicode scalars).
    public static let cursorLimit = 65_536

    /// The cursor to store after a batch of `keys` (in walk order) that followed `previous`: the
    /// last key that fits ``cursorLimit``. A longer key cannot be stored, so a job resumed from
    /// the store walks the keys after the one stored again (copies are insert-if-absent).
    public static func storableCursor(after keys: [String], previous: String?) -> String? {
        keys.last(where: isStorable) ?? previous.flatMap { isStorable($0) ? $0 : nil }
    }

    /// Whether every store can keep `key` as a cursor: at most ``cursorLimit`` characters and
    /// no NUL (PostgreSQL text cannot hold one).
    public static func isStorable(_ key: String) -> Bool {
        key.unicodeScalars.count <= cursorLimit && !key.unicodeScalars.contains("\0")
    }

    public init(cursor: String?, done: Int64, total: Int64?, startedAt: Date, finishedAt: Date? = nil, instance: String,
                throttled: String? = nil, sincePhase: String? = nil, phaseEnteredAt: Date? = nil, mismatches: Int64 = 0) {
        self.sincePhase = sincePhase
        self.phaseEnteredAt = phaseEnteredAt
        self.mismatches = mismatches
        self.cursor = cursor
        self.done = done
        self.total = total
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.instance = instance
        self.throttled = throttled
    }
}

/// A key the verifier found missing, deleted or different in the new store
/// (`verify_mismatches`): a record, never changed.
public struct VerifyMismatch: Sendable, Equatable, Codable {
    /// The verify run that found it (its `started_at`).
    public var runStartedAt: Date
    public var key: String
    /// Lowercase hex SHA-256 of each side's value, or ``absent`` / ``tombstone``.
    public var oldDigest: String
    public var newDigest: String
    public var foundAt: Date

    public init(runStartedAt: Date, key: String, oldDigest: String, newDigest: String, foundAt: Date) {
        self.runStartedAt = runStartedAt
        self.key = key
        self.oldDigest = oldDigest
        self.newDigest = newDigest
        self.foundAt = foundAt
    }

    /// The longest key recorded whole (Unicode scalars); a longer one is cut and ends with "…".
    public static let keyLimit = 2000

    /// `key` as a record keeps it: at most ``keyLimit`` Unicode scalars, a NUL (which
    /// PostgreSQL text cannot hold) written as U+FFFD.
    public static func recorded(_ key: String) -> String {
        var scalars = String.UnicodeScalarView(key.unicodeScalars.prefix(keyLimit).map { $0 == "\0" ? "\u{FFFD}" : $0 })
        if key.unicodeScalars.count > keyLimit {
            scalars = String.UnicodeScalarView(scalars.prefix(keyLimit - 1))
            scalars.append("…")
        }
        return String(scalars)
    }

    /// `digest` as a line shows it: the first 12 hex digits, the words `absent` and `tombstone`
    /// whole, nothing that could steer a terminal.
    public static func shortDigest(_ digest: String) -> String {
        (digest == absent || digest == tombstone ? digest : String(digest.prefix(12))).terminalSafe
    }

    /// The digest of a side that holds no record.
    public static let absent = "absent"
    /// The digest of a new store that holds the tombstone of a delete.
    public static let tombstone = "tombstone"
}
