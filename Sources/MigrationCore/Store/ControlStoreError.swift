/// What can go wrong reaching the control database. Each case reads as one sentence
/// that says what to do next; none leaks SQL arguments.
public enum ControlStoreError: Error, Equatable, CustomStringConvertible {
    /// No file at the path; only `init` creates one.
    case missing(path: String)
    /// `init` will not touch an existing path.
    case alreadyExists(path: String)
    /// The file is not SQLite at all.
    case notSQLite(path: String)
    /// SQLite, but not a migctl control database.
    case notAControlDatabase(path: String)
    /// Written by a newer migctl.
    case newerSchema(path: String, found: Int, known: Int)
    /// Written by an older migctl; `migctl upgrade` brings it up to date.
    case olderSchema(path: String, found: Int, known: Int)
    /// The state changed since it was read (compare-and-swap failed).
    case conflict(expected: Int64, found: Int64)
    /// A counter or gauge name outside `[a-z0-9][a-z0-9._-]{0,63}`.
    case invalidName(String)
    /// A counter increment below zero or a gauge value that is not a finite number.
    case invalidValue(String)
    /// A checklist item number the phase's runbook does not have.
    case noSuchChecklistItem(phase: String, item: Int)
    /// A row the reader cannot do without holds a value it cannot use.
    case badRow(path: String, RowProblem)
    /// The `--db` value cannot name a store (a malformed URL): the caller's mistake, said in one sentence.
    case badLocation(String)
    /// The server refused the login what it asked (a PostgreSQL role it lacks); nothing changed.
    case permissionDenied(path: String, message: String)
    /// A guard's write was refused because another guard holds the lease now (or its own expired).
    case leaseLost(holder: String?)
    /// Any other failure of the database or the file system.
    case io(path: String, message: String)

    public var description: String {
        switch self {
        case .missing(let path):
            "no control database at \(path); create one with 'migctl init --name NAME' or point --db (or MIGCTL_DB) at an existing one."
        case .alreadyExists(let path) where Self.isServer(path):
            "\(path.terminalSafe) already has that schema and init never touches an existing one; choose another schema= in the URL, or drop it yourself."
        case .notAControlDatabase(let path) where Self.isServer(path):
            "\(path.terminalSafe) holds no migctl control store in that schema; create one with 'migctl init --db URL --name NAME', or check the URL's schema= (default migctl)."
        case .alreadyExists(let path):
            "\(path) already exists and init never touches an existing file; choose another --db path or remove it yourself."
        case .notSQLite(let path):
            "\(path) is not a SQLite database; check the --db path (or MIGCTL_DB)."
        case .notAControlDatabase(let path):
            "\(path) is a SQLite database but not a migctl control database; check the --db path (or MIGCTL_DB)."
        case .newerSchema(let path, let found, let known):
            "\(path) has schema version \(found), newer than the \(known) this migctl knows; use a newer migctl."
        case .olderSchema(let path, let found, let known):
            "\(path) has schema version \(found), older than the \(known) this migctl needs; run 'migctl upgrade' once, after every reader has been updated."
        case .conflict(let expected, let found):
            "the state changed under you (expected version \(expected), found \(found)); run 'migctl status' and decide again."
        case .invalidName(let name):
            "'\(name.terminalSafe)' is not a valid name; use 1–64 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit."
        case .invalidValue(let message):
            "\(message); nothing was written."
        case .noSuchChecklistItem(let phase, let item):
            "the checklist of '\(phase)' has no item \(item); run 'migctl checklist' to see its items."
        case .badRow(let path, let problem):
            "could not use \(path.terminalSafe): \(problem); correct that value as the README's contract describes, or restore the file from a backup."
        case .badLocation(let sentence):
            "\(sentence)."
        case .permissionDenied(let path, let message):
            "\(path.terminalSafe) refused it: \(message.terminalSafe); nothing was changed. Use a login with that role, or ask whoever runs the server to grant it."
        case .leaseLost(let holder):
            "this guard no longer holds the lease\(holder.map { " (\($0.terminalSafe) does)" } ?? ""), so it wrote nothing; it stands by until the lease expires."
        case .io(let path, let message):
            "could not use \(path): \(message)."
        }
    }

    /// Whether the store refused the data itself (a bad name, a value it does not take): the
    /// same write can never succeed, unlike a busy or unreachable database's. Whoever keeps
    /// writes for a later try (the client's flush, `migctl statsd`) drops these instead.
    public var refusesData: Bool {
        switch self {
        case .invalidName, .invalidValue: true
        default: false
        }
    }

    /// Whether `location` names a server's store (a URL) rather than a file.
    private static func isServer(_ location: String) -> Bool {
        location.hasPrefix("postgresql://") || location.hasPrefix("postgres://")
    }
}
