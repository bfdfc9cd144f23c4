import Foundation
import MigrationCore
import PostgresStore
import Synchronization

/// The two control stores. Every store-level and CLI test of the contract runs against both:
/// `@Test(arguments: StoreKind.allCases)`.
public enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    public var description: String { rawValue }
}

/// A fresh control store of either kind for one test, removed when the test ends.
///
/// On SQLite it is a file in a temporary folder. On PostgreSQL it is a fresh random schema
/// `t_<8 hex>` on the server `MIGCTL_TEST_POSTGRES` names (scripts/with-postgres starts one);
/// every schema and role the test made there starts with that name, and all of them are
/// dropped when the fixture goes away (roles are cluster-wide, so they must not pile up).
///
/// ```swift
/// @Test(arguments: StoreKind.allCases)
/// func countersAddUp(_ kind: StoreKind) throws {
///     let under = try StoreUnderTest(kind)
///     let store = try under.create(by: under.signer("ana"))
///     …
/// }
/// ```
///
/// What differs between the stores is the server's rules: on PostgreSQL the actor is the
/// login (``actor(_:)``, ``signer(_:host:)``) and the server's clock stamps every time
/// (``recorded(_:matches:)``). Keep the assertions true on both through these.
public final class StoreUnderTest: Sendable {
    /// The group roles of a PostgreSQL control store.
    public enum Role: String, Sendable, CaseIterable {
        case app, `operator`, approver
    }

    /// Why a PostgreSQL case cannot run: the tests were started without a server.
    public struct PostgresUnavailable: Error, CustomStringConvertible {
        public var description: String {
            "MIGCTL_TEST_POSTGRES is not set, so this PostgreSQL case cannot run: run the tests through scripts/test, which starts a throwaway PostgreSQL."
        }
    }

    /// What a program run by the fixture (sqlite3, psql, pg_dump) said.
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    public let kind: StoreKind
    /// The test's folder: the SQLite file lives here; CLI tests run here and keep plans here.
    public let folder: TemporaryDirectory
    /// The store's `--db` value: the file's path, or a URL of the superuser with `schema=`.
    public let db: String
    private let server: Server?

    /// How the store names itself (``ControlStore/location``): the file's path, or the URL
    /// without a password.
    public var storeLocation: String {
        guard server != nil else { return db }
        return (try? PostgresURL(db, environment: [:]).description) ?? db
    }
    private let logins = Mutex<Set<String>>([])

    /// The PostgreSQL side: the superuser's URL and this fixture's name prefix.
    private struct Server: Sendable {
        let url: String
        let superuser: String
        /// `t_<8 hex>`: the main schema, and the start of every schema and role the fixture makes.
        let prefix: String

        func url(schema: String, user: String? = nil) -> String {
            url + (url.contains("?") ? "&" : "?") + "schema=\(schema)" + (user.map { "&user=\($0)" } ?? "")
        }

        /// A URL psql and pg_dump take (they know no `schema` parameter).
        func clientURL(user: String? = nil) -> String {
            guard let user else { return url }
            return url + (url.contains("?") ? "&" : "?") + "user=\(user)"
        }
    }

    /// A fixture for a store of `kind`; nothing is created yet (``create(name:plan:runbooks:checklists:by:at:)``
    /// or `migctl init` does that).
    /// - Throws: ``PostgresUnavailable`` for a PostgreSQL case when `MIGCTL_TEST_POSTGRES` is not set.
    public init(_ kind: StoreKind, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.kind = kind
        folder = TemporaryDirectory()
        switch kind {
        case .sqlite:
            server = nil
            db = folder.path("migctl.db")
        case .postgres:
            guard let url = environment["MIGCTL_TEST_POSTGRES"], !url.isEmpty else { throw PostgresUnavailable() }
            let prefix = "t_" + String(format: "%08x", UInt32.random(in: .min ... .max))
            let server = Server(url: url, superuser: try PostgresURL(url, environment: [:]).user, prefix: prefix)
            self.server = server
            db = server.url(schema: prefix)
        }
    }

    deinit {
        guard let server else { return }
        // Every schema and role of this fixture, whatever the test left behind. DROP OWNED BY
        // also revokes what a role was granted outside the schemas (CREATE on the database).
        let prefix = server.prefix
        let dropped = Self.run("/usr/bin/psql", [server.url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", """
            DO $$ DECLARE r record; BEGIN
              FOR r IN SELECT nspname FROM pg_namespace WHERE nspname = '\(prefix)' OR left(nspname, \(prefix.count + 1)) = '\(prefix)_' LOOP
                EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
              END LOOP;
              FOR r IN SELECT rolname FROM pg_roles WHERE left(rolname, \(prefix.count + 1)) = '\(prefix)_' LOOP
                EXECUTE format('DROP OWNED BY %I CASCADE', r.rolname);
                EXECUTE format('DROP ROLE %I', r.rolname);
              END LOOP;
            END $$
            """])
        if dropped.status != 0 {
            FileHandle.standardError.write(Data("StoreUnderTest: could not drop \(prefix)*: \(dropped.stderr)\n".utf8))
        }
    }

    // MARK: - The store

    /// Creates the control store, as the store-level API does (`init` on the command line).
    public func create(
        name: String = "users-v2", plan: Plan = .default, runbooks: [String: String] = Plan.defaultRunbooks,
        checklists: [String: [String]] = [:], by signer: Operator, at date: Date = Date()
    ) throws -> any ControlStore {
        guard server != nil else {
            return try SQLiteControlStore.create(at: db, name: name, plan: plan, runbooks: runbooks, checklists: checklists,
                                                 by: signer, at: date)
        }
        return try PostgresControlStore.create(url: PostgresURL(db), name: name, plan: plan, runbooks: runbooks,
                                               checklists: checklists, host: signer.host)
    }

    /// Another connection to the store, as `person` (see ``login(_:roles:schema:)``), or as the
    /// fixture's own login.
    public func open(as person: String? = nil) throws -> any ControlStore {
        try ControlStores.open(location(as: person))
    }

    /// The `--db` value that connects as `person`: on PostgreSQL the URL with that login;
    /// on SQLite the file (where anyone who can write it is anyone).
    public func location(as person: String? = nil) throws -> String {
        guard let server, let person else { return db }
        return server.url(schema: server.prefix, user: try login(person))
    }

    /// Another store's `--db` value beside this one: a file in the folder, or a schema on the
    /// server named after this fixture (dropped with it), for tests that need two.
    public func other(_ name: String) -> String {
        guard let server else { return folder.path(name) }
        return server.url(schema: schema(name))
    }

    /// The schema ``other(_:)`` uses on PostgreSQL for `name`, and its group roles' prefix.
    public func schema(_ name: String? = nil) -> String {
        guard let server else { return "" }
        guard let name else { return server.prefix }
        let safe = String(name.lowercased().map { ("a"..."z").contains($0) || ("0"..."9").contains($0) ? $0 : "_" })
        return "\(server.prefix)_\(safe)"
    }

    /// Whether the store exists: the file, or the schema.
    public func exists(_ location: String? = nil) -> Bool {
        guard let server else { return FileManager.default.fileExists(atPath: location ?? db) }
        let schema = location.flatMap { try? PostgresURL($0, environment: [:]).schema } ?? server.prefix
        return Self.run("/usr/bin/psql", [server.url, "-X", "-At", "-c", "SELECT 1 FROM pg_namespace WHERE nspname = '\(schema)'"])
            .stdout == "1\n"
    }

    // MARK: - Who acts

    /// The name `person` has in the audit log: `person` itself where the actor is
    /// self-declared (SQLite; `tester` for nobody in particular, as `MIGCTL_ACTOR` in CLI
    /// tests says), their login on PostgreSQL (`t_…_person`, or the superuser the fixture
    /// connects as for nil).
    public func actor(_ person: String? = nil) -> String {
        guard let server else { return person ?? "tester" }
        guard let person else { return server.superuser }
        return "\(server.prefix)_\(person)"
    }

    /// The operator the fixture's own connections act as: `name` on SQLite, the superuser's
    /// login on PostgreSQL (the server records the login whatever a caller says).
    public func signer(_ name: String, host: String = "h") -> Operator {
        Operator(name: server?.superuser ?? name, host: host)
    }

    /// On PostgreSQL, the login of `person` in `schema`'s group `roles` (created at the first
    /// call, so after `init` made the roles; by default an operator who may also approve).
    /// On SQLite, just the name. Returns the login's name. A person may not be called like a
    /// group role (`app`, `operator`, `approver`): their login would be that role.
    @discardableResult
    public func login(_ person: String, roles: [Role] = [.operator, .approver], schema: String? = nil,
                      attributes: String = "") throws -> String {
        guard let server else { return person }
        guard Role(rawValue: person) == nil else { throw FixtureError(description: "'\(person)' is a group role's name; call the person something else") }
        let login = actor(person)
        let isNew = logins.withLock { $0.insert(login).inserted }
        guard isNew else { return login }
        let groups = roles.map { "\(schema ?? server.prefix)_\($0.rawValue)" }
        let result = superuserSQL("CREATE ROLE \(login) LOGIN \(attributes);"
                                  + (groups.isEmpty ? "" : " GRANT \(groups.joined(separator: ", ")) TO \(login);"))
        guard result.status == 0 else {
            logins.withLock { _ = $0.remove(login) }
            throw FixtureError(description: "could not create the login \(login): \(result.stderr)")
        }
        return login
    }

    /// The variables that point migctl at the store as `person`: `MIGCTL_DB`, and on SQLite
    /// `MIGCTL_ACTOR` (PostgreSQL takes the login from the URL and refuses any other name).
    public func environment(as person: String? = nil) throws -> [String: String] {
        guard server != nil else { return ["MIGCTL_DB": db, "MIGCTL_ACTOR": actor(person)] }
        return ["MIGCTL_DB": try location(as: person)]
    }

    /// Whether a time the store recorded is the one the caller passed (SQLite), or, on
    /// PostgreSQL, which takes every time from its own clock, a time of the last few minutes.
    public func recorded(_ stored: Date, matches passed: Date) -> Bool {
        server == nil ? stored == passed : abs(stored.timeIntervalSinceNow) < 300
    }

    // MARK: - SQL, as a foreign writer sends it

    /// Runs SQL on the store with its own shell: `sqlite3 -bail` on the file, or `psql` with
    /// the schema as search path (so unqualified table names mean the store's tables), as
    /// `person`'s login or the superuser.
    @discardableResult
    public func sql(_ statements: String, as person: String? = nil, database: String? = nil) throws -> Output {
        guard let server else { return Self.run("/usr/bin/sqlite3", ["-bail", database ?? db, statements]) }
        let user = try person.map { try login($0) }
        let schema = database.flatMap { try? PostgresURL($0, environment: [:]).schema } ?? server.prefix
        return Self.run("/usr/bin/psql", [server.clientURL(user: user), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                        environment: ["PGOPTIONS": "-c search_path=\(schema)"], stdin: statements)
    }

    /// SQL as the cluster's superuser, outside any schema (roles, grants).
    @discardableResult
    public func superuserSQL(_ statements: String) -> Output {
        guard let server else { return Output(status: 1, stdout: "", stderr: "SQLite has no superuser") }
        return Self.run("/usr/bin/psql", [server.url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-f", "-"], stdin: statements)
    }

    /// Writes `statements` past the store's own rules, as whoever owns the storage can: on
    /// SQLite after dropping the triggers (all but the counter roll-ups), on PostgreSQL as the
    /// superuser with triggers off (`session_replication_role = replica`).
    public func sqlAsAttacker(_ statements: String) throws {
        if server != nil {
            let result = try sql("SET session_replication_role = replica;\n" + statements)
            guard result.status == 0 else { throw FixtureError(description: "psql: \(result.stderr)") }
            return
        }
        let names = try sql("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name NOT LIKE 'counters_roll_up%'").stdout
        let drops = names.split(separator: "\n").map { "DROP TRIGGER \"\($0)\";" }.joined()
        let result = try sql(drops + statements)
        guard result.status == 0 else { throw FixtureError(description: "sqlite3: \(result.stderr)") }
    }

    /// A logical dump of everything the store holds (`sqlite3 .dump`, `pg_dump` of the schema),
    /// to prove that a command changed nothing.
    public func dump() throws -> String {
        let result: Output
        if let server {
            result = Self.run("/usr/bin/pg_dump", ["-d", server.url, "-n", server.prefix])
        } else {
            result = Self.run("/usr/bin/sqlite3", [db, ".dump"])
        }
        guard result.status == 0 else { throw FixtureError(description: "dump: \(result.stderr)") }
        // pg_dump fences its output with a random key (\restrict KEY … \unrestrict KEY): not data.
        return result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict ") && !$0.hasPrefix("\\unrestrict ") }.joined(separator: "\n")
    }

    /// Sets the store's schema version by hand (`PRAGMA user_version`, the `schema_version` row).
    public func setSchemaVersion(_ version: Int) throws {
        let result = try sql(server == nil ? "PRAGMA user_version = \(version)" : "UPDATE schema_version SET version = \(version)")
        guard result.status == 0 else { throw FixtureError(description: result.stderr) }
    }

    // MARK: - Plumbing

    public struct FixtureError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs a program to its end (``runToEnd(_:_:environment:directory:stdin:)``), with a
    /// plain PATH and locale under `environment`.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           stdin: String? = nil) -> Output {
        runToEnd(executable, arguments, environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"].merging(environment) { $1 },
                 stdin: stdin)
    }
}
