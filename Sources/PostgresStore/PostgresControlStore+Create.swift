import Foundation
import MigrationCore
import PostgresNIO

extension PostgresControlStore {
    /// Why `init` cannot create the control store's roles, with the SQL that a DBA runs instead.
    public struct RolesNeeded: Error, CustomStringConvertible {
        public var login: String
        public var sql: String
        public var description: String {
            "the login '\(login.terminalSafe)' may not create roles; have a DBA run the SQL below (or 'migctl init --print-sql'), then run init again"
        }
    }

    /// The three group roles of `schema`: applications, operators, approvers.
    public static func roleNames(schema: String) -> [String] {
        [PostgresSchema.appRole(schema), PostgresSchema.operatorRole(schema), PostgresSchema.approverRole(schema)]
    }

    /// The group role whose members may approve, in `schema`.
    public static func approverRole(schema: String) -> String { PostgresSchema.approverRole(schema) }

    /// What a DBA runs to create the three group roles of `schema` (see ``PostgresSchema/roles(_:)``).
    public static func rolesSQL(schema: String) -> String { PostgresSchema.roles(schema) }

    /// Creates the control store in `url`'s schema, at the plan's first phase, in one transaction:
    /// the group roles (if missing and the login may create them), the schema, its tables, rules
    /// and grants, the plan and the first state. The server's login is the creator.
    ///
    /// - Parameter checklists: each phase's checklist items (the `Runbook` module derives them).
    /// - Throws: ``ControlStoreError/alreadyExists(path:)`` when the schema exists (nothing is
    ///   touched), ``RolesNeeded`` when roles are missing and the login may not create them.
    public static func create(
        url: PostgresURL, name: String, plan: Plan, runbooks: [String: String], checklists: [String: [String]], host: String
    ) throws -> PostgresControlStore {
        let link = try PostgresLink(url: url)
        defer { link.close() }
        let s = url.schema
        let location = url.description
        let roles = [PostgresSchema.appRole(s), PostgresSchema.operatorRole(s), PostgresSchema.approverRole(s)]
        let (missing, mayCreateRoles, login) = try link.withConnection { session in
            let existing = try session.records("SELECT rolname::text AS name FROM pg_roles WHERE rolname = ANY(\(roles))")
                .compactMap { $0["name"] as String? }
            let me = try session.records("""
                SELECT (rolcreaterole OR rolsuper) AS may, rolname::text AS login FROM pg_roles WHERE rolname = session_user
                """).first
            return (roles.filter { !existing.contains($0) }, (me?["may"] as Int64?) == 1, (me?["login"] as String?) ?? url.user)
        }
        if !missing.isEmpty, !mayCreateRoles { throw RolesNeeded(login: login, sql: PostgresSchema.roles(s)) }
        try link.transaction { session in
            // One init at a time per server, so two racing inits cannot both create the schema.
            try session.execute("SELECT pg_advisory_xact_lock(hashtext('migctl init'))")
            let schemaExists = try !session.records("SELECT 1 FROM pg_namespace WHERE nspname = \(s)").isEmpty
            if schemaExists { throw ControlStoreError.alreadyExists(path: location) }
            if !missing.isEmpty {
                for role in missing {
                    try session.execute(PostgresQuery(unsafeSQL: "CREATE ROLE \(role) NOLOGIN"))
                }
                for member in roles.dropFirst() {
                    try session.execute(PostgresQuery(unsafeSQL: "GRANT \(roles[0]) TO \(member)"))
                }
            }
            for statement in PostgresSchema.statements(PostgresSchema.objects(s)) {
                try session.execute(PostgresQuery(unsafeSQL: statement))
            }
            try insertInitialRows(session, schema: s, name: name, plan: plan, runbooks: runbooks, checklists: checklists, host: host)
        }
        return try PostgresControlStore(url: url)
    }

    /// Creates the login `name` (no password: for servers that trust local logins, like the
    /// demo's) in the group role `role`, unless it exists. Needs a login that may create roles.
    public func createLogin(_ name: String, memberOf role: String) throws(ControlStoreError) {
        guard Self.isIdentifier(name), Self.isIdentifier(role) else { throw .invalidName(name) }
        try link.withConnection { session in
            guard try session.records("SELECT 1 FROM pg_roles WHERE rolname = \(name)").isEmpty else { return }
            try session.execute(PostgresQuery(unsafeSQL: "CREATE ROLE \(name) LOGIN IN ROLE \(role)"))
        }
    }

    /// Drops the login `name` that ``createLogin(_:memberOf:)`` made, if it exists.
    public func dropLogin(_ name: String) throws(ControlStoreError) {
        guard Self.isIdentifier(name) else { throw .invalidName(name) }
        try link.withConnection { session in
            try session.execute(PostgresQuery(unsafeSQL: "DROP ROLE IF EXISTS \(name)"))
        }
    }

    /// A lower-case PostgreSQL identifier of at most 63 bytes that needs no quotes.
    private static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 63, first == "_" || ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    private static func insertInitialRows(
        _ session: PostgresLink.Session, schema s: String, name: String, plan: Plan, runbooks: [String: String],
        checklists: [String: [String]], host: String
    ) throws {
        for (position, phase) in plan.phases.enumerated() {
            let gates = String(decoding: try JSONEncoder().encode(phase.gates), as: UTF8.self)
            try session.execute("""
                INSERT INTO \(unescaped: s).phases (position, id, title, reads, writes, irreversible, ramp, runbook_path, runbook, gates,
                                                   automation)
                VALUES (\(Int64(position + 1)), \(phase.id), \(phase.title), \(phase.reads.rawValue),
                        \(phase.writes.map(\.rawValue).joined(separator: ",")), \(phase.irreversible), \(phase.ramp),
                        \(phase.runbook), \(runbooks[phase.id]), \(gates), \(phase.automation.storedText))
                """)
            for (i, text) in (checklists[phase.id] ?? []).enumerated() {
                try session.execute("INSERT INTO \(unescaped: s).checklist_items (phase, item, text) VALUES (\(phase.id), \(Int64(i + 1)), \(text))")
            }
        }
        // The migration row comes last of the plan, carrying the hash of everything above it.
        let stamp = try session.records("""
            SELECT session_user::text AS login, \(unescaped: s).instant_text(date_trunc('milliseconds', now())) AS at
            """).first
        let (login, at) = ((stamp?["login"] as String?) ?? "", (stamp?["at"] as String?) ?? "")
        let planHash = try CanonicalRows.hash(session, schema: s, migration: [name, at, login])
        try session.execute("""
            INSERT INTO \(unescaped: s).migration (id, name, created_at, created_by, plan_hash)
            VALUES (1, \(name), \(at)::timestamptz, \(login), \(planHash))
            """)
        try session.execute("""
            INSERT INTO \(unescaped: s).state (id, phase, rollout, version) VALUES (1, \(plan.first.id), \(Int64(Rollout.full.basisPoints)), 1)
            """)
        try session.execute("""
            INSERT INTO \(unescaped: s).audit (host, action, to_phase, to_rollout, version, reason)
            VALUES (\(host), \(AuditAction.initialize.rawValue), \(plan.first.id), \(Int64(Rollout.full.basisPoints)), 1,
                    \("created migration '\(name)' with \(plan.phases.count) phases"))
            """)
    }
}

extension PostgresControlStore {
    /// The older contract versions ``upgrade(host:)`` brings a store up from: PostgreSQL stores
    /// began at version 3.
    public static let upgradableSchemaVersions = 3...(PostgresSchema.version - 1)

    /// Brings a store of an older contract version up to this build's, in one transaction with
    /// its audit event. Needs the login that owns the schema (the one that ran `init`).
    /// - Returns: the versions before and after (equal when there was nothing to do).
    public func upgrade(host: String) throws(ControlStoreError) -> (from: Int, to: Int) {
        let found = try schemaVersion()
        guard found < PostgresSchema.version else { return (found, found) }
        guard Self.upgradableSchemaVersions.contains(found) else {
            throw .io(path: location, message: "schema version \(found) has no upgrade path; create a new store with this migctl")
        }
        try link.transaction { session in
            let steps = [(4, PostgresSchema.version4(s)), (5, PostgresSchema.version5(s))].filter { $0.0 > found }
            for (_, sql) in steps {
                for statement in PostgresSchema.statements(sql) {
                    try session.execute(PostgresQuery(unsafeSQL: statement))
                }
            }
            try session.execute("""
                INSERT INTO \(unescaped: s).audit (host, action, reason)
                VALUES (\(host), \(AuditAction.upgrade.rawValue), \("schema version \(found) to \(PostgresSchema.version)"))
                """)
        }
        return (found, PostgresSchema.version)
    }
}
