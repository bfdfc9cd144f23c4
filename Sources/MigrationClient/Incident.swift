import Logging
import MigrationCore

/// Something the client noticed that an operator should hear about: each is one log line
/// and one count of a `client.*` counter, so a fleet's trouble shows on the console's charts
/// as well as in each process's log.
enum Incident: Sendable {
    /// The state could not be read; the last known state stays in force.
    case refreshFailed(ControlStoreError, retryIn: Duration)
    /// The file at the path is another database than the one followed so far (`what` says how);
    /// the client reopened it and follows it from now on, at state `now`.
    case fileChanged(path: String, String, now: MigrationState)
    /// The state names a phase the plan does not have; routing by it would guess.
    case unknownPhase(String, version: Int64, keeping: MigrationState)
    /// Counts and heartbeat could not be written for a reason that may pass (a busy or
    /// unreachable database); they are kept for the next flush.
    case flushFailed(ControlStoreError, retryIn: Duration)
    /// The store refused a count itself, so no retry could ever write it: it is dropped.
    case countDropped(name: String, value: Int64, ControlStoreError)
    /// The counts kept while the store takes no writes are full (``MigrationClient/carriedNamesLimit``
    /// counters already waiting, or a sum at `Int64.max`): this amount is dropped.
    case carryFull(name: String, value: Int64)
    /// `Counter.add` was given amounts below zero; a counter only grows, so they were ignored.
    case negativeCounts(name: String, times: Int64)

    /// The counter of refreshes that left the state as it was (``MigrationClient/refreshErrors`` too).
    static let refreshError = "client.refresh.error"

    /// The `client.*` counter this incident adds one to.
    var counter: String {
        switch self {
        case .refreshFailed, .unknownPhase: Self.refreshError
        case .flushFailed: "client.flush.error"
        case .fileChanged: "client.file.changed"
        case .countDropped, .carryFull: "client.flush.dropped"
        case .negativeCounts: "client.count.refused"
        }
    }

    /// How much it adds to its counter: once per incident, or once per negative amount ignored.
    var times: Int64 {
        if case .negativeCounts(_, let times) = self { return times }
        return 1
    }

    var level: Logger.Level {
        switch self {
        case .refreshFailed, .flushFailed, .negativeCounts, .fileChanged: .warning
        case .unknownPhase, .countDropped, .carryFull: .error
        }
    }

    /// One sentence: what happened and what the client does about it.
    var message: Logger.Message {
        switch self {
        case .refreshFailed(let error, let retryIn):
            "could not read the migration state, routing stays as it was; trying again in \(retryIn): \(error.description)"
        case .fileChanged(let path, let what, let now):
            "the control database at \(path.terminalSafe) is not the one this client had open: \(what); reopened it, now at version \(now.version) ('\(now.phase.terminalSafe)')"
        case .unknownPhase(let phase, let version, let keeping):
            "the state at version \(version) names phase '\(phase.terminalSafe)', which the plan does not have; routing stays at version \(keeping.version) ('\(keeping.phase.terminalSafe)')"
        case .flushFailed(let error, let retryIn):
            "could not write counts and heartbeat, keeping them for a retry in \(retryIn): \(error.description)"
        case .countDropped(let name, let value, let error):
            "the control database refused \(value) for counter '\(name)', so it is dropped: \(error.description)"
        case .carryFull(let name, let value):
            "the counts kept for the control database while it takes no writes are full, so \(value) for counter '\(name.terminalSafe)' is dropped"
        case .negativeCounts(let name, let times):
            "counter '\(name)' was given a negative amount \(times) time\(times == 1 ? "" : "s"); counters only grow, so those amounts were ignored"
        }
    }
}
