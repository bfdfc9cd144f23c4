import ArgumentParser
import Foundation
import MigrationCore
import PostgresStore
import Synchronization

/// Where the control database is.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The control store: a SQLite file's path, or a postgresql:// URL.", discussion: "Defaults to $MIGCTL_DB, else ./migctl.db. A URL follows libpq's conventions (user, password, host, port, dbname, ?host=/socket/folder, sslmode) and takes schema=NAME (default migctl).", valueName: "path|url"))
    var db: String?

    var path: String {
        db ?? ProcessInfo.processInfo.environment["MIGCTL_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "migctl.db"
    }

    /// How long an operator's command waits for a lock other processes hold: 30 s, or
    /// `$MIGCTL_LOCK_WAIT` seconds.
    var lockWait: Duration {
        let seconds = ProcessInfo.processInfo.environment["MIGCTL_LOCK_WAIT"].flatMap(Double.init) ?? 30
        return .milliseconds(Int64(max(0, min(seconds, 3600)) * 1000))
    }

    /// Opens the store; the rows it skips while the command runs are reported when it ends.
    /// - Parameter lockWait: how long to wait for another process's lock, when not ``lockWait``.
    func open(lockWait: Duration? = nil) throws(ControlStoreError) -> any ControlStore {
        let store = try ControlStores.open(path, lockWait: lockWait ?? self.lockWait)
        OpenedStores.shared.add(store)
        return store
    }
}

/// The stores this process opened, so ``reportingFailures(_:)`` can report the rows they skipped.
final class OpenedStores: Sendable {
    static let shared = OpenedStores()
    private let stores = Mutex<[any ControlStore]>([])

    func add(_ store: any ControlStore) { stores.withLock { $0.append(store) } }

    /// Every row problem met since the last call, across the opened stores.
    func takeRowProblems() -> [RowProblem] { stores.withLock { $0.flatMap { $0.takeRowProblems() } } }
}

/// Who is acting, for the audit log.
struct ActorOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Who makes the change, for the audit log.", discussion: "Defaults to $MIGCTL_ACTOR, else $USER, else the login name. Stored normalised (NFKC, case-folded, trimmed), at most 128 characters; invisible characters and names mixing Latin with Cyrillic or Greek are refused.", valueName: "name"))
    var actor: String?

    /// The normalised operator: `--actor`, else `$MIGCTL_ACTOR`, else the login name.
    var signer: Operator {
        get throws(ActorNameError) { try Operator.current(explicit: actor) }
    }

    /// The operator who acts on `store`. On a store whose server knows the login (PostgreSQL)
    /// that login is the actor, verbatim: an `--actor` or `$MIGCTL_ACTOR` naming someone else is
    /// refused rather than recorded, so the audit log and the two-person rule mean something.
    func signer(for store: any ControlStore) throws -> Operator {
        guard let login = try store.login() else { return try signer }
        try refuseClaims(otherThan: login)
        return Operator(name: login, host: ProcessInfo.processInfo.hostName)
    }

    /// Refuses an `--actor` or `$MIGCTL_ACTOR` that names anyone but `login`.
    func refuseClaims(otherThan login: String) throws {
        let environment = ProcessInfo.processInfo.environment
        let claimed = [("--actor", actor), ("MIGCTL_ACTOR", environment["MIGCTL_ACTOR"])]
            .first { $0.1.map { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty } ?? false }
        if let (source, name) = claimed, let name, !Operator.isSamePerson(name, login) {
            throw ActorRefusal(description: "\(source) says '\(name.terminalSafe)', but on PostgreSQL the actor is the database login, '\(login.terminalSafe)'; connect as that person's login instead, or drop \(source).")
        }
    }

    /// Refuses a bad name from any source, `$MIGCTL_ACTOR` and `$USER` included, as a usage error.
    func validate() throws {
        if let actor, actor.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("--actor must be a non-empty name of at most \(Limits.actorScalars) characters.")
        }
        do {
            _ = try signer
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// An actor a server-backed store refuses: the name given is not the login.
struct ActorRefusal: Error, CustomStringConvertible {
    var description: String
}

/// What every state change takes.
struct ChangeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Why, recorded in the audit log (at most 2000 characters).", valueName: "text"))
    var reason: String?

    @Option(name: .long, help: ArgumentHelp("Only change if the state is still at this version (from 'migctl status').", valueName: "n"))
    var expectVersion: Int64?

    func validate() throws {
        if let problem = Limits.reasonProblem(reason) { throw ValidationError(problem) }
        if let expectVersion, expectVersion < 1 {
            throw ValidationError("--expect-version must be a state version, 1 or more (see 'migctl status').")
        }
    }
}

/// `--json` for commands that report.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of text, for scripts.")
    var json = false
}
