import Foundation
import MigrationCore
import TestSupport
import Testing

/// `--dry-run` on `advance`, `rollback`, `rollout`, `approve` and `checklist`, on both stores:
/// in its success and its failure cases a dry run leaves the store's dump as it was, and exits
/// as the real command then does from the same state, with the same sentence on stderr.
struct DryRunTests {
    /// `b` asks for `a`'s checklist; `c` is irreversible and asks for `b` at 100%, another
    /// operator's approval and no mismatch (which cannot be overridden).
    static let plan = """
        phases:
          - id: a
            reads: old
            writes: [old]
            runbook: a.md
          - id: b
            reads: old
            writes: [old, new]
            gates:
              - kind: checklist
          - id: c
            reads: new-fallback-old
            writes: [new, old]
            irreversible: true
            gates:
              - kind: rollout
              - kind: approval
                within: 1h
              - kind: counter
                numerator: [verify.mismatch]
                window: 1h
                max: 0
                overridable: false
          - {id: d, reads: new, writes: [new], ramp: false}
        """

    /// The store made from ``plan``, at `a` with its two checklist items open.
    func initialized(_ under: StoreUnderTest) throws -> MigctlProcess {
        try Data("# A\n\n## Checklist\n\n- [ ] backups tested\n- [ ] on-call briefed\n".utf8)
            .write(to: under.folder.url.appending(path: "a.md"))
        return try under.initialized(plan: Self.plan, name: "m")
    }

    /// The store made from ``plan``, moved to `b` at 100%: the next advance is into the irreversible `c`.
    func atB(_ under: StoreUnderTest) throws -> MigctlProcess {
        let migctl = try initialized(under)
        for arguments in [["checklist", "--tick", "1", "--tick", "2"], ["advance"], ["rollout", "100"]] {
            let result = try migctl.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        return migctl
    }

    /// Runs `arguments` with `--dry-run`, which must leave the dump as it was, then for real from
    /// the same state: both must exit `status`, and fail with the same sentence. Returns the dry run.
    @discardableResult
    func rehearsed(
        _ arguments: [String], by migctl: MigctlProcess, on under: StoreUnderTest, exits status: Int32,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> MigctlProcess.Result {
        let before = try under.dump()
        let dry = try migctl.run(arguments + ["--dry-run"])
        #expect(try under.dump() == before, "\(arguments) --dry-run wrote to the store", sourceLocation: sourceLocation)
        let real = try migctl.run(arguments)
        #expect(dry.status == status && real.status == status,
                "\(arguments): the dry run exits \(dry.status) (\(dry.stderr)), the command \(real.status) (\(real.stderr)), want \(status)",
                sourceLocation: sourceLocation)
        if status != 0 {
            #expect(dry.stderr == real.stderr, "\(arguments)", sourceLocation: sourceLocation)
            #expect(dry.stderr.hasPrefix("migctl: ") && dry.stderr.split(separator: "\n").count == 1, "\(dry.stderr)",
                    sourceLocation: sourceLocation)
        }
        return dry
    }

    // MARK: - advance

    @Test(arguments: StoreKind.allCases)
    func advanceShowsTheGatesAndExitsAsTheAdvance(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        let gated = try rehearsed(["advance"], by: migctl, on: under, exits: 3)
        #expect(gated.stdout == """
            dry run: 'a' → 'b' would not be made; nothing was written
            gates of b
              FAIL    checklist of a: 0/2 ticked (want all) · 2 items open, first #1: backups tested

            """, "the figures of a failing gate are printed too")
        #expect(gated.stderr.hasPrefix("migctl: 1 gate of 'b' did not pass: checklist of a"))
        let refused = try rehearsed(["advance", "--to", "c"], by: migctl, on: under, exits: 6)
        #expect(refused.stdout == "dry run: 'a' → 'b' would not be made; nothing was written\n", "a refused advance runs no gate")
        try rehearsed(["advance", "--expect-version", "7"], by: migctl, on: under, exits: 5)
        try rehearsed(["advance", "--rollout", "101"], by: migctl, on: under, exits: 64)
        #expect(try migctl.run(["checklist", "--tick", "1", "--tick", "2"]).status == 0)
        let admitted = try rehearsed(["advance", "--rollout", "25", "--reason", "dual writes deployed"], by: migctl, on: under, exits: 0)
        #expect(admitted.stdout == """
            dry run: 'a' → 'b' at 25% (version 1 → 2); nothing was written
            gates of b
              pass    checklist of a: 2/2 ticked (want all) · every checklist item is ticked

            """)
        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(status["phase"] as? String == "b" && status["version"] as? Int == 2, "the real advance followed")
        let past = try rehearsed(["advance", "--confirm", "c"], by: migctl, on: under, exits: 6)
        #expect(past.stderr.contains("100%"), "\(past.stderr)")
    }

    @Test(arguments: StoreKind.allCases)
    func intoAnIrreversiblePhaseTheConfirmationIsCheckedAfterTheGates(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try atB(under)
        let gated = try rehearsed(["advance", "--confirm", "c"], by: migctl, on: under, exits: 3)
        #expect(gated.stdout.contains("gates of c (irreversible: advance needs --confirm c)\n  pass    rollout of b: 100%"))
        #expect(gated.stdout.contains("  FAIL    approval of c by another operator: none (want within 1h)"))
        #expect(gated.stdout.contains("  pass    verify.mismatch over 1h: 0 (want ≤ 0) · verify.mismatch is within bounds · not overridable"),
                "\(gated.stdout)")
        #expect(try under.migctl(as: "bo").run(["approve", "c"]).status == 0)
        let unconfirmed = try rehearsed(["advance"], by: migctl, on: under, exits: 4)
        #expect(unconfirmed.stdout.hasPrefix("dry run: 'b' → 'c' would not be made; nothing was written\ngates of c"))
        #expect(unconfirmed.stdout.contains("  pass    approval of c by another operator: \(under.actor("bo")), "),
                "the gates are shown when only the confirmation is missing: \(unconfirmed.stdout)")
        let wrong = try rehearsed(["advance", "--confirm", "b"], by: migctl, on: under, exits: 4)
        #expect(wrong.stderr.contains("the confirmation 'b' is not 'c'"))
        let confirmed = try rehearsed(["advance", "--confirm", "c", "--reason", "all green"], by: migctl, on: under, exits: 0)
        #expect(confirmed.stdout.hasPrefix("dry run: 'b' → 'c' at 0% (version 3 → 4); nothing was written\n"))
        // Past the point of no return (above 0%): a rollback and a lowered rollout are refused, dry or not.
        #expect(try migctl.run(["rollout", "50"]).status == 0)
        let back = try rehearsed(["rollback"], by: migctl, on: under, exits: 6)
        #expect(back.stdout == "dry run: rollback from 'c' would not be made; nothing was written\n")
        let lowered = try rehearsed(["rollout", "20"], by: migctl, on: under, exits: 6)
        #expect(lowered.stdout == "dry run: rollout of 'c' 50% → 20% would not be made; nothing was written\n")
    }

    @Test(arguments: StoreKind.allCases)
    func forceOverridesInADryRunOnlyWhatThePlanAllows(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try atB(under)
        let before = try under.dump()
        let forced = try migctl.run(["advance", "--force", "--reason", "approver on leave", "--confirm", "c", "--dry-run"])
        #expect(forced.status == 0 && forced.stdout.contains("  FAIL    approval of c"), "\(forced.stderr)")
        #expect(try under.dump() == before)
        try rehearsed(["advance", "--force", "--confirm", "c"], by: migctl, on: under, exits: 64)
        #expect(try migctl.run(["count", "verify.mismatch"]).status == 0)
        let held = try rehearsed(["advance", "--force", "--reason", "ship it", "--confirm", "c"], by: migctl, on: under, exits: 3)
        #expect(held.stderr.contains("cannot be overridden") && held.stdout.contains("  FAIL    verify.mismatch over 1h: 1 (want ≤ 0)"))
    }

    // MARK: - rollback and rollout

    @Test(arguments: StoreKind.allCases)
    func rollbackAndRolloutShowTheNextGatesAsTheyWouldReadAfter(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        try rehearsed(["rollback"], by: migctl, on: under, exits: 6)
        #expect(try migctl.run(["checklist", "--tick", "1", "--tick", "2"]).status == 0)
        #expect(try migctl.run(["advance"]).status == 0)
        let ramp = try rehearsed(["rollout", "50", "--reason", "quiet night"], by: migctl, on: under, exits: 0)
        #expect(ramp.stdout.hasPrefix("""
            dry run: rollout of 'b' 0% → 50% (version 2 → 3); nothing was written
            gates of c, as 'migctl check' would show them after this
              FAIL    rollout of b: 50% (want 100%) · ramp the current phase to 100% first

            """), "\(ramp.stdout)")
        let same = try rehearsed(["rollout", "50"], by: migctl, on: under, exits: 0)
        #expect(same.stdout.hasPrefix("dry run: nothing to change: 'b' is already at 50% (version 3); nothing was written\n"))
        try rehearsed(["rollout", "50", "--expect-version", "2"], by: migctl, on: under, exits: 5)
        try rehearsed(["rollback", "--to", "c"], by: migctl, on: under, exits: 6)
        #expect(try migctl.run(["checklist", "--untick", "2", "--phase", "a"]).status == 0)
        // Out of b at 50% the keys would stop writing the new store: refused (8), dry or not, unless forced.
        try rehearsed(["rollback", "--reason", "miss rate up"], by: migctl, on: under, exits: 8)
        let back = try rehearsed(["rollback", "--force", "--reason", "miss rate up"], by: migctl, on: under, exits: 0)
        #expect(back.stdout == """
            dry run: 'b' → 'a' at 100% (version 3 → 4); nothing was written
            gates of b, as 'migctl check' would show them after this
              FAIL    checklist of a: 1/2 ticked (want all) · 1 item open, first #2: on-call briefed

            """)
        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(status["phase"] as? String == "a" && status["version"] as? Int == 4)
    }

    @Test(arguments: StoreKind.allCases)
    func jsonIsOneObjectWithTheChangeAndTheGates(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        let gated = try migctl.run(["advance", "--dry-run", "--json"])
        #expect(gated.status == 3 && gated.stderr.hasPrefix("migctl: 1 gate of 'b' did not pass"))
        let refusal = try #require(try JSONSerialization.jsonObject(with: Data(gated.stdout.utf8)) as? [String: Any])
        #expect(refusal["dryRun"] as? Bool == true && refusal["action"] as? String == "advance")
        #expect(refusal["allowed"] as? Bool == false && refusal["changed"] as? Bool == false && refusal["after"] is NSNull)
        #expect((refusal["before"] as? [String: Any])?["version"] as? Int == 1)
        #expect((refusal["error"] as? String)?.contains("did not pass") == true)
        let gates = try #require(refusal["gates"] as? [String: Any])
        let results = try #require(gates["results"] as? [[String: Any]])
        #expect(gates["target"] as? String == "b" && results.first?["status"] as? String == "fail")
        #expect(results.first?["observed"] as? String == "0/2 ticked")

        let ticks = try #require(try migctl.json(["checklist", "--tick", "1", "--tick", "2", "--dry-run", "--json"]) as? [String: Any])
        #expect(ticks["dryRun"] as? Bool == true && ticks["tick"] as? [Int] == [1, 2] && ticks["complete"] as? Bool == true)
        #expect((ticks["items"] as? [[String: Any]])?.compactMap { $0["tickedBy"] as? String } == [under.actor(), under.actor()])
        #expect(try migctl.run(["checklist", "--tick", "1", "--tick", "2"]).status == 0)
        #expect(try migctl.run(["advance"]).status == 0)

        let ramp = try #require(try migctl.json(["rollout", "50", "--dry-run", "--json"]) as? [String: Any])
        #expect(ramp["allowed"] as? Bool == true && ramp["changed"] as? Bool == true && ramp["error"] is NSNull)
        #expect((ramp["after"] as? [String: Any])?["version"] as? Int == 3)
        #expect((ramp["gates"] as? [String: Any])?["target"] as? String == "c")

        let approval = try #require(try under.migctl(as: "bo").json(["approve", "c", "--dry-run", "--json", "--reason", "fine"]) as? [String: Any])
        #expect(approval["dryRun"] as? Bool == true)
        #expect((approval["approval"] as? [String: Any])?["actor"] as? String == under.actor("bo"))
        #expect((approval["approval"] as? [String: Any])?["reason"] as? String == "fine")
        let approvalGate = try #require(((approval["gates"] as? [String: Any])?["results"] as? [[String: Any]])?.first)
        #expect(approvalGate["status"] as? String == "pass")
    }

    // MARK: - approve and checklist

    @Test(arguments: StoreKind.allCases)
    func approveShowsTheApprovalGateAsItWouldReadAfter(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        _ = try initialized(under)
        let bo = try under.migctl(as: "bo")
        let name = under.actor("bo")
        let approve = try rehearsed(["approve", "c", "--reason", "graphs look fine"], by: bo, on: under, exits: 0)
        #expect(approve.stdout == """
            dry run: would record an approval of 'c' by \(name) ("graphs look fine"); nothing was written
            approval gate of c after it, for an advance by anyone but \(name)
              pass    approval of c by another operator: \(name), 0s ago (want within 1h) · \(name) approved

            """)
        let log = try #require(try bo.json(["log", "--json", "--limit", "1"]) as? [[String: Any]])
        #expect(log.first?["action"] as? String == "approve", "the real approval followed")
        let ungated = try rehearsed(["approve", "b"], by: bo, on: under, exits: 0)
        #expect(ungated.stdout.contains("the plan gives b no approval gate"))
        try rehearsed(["approve", "nope"], by: bo, on: under, exits: 64)
        let recorded = try #require(try bo.json(["approve", "c", "--json", "--reason", "still fine"]) as? [String: Any])
        #expect(recorded["phase"] as? String == "c" && recorded["actor"] as? String == name && recorded["reason"] as? String == "still fine")
    }

    @Test(arguments: StoreKind.allCases)
    func checklistSaysWhatWouldBeTickedAndWhetherItWouldBeComplete(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        let one = try rehearsed(["checklist", "--tick", "1"], by: migctl, on: under, exits: 0)
        #expect(one.stdout == """
            dry run: would tick #1 on the checklist of 'a'; nothing was written
            checklist of a after it: 1/2 ticked, not complete
              1. [x] backups tested  (would be ticked by \(under.actor()))
              2. [ ] on-call briefed

            """)
        let both = try rehearsed(["checklist", "--tick", "1", "--tick", "2"], by: migctl, on: under, exits: 0)
        #expect(both.stdout.hasPrefix("""
            dry run: would tick #2 on the checklist of 'a' (#1 already as asked); nothing was written
            checklist of a after it: 2/2 ticked, complete

            """), "\(both.stdout)")
        let swap = try rehearsed(["checklist", "--untick", "1", "--phase", "a"], by: migctl, on: under, exits: 0)
        #expect(swap.stdout.contains("would untick #1") && swap.stdout.contains("1/2 ticked, not complete")
                && swap.stdout.contains("  1. [ ] backups tested  (would be unticked)"))
        let missing = try rehearsed(["checklist", "--tick", "2", "--tick", "9"], by: migctl, on: under, exits: 1)
        #expect(missing.stderr.contains("has no item 9") && missing.stdout.isEmpty)
        try rehearsed(["checklist", "--phase", "nope"], by: migctl, on: under, exits: 64)
        try rehearsed(["checklist", "--tick", "0"], by: migctl, on: under, exits: 64)
    }

    // MARK: - command gates

    @Test(arguments: StoreKind.allCases)
    func commandGatesRunOnlyWithRunCommands(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let marker = under.folder.url.appending(path: "ran").path
        let gate = under.folder.url.appending(path: "gate.sh").path
        try Data("#!/bin/sh\necho ran >> '\(marker)'\necho disk ok\n".utf8).write(to: URL(fileURLWithPath: gate))
        chmod(gate, 0o755)
        let migctl = try under.initialized(plan: """
            phases:
              - {id: a, reads: old, writes: [old]}
              - id: b
                reads: old
                writes: [old, new]
                gates:
                  - {kind: command, argv: [./gate.sh], timeout: 30s}
              - id: c
                reads: new-fallback-old
                writes: [old, new]
                gates:
                  - {kind: command, argv: [./gate.sh], timeout: 30s}
            """, name: "m")
        func runs() -> Int {
            ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").split(separator: "\n").count
        }
        let before = try under.dump()
        let unrun = try migctl.run(["advance", "--dry-run"])
        #expect(unrun.status == 3, "a command gate left unrun is unknown, and blocks: \(unrun.stderr)")
        #expect(unrun.stdout.contains("  UNKNOWN \(gate): not run yet") && unrun.stdout.contains("add --run-commands"), "\(unrun.stdout)")
        #expect(runs() == 0, "no program runs without --run-commands")
        let run = try migctl.run(["advance", "--dry-run", "--run-commands"])
        #expect(run.status == 0 && run.stdout.contains("  pass    \(gate): exit 0") && run.stdout.contains("| disk ok"), "\(run.stderr)")
        #expect(runs() == 1, "the program ran once for the decision, not once for the preview and again for the advance")
        #expect(try under.dump() == before)
        #expect(try migctl.run(["advance"]).status == 0)
        #expect(runs() == 2)

        let after = try under.dump()
        let ramp = try migctl.run(["rollout", "100", "--dry-run"])
        #expect(ramp.status == 0 && ramp.stdout.contains("gates of c, as 'migctl check' would show them after this\n  UNKNOWN \(gate): not run yet"),
                "\(ramp.stdout)")
        #expect(runs() == 2)
        let ranRamp = try migctl.run(["rollout", "100", "--dry-run", "--run-commands"])
        #expect(ranRamp.status == 0 && ranRamp.stdout.contains("  pass    \(gate): exit 0"), "\(ranRamp.stdout)")
        #expect(runs() == 3)
        #expect(try under.dump() == after)
    }

    @Test func runCommandsWithoutDryRunIsAUsageError() throws {
        let folder = TemporaryDirectory()
        let migctl = MigctlProcess(folder: folder.url)
        for arguments in [["advance"], ["rollback"], ["rollout", "50"], ["approve", "b"], ["checklist", "--tick", "1"]] {
            let result = try migctl.run(arguments + ["--run-commands"])
            #expect(result.status == 64 && result.stderr.contains("--run-commands goes with --dry-run only"), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
        #expect(!FileManager.default.fileExists(atPath: folder.url.appending(path: "migctl.db").path))
    }
}
