import Foundation
import TestSupport
import Testing

/// A plan of two phases, `a` then `b`, with one gate into `b`.
func twoPhases(gate: String) -> String {
    "phases:\n  - {id: a, reads: old, writes: [old]}\n  - {id: b, reads: new, writes: [new], gates: [\(gate)]}\n"
}

/// Plans, runbooks, reasons and actor names are bounded and stay where they belong,
/// counted the same way by every command.
struct InputLimitTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }

    func initialized() throws -> MigctlProcess {
        let result = try migctl.run(["init", "--name", "users-v2"])
        #expect(result.status == 0, "\(result.stderr)")
        return migctl
    }

    func writePlan(_ yaml: String, to name: String = "plans/plan.yaml") throws {
        let url = folder.url.appending(path: name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(yaml.utf8).write(to: url)
    }

    func planNaming(runbook: String) -> String {
        "phases:\n  - id: a\n    reads: old\n    writes: [old]\n    runbook: \(runbook)\n  - id: b\n    reads: new\n    writes: [new]\n"
    }

    @Test func runbooksOutsideThePlanFolderAreRefusedAndNothingIsCreated() throws {
        try FileManager.default.createDirectory(at: folder.url.appending(path: "plans"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.path("plans/shadow.md"), withDestinationPath: "/etc/shadow")
        for runbook in ["../../../../../../../etc/passwd", "shadow.md", "../../../../../../../proc/self/environ"] {
            try writePlan(planNaming(runbook: runbook))
            let result = try migctl.run(["init", "--name", "m", "--plan", "plans/plan.yaml"])
            #expect(result.status == 1, "\(runbook): \(result.stderr)")
            #expect(result.stderr.contains("plans/plan.yaml:5: phases[1].runbook"), "\(runbook): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder.path("migctl.db")))
        }
    }

    @Test func theBuiltInPlansRunbookFolderIsHeldToTheSameRule() throws {
        let books = folder.url.appending(path: "books")
        try FileManager.default.createDirectory(at: books, withIntermediateDirectories: true)
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for file in try FileManager.default.contentsOfDirectory(atPath: repository.appending(path: "Runbooks").path) {
            try FileManager.default.copyItem(at: repository.appending(path: "Runbooks/\(file)"), to: books.appending(path: file))
        }
        let target = try #require(try FileManager.default.contentsOfDirectory(atPath: books.path).sorted().first)
        try FileManager.default.removeItem(at: books.appending(path: target))
        try FileManager.default.createSymbolicLink(atPath: books.appending(path: target).path, withDestinationPath: "/etc/passwd")
        let result = try migctl.run(["init", "--name", "m", "--runbooks", "books"])
        #expect(result.status == 1 && result.stderr.contains(target) && result.stderr.contains("outside"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("migctl.db")))
    }

    @Test func aRelativeGateProgramRunsFromThePlanFolderWhereverMigctlRuns() throws {
        try writePlan(twoPhases(gate: "{kind: command, argv: [./check-disk.sh, ok]}"))
        let script = folder.url.appending(path: "plans/check-disk.sh")
        try Data("#!/bin/sh\necho \"disk $1\"\n".utf8).write(to: script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        // A decoy of the same name in the caller's folder must never run.
        let decoy = folder.url.appending(path: "check-disk.sh")
        try Data("#!/bin/sh\necho decoy\nexit 1\n".utf8).write(to: decoy)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: decoy.path)
        let created = try migctl.run(["init", "--name", "m", "--plan", "plans/plan.yaml"])
        #expect(created.status == 0, "\(created.stderr)")
        let check = try migctl.run(["check"])
        #expect(check.status == 0 && check.stdout.contains("disk ok") && !check.stdout.contains("decoy"), "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("/plans/check-disk.sh ok"))
    }

    @Test func aRelativeGateProgramThatIsMissingIsRefusedAtInit() throws {
        try writePlan("phases:\n  - {id: a, reads: old, writes: [old]}\n  - id: b\n    reads: new\n    writes: [new]\n    gates:\n      - {kind: command, argv: [./nope.sh]}\n")
        let result = try migctl.run(["init", "--name", "m", "--plan", "plans/plan.yaml"])
        #expect(result.status == 1 && result.stderr.contains("plan.yaml:7: phases[2].gates[1].argv") && result.stderr.contains("does not exist"),
                "\(result.stderr)")
    }

    @Test func aPlanWithTooManyPhasesIsRefused() throws {
        try writePlan("phases:\n" + (0..<200).map { "  - {id: p\($0), reads: old, writes: [old]}\n" }.joined())
        let result = try migctl.run(["init", "--name", "m", "--plan", "plans/plan.yaml"])
        #expect(result.status == 1 && result.stderr.contains("phases"), "\(result.stderr)")
    }

    @Test func aHugePlanFileIsRefusedBeforeItIsRead() throws {
        try writePlan("phases:\n" + (0..<40_000).map { "  - {id: p\($0), reads: old, writes: [old]}\n" }.joined())
        let result = try migctl.run(["init", "--name", "m", "--plan", "plans/plan.yaml"])
        #expect(result.status == 1 && result.stderr.contains("1 MiB"), "\(result.stderr)")
    }

    static let stacked = "e" + String(repeating: "\u{0301}", count: 60_000)

    @Test func reasonsAreLimitedInScalarsByEveryCommand() throws {
        var migctl = try initialized()
        migctl.environment["MIGCTL_ACTOR"] = "ana"
        for command in [["advance", "--reason", Self.stacked], ["rollback", "--reason", Self.stacked],
                        ["rollout", "50", "--reason", Self.stacked], ["approve", "dual-write", "--reason", Self.stacked],
                        ["approve", "dual-write", "--reason", String(repeating: "r", count: 2001)]] {
            let result = try migctl.run(command)
            #expect(result.status == 64 && result.stderr.contains("2000"), "\(command[0]): \(result.status) \(result.stderr.prefix(300))")
        }
        #expect(try migctl.run(["approve", "dual-write", "--reason", String(repeating: "r", count: 2000)]).status == 0)
    }

    @Test func actorsAreLimitedWhereverTheyComeFrom() throws {
        var migctl = try initialized()
        let long = String(repeating: "a", count: 129)
        #expect(try migctl.run(["advance", "--actor", long]).status == 64)
        #expect(try migctl.run(["advance", "--actor", Self.stacked]).status == 64)
        migctl.environment["MIGCTL_ACTOR"] = long
        let fromEnvironment = try migctl.run(["advance"])
        #expect(fromEnvironment.status == 64 && fromEnvironment.stderr.contains("MIGCTL_ACTOR"), "\(fromEnvironment.stderr)")
        migctl.environment["MIGCTL_ACTOR"] = nil
        migctl.environment["USER"] = "alice\u{200B}"
        let fromUser = try migctl.run(["advance"])
        #expect(fromUser.status == 64 && fromUser.stderr.contains("USER") && fromUser.stderr.contains("U+200B"), "\(fromUser.stderr)")
    }
}

/// The two-person rule compares normalised names: `alice` and `Alice` are one person.
struct WhoApprovedTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }

    func initialized() throws -> MigctlProcess {
        try Data(twoPhases(gate: "{kind: approval, within: 1h}").utf8).write(to: folder.url.appending(path: "plan.yaml"))
        #expect(try migctl.run(["init", "--name", "m", "--plan", "plan.yaml"]).status == 0)
        return migctl
    }

    @Test func aDifferentSpellingOfTheApproverIsNotAnotherOperator() throws {
        let migctl = try initialized()
        let approved = try migctl.run(["approve", "b", "--actor", "alice"])
        #expect(approved.status == 0 && approved.stdout == "approved b as alice\n", "\(approved.stdout)\(approved.stderr)")
        let advance = try migctl.run(["advance", "--actor", "Alice"])
        #expect(advance.status == 3 && advance.stderr.contains("approval of b by another operator"), "\(advance.stderr)")
        let check = try migctl.run(["check", "--actor", " ALICE "])
        #expect(check.status == 3 && check.stdout.contains("your own approval does not count"), "\(check.stdout)")
        #expect(try migctl.run(["advance", "--actor", "alice\u{200B}"]).status == 64)
        #expect(try migctl.run(["advance", "--actor", "\u{0430}lice"]).status == 64)
        #expect(try migctl.run(["advance", "--actor", "bob"]).status == 0)
        let log = try #require(try migctl.json(["log", "--json", "--limit", "2"]) as? [[String: Any]])
        #expect(log.map { $0["actor"] as? String } == ["bob", "alice"])
    }

    @Test func anApprovalWrittenUnderAnotherSpellingBySQLStillCountsAsTheirs() throws {
        let migctl = try initialized()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [folder.path("migctl.db"),
                             "INSERT INTO approvals (phase, actor, host, at, reason) VALUES ('b', 'Alice' || char(8203), 'h', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL)"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(try migctl.run(["advance", "--actor", "alice"]).status == 3)
    }
}
