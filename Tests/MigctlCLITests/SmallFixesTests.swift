import Foundation
import TestSupport
import Testing

/// Exit codes and sentences a script relies on, and an `init` that is all or nothing.
struct SmallFixesTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }

    @Test func usageErrorsAreOneMigctlSentenceWithExit64() throws {
        for arguments in [["advance", "--expect-version=-1"], ["advance", "--expect-version", "0"], ["status", "--bogus"], ["frobnicate"]] {
            let result = try migctl.run(arguments)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.hasPrefix("migctl: ") && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(!result.stderr.contains("Usage:") && !result.stderr.contains("Error:"))
        }
        let help = try migctl.run(["status", "--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE"))
    }

    @Test func usageErrorsEchoNoEscapeSequences() throws {
        let result = try migctl.run(["rollout", "\u{1b}]52;c;ZWNobyBwd25lZA==\u{07}"])
        #expect(result.status == 64 || result.status == 1)
        #expect(!result.stderr.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x07 })
    }

    @Test(arguments: StoreKind.allCases)
    func checklistOfAnUnknownPhaseIsRefused(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = under.migctl
        #expect(try migctl.run(["init", "--name", "m"]).status == 0)
        let result = try migctl.run(["checklist", "--phase", "nope"])
        #expect(result.status == 64 && result.stderr.contains("the plan has no phase 'nope'; its phases are old-only"), "\(result.stderr)")
        #expect(try migctl.run(["checklist", "--tick", "0"]).status == 64)
        #expect(try migctl.run(["checklist", "--tick", "1", "--untick", "1"]).status == 64)
    }

    @Test func aMissingPlanFileIsCalledMissing() throws {
        let result = try migctl.run(["init", "--name", "m", "--plan", "no-such-plan.yaml"])
        #expect(result.status == 1 && result.stderr.contains("there is no plan file there"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.url.appending(path: "migctl.db").path))
    }

    @Test(arguments: StoreKind.allCases)
    func initNeverLeavesAHalfBuiltStore(_ kind: StoreKind) throws {
        // Kill init at many points; each time the store is absent or whole. (A file is built
        // aside and linked into place; a schema is created in one transaction.)
        let under = try StoreUnderTest(kind)
        let step: UInt32 = kind == .sqlite ? 4_000 : 25_000
        for attempt in 0..<12 {
            let location = under.other("killed-\(attempt).db")
            let process = try under.migctl.start(["init", "--name", "m", "--db", location])
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(attempt) * step)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            guard under.exists(location) else { continue }
            let status = try under.migctl.run(["status", "--db", location])
            #expect(status.status == 0, "attempt \(attempt): a store at the location that is not whole: \(status.stderr)")
        }
    }
}

struct ExitCodeDocumentationTests {
    @Test func helpAndREADMEListEveryExitCode() throws {
        let help = try MigctlProcess(folder: URL(fileURLWithPath: "/tmp")).run(["--help"]).stdout.replacingOccurrences(of: "\n", with: " ")
        let readme = try String(contentsOfFile: #filePath.components(separatedBy: "/Tests/")[0] + "/README.md", encoding: .utf8)
        for code in ["0 done", "1 error", "3 a gate failed", "4 confirmation", "5 conflict", "6 refused", "7 the demo's service", "64 usage"] {
            #expect(help.contains(code), "--help lacks \(code)")
            #expect(readme.replacingOccurrences(of: "\n", with: " ").contains(code), "README lacks \(code)")
        }
    }
}
