import Foundation
import MigrationCore
import TestSupport
import Testing

/// Command gates as an operator's scripts really behave: background children, programs
/// that ignore the timeout, output that never closes.
struct GateProgramTests {
    let folder = TemporaryDirectory()

    func script(_ name: String, _ body: String) throws -> String {
        let path = folder.path(name)
        try Data("#!/bin/sh\n\(body)\n".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o755)
        return path
    }

    func isRunning(pidFile: String) -> Bool {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return false }
        return kill(pid, 0) == 0
    }

    @Test func aBackgroundChildDoesNotHoldTheGateOpenAndIsKilled() throws {
        let pids = folder.path("bg.pid")
        let path = try script("bg.sh", "sleep 120 &\necho $! > \(pids)\necho checked\nexit 0")
        let started = ContinuousClock.now
        let outcome = CommandRunner().run(CommandCheck(argv: [path], timeoutSeconds: 30), environment: [:])
        #expect(outcome.ending == .exited(0))
        #expect(outcome.lastLines == ["checked"])
        #expect(ContinuousClock.now - started < .seconds(10), "returned when the program exited, not when its child did")
        #expect(eventually { !isRunning(pidFile: pids) }, "the background sleep was killed with the gate's group")
    }

    @Test func theTimeoutHoldsWhateverThePipesHold() throws {
        let pids = folder.path("slow.pid")
        let path = try script("slow.sh", "sleep 25 &\necho $! > \(pids)\ntrap '' TERM\nsleep 25")
        let started = ContinuousClock.now
        let outcome = CommandRunner().run(CommandCheck(argv: [path], timeoutSeconds: 1), environment: [:])
        let took = ContinuousClock.now - started
        #expect(outcome.ending == .timedOut)
        #expect(took < .seconds(10), "killed at 1s plus the grace period, not after the children's 25s (took \(took))")
        #expect(eventually { !isRunning(pidFile: pids) })
    }

    @Test func outputGoesThroughAPipeNotATemporaryFile() throws {
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [])
        let outcome = CommandRunner().run(CommandCheck(argv: ["sh", "-c", "for i in 1 2 3 4 5 6 7; do echo line $i; done; exit 3"],
                                                       timeoutSeconds: 5), environment: [:])
        #expect(outcome.ending == .exited(3))
        #expect(outcome.lastLines == ["line 3", "line 4", "line 5", "line 6", "line 7"])
        let after = Set((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [])
        #expect(after.subtracting(before).filter { $0.hasPrefix("migctl-check") }.isEmpty)
    }

    @Test func aProgramNotOnThePathCannotStart() {
        let outcome = CommandRunner().run(CommandCheck(argv: ["no-such-program-here"], timeoutSeconds: 5), environment: ["PATH": "/usr/bin"])
        #expect(outcome.ending == .couldNotStart("'no-such-program-here' was not found on PATH"))
    }

    @Test func aSignalIsReportedAsTheShellWould() {
        let outcome = CommandRunner().run(CommandCheck(argv: ["sh", "-c", "kill -9 $$"], timeoutSeconds: 5), environment: [:])
        #expect(outcome.ending == .exited(137))
    }

    @Test func cancellingKillsTheProgramAtOnce() throws {
        let flag = CancelFlag()
        let started = ContinuousClock.now
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { flag.set() }
        let outcome = CommandRunner().run(CommandCheck(argv: ["sleep", "30"], timeoutSeconds: 30), environment: [:], cancel: flag)
        #expect(outcome.ending == .cancelled)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func eachGateProgramRunsOncePerDecision() throws {
        let runs = folder.path("runs")
        let path = try script("count.sh", "echo run >> \(runs)")
        let plan = Plan(phases: [
            Phase(id: "a", title: "a", reads: .old, writes: [.old], ramp: false),
            Phase(id: "b", title: "b", reads: .old, writes: [.old, .new], ramp: false,
                  gates: [Gate(.command(CommandCheck(argv: [path], timeoutSeconds: 5)))]),
        ])
        let store = try SQLiteControlStore.create(at: folder.path("c.db"), name: "m", plan: plan, runbooks: [:], checklists: [:],
                                                  by: Operator(name: "ana", host: "h"), at: Date())
        let control = MigrationControl(store: store, signer: Operator(name: "ana", host: "h"))
        let report = try #require(try control.checkNext())
        #expect(report.allPass)
        try control.perform(.advance(), reason: "checked", authority: AdvanceAuthority(checked: report))
        #expect(try String(contentsOfFile: runs, encoding: .utf8) == "run\n", "the preview's run is the decision's run")
        #expect(try store.state().phase == "b")
    }

    @Test func aReportOfAnotherVersionIsNotReused() throws {
        let runs = folder.path("runs")
        let path = try script("count.sh", "echo run >> \(runs)")
        let plan = Plan(phases: [
            Phase(id: "a", title: "a", reads: .old, writes: [.old]),
            Phase(id: "b", title: "b", reads: .old, writes: [.old, .new],
                  gates: [Gate(.command(CommandCheck(argv: [path], timeoutSeconds: 5)))]),
        ])
        let store = try SQLiteControlStore.create(at: folder.path("c.db"), name: "m", plan: plan, runbooks: [:], checklists: [:],
                                                  by: Operator(name: "ana", host: "h"), at: Date())
        let control = MigrationControl(store: store, signer: Operator(name: "ana", host: "h"))
        let report = try #require(try control.checkNext())
        try control.perform(.setRollout(Rollout(basisPoints: 5000)), reason: "moved")
        try control.perform(.setRollout(.full), reason: "moved back")
        try control.perform(.advance(), reason: "checked", authority: AdvanceAuthority(checked: report))
        #expect(try String(contentsOfFile: runs, encoding: .utf8) == "run\nrun\n")
    }
}
