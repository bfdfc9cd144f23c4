import Foundation
import MigrationCore
import TestSupport
import Testing

/// The demo's service killed with `kill -9` at random points while its backfill copies, and
/// started again each time: the backfill resumes from the cursor it stored (it never starts
/// over), and at the end the full verification finds every key of the old store in the new
/// one and the service's invariants hold (no acknowledged write lost or overwritten by a copy,
/// no deleted key back).
@Suite(.serialized)
struct BackfillCrashTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess {
        var process = MigctlProcess(folder: folder.url)
        process.environment["MIGCTL_DB"] = folder.url.appending(path: "migctl.db").path
        return process
    }
    let service = ["simulate", "--stores", ".", "--records", "6000", "--rate", "200"]

    func waitFor(_ what: String, timeout: TimeInterval = 60, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            guard Date() < deadline else { throw CLIError(message: "timed out waiting for \(what)") }
            usleep(20_000)
        }
    }

    @Test(.timeLimit(.minutes(4)))
    func aBackfillKilledAtRandomPointsResumesAndLosesNothing() throws {
        // The ungated plan with the verified gate into cleanup, which the end of the test passes.
        let plan = Plan(phases: Plan.ungated.phases.map { phase in
            var phase = phase
            if phase.id == "cleanup" { phase.gates = [Gate(.verified(since: "backfill"), overridable: false)] }
            return phase
        })
        let store = try SQLiteControlStore.create(at: folder.url.appending(path: "migctl.db").path, name: "m", plan: plan,
                                                  runbooks: [:], checklists: [:], by: Operator(name: "t", host: "h"), at: Date())
        let control = MigrationControl(store: store, signer: Operator(name: "t", host: "h"))
        while try store.state().phase != "backfill" {
            if try store.state().rollout != .full { try control.perform(.setRollout(.full)) }
            try control.perform(.advance(), authority: AdvanceAuthority(confirmation: try store.plan().next(after: store.state().phase)?.id))
        }
        // Small, slow batches, so that a kill lands in the middle of the walk.
        #expect(try migctl.run(["backfill", "batch", "50"]).status == 0)
        #expect(try migctl.run(["backfill", "rate", "1500"]).status == 0)

        var generator = SystemRandomNumberGenerator()
        var kills = 0
        var lastCursor: String?
        for _ in 0..<6 {
            let before = try store.jobProgress(.backfill)
            if before?.finishedAt != nil { break }
            let process = try migctl.start(service)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            // Killed once the walk moved on from where it was, after a random few batches more.
            try waitFor("the backfill moving on") { try store.jobProgress(.backfill).map { $0.done > (before?.done ?? 0) } ?? false }
            usleep(UInt32.random(in: 0...400_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            kills += 1
            let after = try #require(try store.jobProgress(.backfill))
            #expect(after.done >= (before?.done ?? 0), "the walk never went back: \(after.done) after \(before?.done ?? 0)")
            if let lastCursor, let cursor = after.cursor { #expect(cursor >= lastCursor, "resumed from its cursor, not the start") }
            lastCursor = after.cursor
        }
        #expect(kills >= 2, "the backfill was killed mid-walk at least twice")

        #expect(try migctl.run(["backfill", "rate", "0"]).status == 0)
        #expect(try migctl.run(["backfill", "batch", "2000"]).status == 0)
        let finished = try migctl.start(service)
        let output = Pipe()
        finished.standardOutput = output
        finished.standardError = FileHandle.nullDevice
        try finished.run()
        defer { if finished.isRunning { kill(finished.processIdentifier, SIGKILL) } }
        try waitFor("the verification after the backfill", timeout: 120) { try store.jobProgress(.verify)?.finishedAt != nil }
        kill(finished.processIdentifier, SIGTERM)
        finished.waitUntilExit()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(finished.terminationStatus == 0 && report.contains("invariants hold"), "\(report)")

        let verification = try #require(try store.jobProgress(.verify))
        let found = try store.verifyMismatches(runStartedAt: verification.startedAt, limit: 5)
        #expect(verification.mismatches == 0 && verification.done == verification.total, "no key skipped or corrupted: \(found.map(\.key))")
        let check = try migctl.run(["check", "--json"])
        #expect(check.status == 0, "the verified gate into cleanup passes: \(check.stdout)")
    }
}
