import Foundation
import MigrationCore
import TestSupport
import Testing

/// Runbooks and command programs named by a plan stay inside the plan's folder.
struct PlanFolderTests {
    let root = TemporaryDirectory()

    /// A plan folder `plans/` under the temporary root, with `plan.yaml` written into it.
    func folder(_ yaml: String) throws -> URL {
        let plans = root.url.appending(path: "plans")
        try FileManager.default.createDirectory(at: plans, withIntermediateDirectories: true)
        try yaml.write(to: plans.appending(path: "plan.yaml"), atomically: true, encoding: .utf8)
        return plans
    }

    func plan(runbook: String) -> String {
        "phases:\n  - id: a\n    reads: old\n    writes: [old]\n    runbook: \(runbook)\n  - id: b\n    reads: new\n    writes: [new]\n"
    }

    func problems(_ yaml: String, in folder: URL) throws -> [PlanProblem] {
        let paths = try PlanFolder(folder).paths
        do {
            _ = try PlanFile.parse(yaml, file: "plan.yaml", paths: paths)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func aRunbookInsideTheFolderIsRead() throws {
        let yaml = plan(runbook: "books/a.md")
        let plans = try folder(yaml)
        try FileManager.default.createDirectory(at: plans.appending(path: "books"), withIntermediateDirectories: true)
        try "# A\n- [ ] one\n".write(to: plans.appending(path: "books/a.md"), atomically: true, encoding: .utf8)
        #expect(try problems(yaml, in: plans).isEmpty)
        #expect(try PlanFolder(plans).readRunbook("books/a.md") == "# A\n- [ ] one\n")
    }

    @Test func pathsLeadingOutOfTheFolderAreRefusedWithLineAndField() throws {
        for runbook in ["../../../../../../etc/passwd", "/etc/passwd", "../../../../../../proc/self/environ", "../outside.md"] {
            let yaml = plan(runbook: runbook)
            let plans = try folder(yaml)
            try "secret".write(to: root.url.appending(path: "outside.md"), atomically: true, encoding: .utf8)
            let found = try problems(yaml, in: plans)
            #expect(found.count == 1 && found[0].line == 5 && found[0].field == "phases[1].runbook", "\(runbook): \(found)")
            #expect(found.first?.message.contains("outside the plan's folder") == true || found.first?.message.contains("relative") == true,
                    "\(runbook): \(found)")
        }
    }

    @Test func aSymlinkOutOfTheFolderIsRefused() throws {
        let yaml = plan(runbook: "a.md")
        let plans = try folder(yaml)
        try FileManager.default.createSymbolicLink(atPath: plans.appending(path: "a.md").path, withDestinationPath: "/etc/shadow")
        let found = try problems(yaml, in: plans)
        #expect(found.count == 1 && found[0].field == "phases[1].runbook" && found[0].message.contains("outside"), "\(found)")
        #expect(throws: PathRefusal.self) { try PlanFolder(plans).readRunbook("a.md") }
    }

    @Test func aSymlinkInsideTheFolderIsFollowed() throws {
        let yaml = plan(runbook: "a.md")
        let plans = try folder(yaml)
        try "# A\n".write(to: plans.appending(path: "real.md"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: plans.appending(path: "a.md").path, withDestinationPath: "real.md")
        #expect(try problems(yaml, in: plans).isEmpty)
    }

    @Test func aFolderOrAHugeFileIsNoRunbook() throws {
        let yaml = plan(runbook: "a.md")
        let plans = try folder(yaml)
        try FileManager.default.createDirectory(at: plans.appending(path: "a.md"), withIntermediateDirectories: true)
        #expect(try problems(yaml, in: plans).first?.message.contains("not a regular file") == true)
        try FileManager.default.removeItem(at: plans.appending(path: "a.md"))
        try String(repeating: "x", count: Limits.runbookBytes + 1).write(to: plans.appending(path: "a.md"), atomically: true, encoding: .utf8)
        #expect(try problems(yaml, in: plans).first?.message.contains("KiB") == true)
        try FileManager.default.removeItem(at: plans.appending(path: "a.md"))
        #expect(try problems(yaml, in: plans).first?.message.contains("does not exist") == true)
    }

    func commandPlan(_ program: String) -> String {
        "phases:\n  - id: a\n    reads: old\n    writes: [old]\n  - id: b\n    reads: new\n    writes: [new]\n    gates:\n      - kind: command\n        argv: [\(program), --quick]\n"
    }

    @Test func aRelativeProgramIsResolvedAgainstThePlanFolder() throws {
        let yaml = commandPlan("./check-disk.sh")
        let plans = try folder(yaml)
        let script = plans.appending(path: "check-disk.sh")
        try "#!/bin/sh\nexit 0\n".write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        let plan = try PlanFile.parse(yaml, file: "plan.yaml", paths: PlanFolder(plans).paths)
        guard case .command(let check) = plan.phases[1].gates[0].kind else { Issue.record("no command gate"); return }
        let real = try PlanFolder(plans).url.path
        #expect(check.argv == [real + "/check-disk.sh", "--quick"])
    }

    @Test func aMissingOrNonExecutableProgramIsRefused() throws {
        let yaml = commandPlan("./check-disk.sh")
        let plans = try folder(yaml)
        var found = try problems(yaml, in: plans)
        #expect(found.count == 1 && found[0].field == "phases[2].gates[1].argv" && found[0].line == 10 && found[0].message.contains("does not exist"), "\(found)")
        try "#!/bin/sh\n".write(to: plans.appending(path: "check-disk.sh"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: plans.appending(path: "check-disk.sh").path)
        found = try problems(yaml, in: plans)
        #expect(found.count == 1 && found[0].message.contains("not executable"), "\(found)")
    }

    @Test func aBareProgramStaysAPathLookup() throws {
        let yaml = commandPlan("pg_isready")
        let plan = try PlanFile.parse(yaml, file: "plan.yaml", paths: PlanFolder(try folder(yaml)).paths)
        guard case .command(let check) = plan.phases[1].gates[0].kind else { Issue.record("no command gate"); return }
        #expect(check.argv == ["pg_isready", "--quick"])
    }
}
