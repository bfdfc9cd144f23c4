import ArgumentParser
import Foundation
import MigrationCore
import PostgresStore
import Runbook

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the control database, at the plan's first phase.",
        discussion: """
            Refuses to touch an existing path. Without --plan the built-in eight-phase plan is used \
            (old-only, dual-write, read-new, new-primary, new-only, backfill, cleanup, complete) with \
            the runbooks compiled into migctl. The plan and each phase's runbook text are copied into \
            the database so every process and console agrees on them.

            With a postgresql:// URL, init creates the schema (default migctl), its tables, rules \
            and grants, and the group roles SCHEMA_app, SCHEMA_operator and SCHEMA_approver when \
            the login may create roles; otherwise it prints the SQL a DBA runs first and exits 1. \
            --print-sql prints that SQL without connecting.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions

    @Option(name: .long, help: ArgumentHelp("The migration's name; also the bucketing salt, so it cannot change later.", valueName: "name"))
    var name: String = ""

    @Option(name: .long, help: ArgumentHelp("A YAML plan file; runbook paths in it are relative to the file.", valueName: "file"))
    var plan: String?

    @Option(name: .long, help: ArgumentHelp("With the built-in plan: read its runbooks (same file names as Runbooks/) from this folder instead.", valueName: "dir"))
    var runbooks: String?

    @Flag(name: .long, help: "With a postgresql:// --db: print the SQL that creates the roles, for a DBA, and exit without connecting.")
    var printSQL = false

    func validate() throws {
        if printSQL {
            guard PostgresURL.isURL(store.path) else { throw ValidationError("--print-sql goes with a postgresql:// --db URL.") }
            return
        }
        guard Names.isValidMigrationName(name) else {
            throw ValidationError("'\(name.terminalSafe)' is not a valid migration name; use 1–64 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit.")
        }
        if plan != nil, runbooks != nil {
            throw ValidationError("--runbooks goes with the built-in plan; a plan file names its own runbooks.")
        }
    }

    func run() throws {
        try reportingFailures {
            if PostgresURL.isURL(store.path) { return try createOnServer() }
            let (plan, runbooks) = try loadPlan()
            let signer = try actor.signer
            let created = try SQLiteControlStore.create(
                at: store.path, name: name, plan: plan, runbooks: runbooks, by: signer, at: Date())
            say("created \(created.location): migration '\(name)' at phase '\(plan.first.id)' (\(plan.phases.count) phases)")
        }
    }

    /// `init` on PostgreSQL: the login is the creator, so an `--actor` naming anyone else is refused.
    private func createOnServer() throws {
        let url = try PostgresURL(store.path)
        if printSQL {
            print(PostgresControlStore.rolesSQL(schema: url.schema), terminator: "")
            return
        }
        try actor.refuseClaims(otherThan: url.user)
        let (plan, runbooks) = try loadPlan()
        let created: PostgresControlStore
        do {
            created = try PostgresControlStore.create(
                url: url, name: name, plan: plan, runbooks: runbooks, checklists: RunbookDocument.checklists(of: runbooks),
                host: ProcessInfo.processInfo.hostName)
        } catch let needed as PostgresControlStore.RolesNeeded {
            printError(needed.description)
            print(needed.sql, terminator: "")
            throw ExitCode(ExitStatus.error.rawValue)
        }
        say("created \(created.location): migration '\(name)' at phase '\(plan.first.id)' (\(plan.phases.count) phases), with roles \(PostgresControlStore.roleNames(schema: url.schema).joined(separator: ", "))")
    }

    /// The plan and its runbooks' texts: from the plan file and its folder, from `--runbooks`
    /// for the built-in plan, or the runbooks compiled in. Every runbook is a regular file
    /// inside its folder (see ``PlanFolder``).
    private func loadPlan() throws -> (Plan, [String: String]) {
        if let file = plan {
            let url = URL(fileURLWithPath: file)
            let folder = try PlanFolder(url.deletingLastPathComponent())
            let plan = try PlanFile.parse(try readPlanFile(url), file: file, paths: folder.paths)
            var texts: [String: String] = [:]
            for phase in plan.phases {
                guard let path = phase.runbook else { continue }
                texts[phase.id] = try folder.readRunbook(path)
            }
            return (plan, texts)
        }
        guard let runbooks else { return (.default, Plan.defaultRunbooks) }
        let folder = try PlanFolder(URL(fileURLWithPath: runbooks))
        var texts: [String: String] = [:]
        for phase in Plan.default.phases {
            guard let file = phase.runbook else { continue }
            do {
                texts[phase.id] = try folder.readRunbook(file)
            } catch {
                throw PathRefusal(path: runbooks + "/" + file, reason: error.reason)
            }
        }
        return (.default, texts)
    }

    /// The plan file's text, or a sentence saying why it cannot be read: missing, unreadable,
    /// not a regular file, bigger than ``Limits/planFileBytes`` or not UTF-8.
    private func readPlanFile(_ url: URL) throws -> String {
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            throw ControlStoreError.io(path: url.path, message: "there is no plan file there; check the path")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw ControlStoreError.io(path: url.path, message: "the plan file is not a regular file")
        }
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw ControlStoreError.io(path: url.path, message: "the plan file cannot be read (check its permissions)")
        }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: Limits.planFileBytes + 1) ?? Data()
        guard data.count <= Limits.planFileBytes else {
            throw ControlStoreError.io(path: url.path, message: "the plan file is bigger than \(Limits.bytes(Limits.planFileBytes)); a plan is at most that")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ControlStoreError.io(path: url.path, message: "the plan file is not UTF-8 text")
        }
        return text
    }
}
