import ArgumentParser
import Foundation
import MigrationCore
import Runbook

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the control database, at the plan's first phase.",
        discussion: """
            Refuses to touch an existing path. Without --plan the built-in eight-phase plan is used \
            (old-only, dual-write, read-new, new-primary, new-only, backfill, cleanup, complete) with \
            the runbooks compiled into migctl. The plan and each phase's runbook text are copied into \
            the database so every process and console agrees on them.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions

    @Option(name: .long, help: ArgumentHelp("The migration's name; also the bucketing salt, so it cannot change later.", valueName: "name"))
    var name: String

    @Option(name: .long, help: ArgumentHelp("A YAML plan file; runbook paths in it are relative to the file.", valueName: "file"))
    var plan: String?

    @Option(name: .long, help: ArgumentHelp("With the built-in plan: read its runbooks (same file names as Runbooks/) from this folder instead.", valueName: "dir"))
    var runbooks: String?

    func validate() throws {
        guard Names.isValidMigrationName(name) else {
            throw ValidationError("'\(name.terminalSafe)' is not a valid migration name; use 1–64 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit.")
        }
        if plan != nil, runbooks != nil {
            throw ValidationError("--runbooks goes with the built-in plan; a plan file names its own runbooks.")
        }
    }

    func run() throws {
        try reportingFailures {
            let (plan, runbooks) = try loadPlan()
            let signer = actor.signer
            let created = try SQLiteControlStore.create(
                at: store.path, name: name, plan: plan, runbooks: runbooks, by: signer, at: Date())
            print("created \(created.location): migration '\(name)' at phase '\(plan.first.id)' (\(plan.phases.count) phases)")
        }
    }

    private func loadPlan() throws -> (Plan, [String: String]) {
        if let file = plan {
            let url = URL(fileURLWithPath: file)
            let folder = url.deletingLastPathComponent()
            let text = try readText(url, what: "plan file")
            let plan = try PlanFile.parse(text, file: file) { path in
                FileManager.default.isReadableFile(atPath: folder.appending(path: path).path)
            }
            var texts: [String: String] = [:]
            for phase in plan.phases {
                guard let path = phase.runbook else { continue }
                texts[phase.id] = try readRunbook(folder.appending(path: path))
            }
            return (plan, texts)
        }
        guard let folder = runbooks else { return (.default, Plan.defaultRunbooks) }
        var texts: [String: String] = [:]
        for phase in Plan.default.phases {
            guard let file = phase.runbook else { continue }
            texts[phase.id] = try readRunbook(URL(fileURLWithPath: folder).appending(path: file))
        }
        return (.default, texts)
    }

    private func readRunbook(_ url: URL) throws -> String { try readText(url, what: "runbook") }

    /// A text file, or a sentence saying why it cannot be read: missing, unreadable or not UTF-8.
    private func readText(_ url: URL, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw ControlStoreError.io(path: url.path, message: exists ? "the \(what) cannot be read (check its permissions)"
                                                                     : "there is no \(what) there; check the path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ControlStoreError.io(path: url.path, message: "the \(what) is not UTF-8 text")
        }
        return text
    }
}
