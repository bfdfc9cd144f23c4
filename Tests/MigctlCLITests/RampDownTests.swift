import Foundation
import MigrationCore
import TestSupport
import Testing

/// A rollout decrease (or a rollback) that would make keys stop writing a store holding their
/// copies is refused with exit 8 and one sentence, and `--force --reason` makes it with an
/// audit event that says what was overridden; on both stores.
struct RampDownTests {
    /// `migctl` on a store of `kind` in `dual-write` at 100%.
    func inDualWriteAtFull(_ under: StoreUnderTest) throws -> MigctlProcess {
        let migctl = try under.initialized(plan: Plan.ungatedYAML)
        #expect(try migctl.run(["advance", "--rollout", "100"]).status == 0)
        return migctl
    }

    @Test(arguments: StoreKind.allCases)
    func loweringDualWriteExitsEightAndChangesNothing(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try inDualWriteAtFull(under)
        for args in [["rollout", "25"], ["rollout", "0", "--reason", "no --force"], ["rollback"], ["rollout", "25", "--dry-run"]] {
            let before = try under.dump()
            let result = try migctl.run(args)
            #expect(result.status == 8, "\(args): \(result.stderr) \(result.stdout)")
            if !args.contains("--dry-run") {
                #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
                #expect(result.stderr.contains("would stop writing the new store") && result.stderr.contains("--force --reason"), "\(result.stderr)")
            }
            #expect(try under.dump() == before)
        }
        let noReason = try migctl.run(["rollout", "25", "--force"])
        #expect(noReason.status == 64, "\(noReason.stderr)")
    }

    @Test(arguments: StoreKind.allCases)
    func forceWithAReasonLowersItAndTheLogSaysWhatWasOverridden(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try inDualWriteAtFull(under)
        let lowered = try migctl.run(["rollout", "25", "--force", "--reason", "new store overloaded; purge planned"])
        #expect(lowered.status == 0, "\(lowered.stderr)")
        let log = try #require(try migctl.json(["log", "--json", "--limit", "1"]) as? [[String: Any]])
        let details = try #require(log.first?["details"] as? String)
        #expect(details.contains("overridden") && details.contains("stop writing the new store"), "\(details)")
        // Up again is no decrease; back out of dual-write at 0% strands nothing.
        #expect(try migctl.run(["rollout", "0", "--force", "--reason", "all the way down"]).status == 0)
        #expect(try migctl.run(["rollback"]).status == 0)
    }
}
