import Foundation
import TestSupport
import Testing

/// `migctl approve` by the operator who made the migration's last change: it would never count
/// for their own advance, so it is refused in one sentence with its own exit code, and nothing
/// is recorded; a second operator's approval still counts.
struct SelfApprovalTests {
    static let plan = """
        phases:
          - {id: a, reads: old, writes: [old]}
          - {id: b, reads: new-fallback-old, writes: [new, old], gates: [{kind: approval, within: 1h}]}
        """

    @Test(arguments: StoreKind.allCases)
    func approvingOnesOwnChangeExitsNineAndRecordsNothing(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        _ = try under.initialized(plan: Self.plan)
        let ana = try under.migctl(as: "ana")
        let bo = try under.migctl(as: "bo")
        let moved = try ana.run(["rollout", "50", "--reason", "ana drives the migration"])
        #expect(moved.status == 0, "ana makes the last change: \(moved.stderr)")
        let before = try under.dump()

        for arguments in [["approve", "b"], ["approve", "b", "--reason", "looks fine"], ["approve", "b", "--dry-run"], ["approve", "b", "--json"]] {
            let own = try ana.run(arguments)
            #expect(own.status == 9, "\(arguments): \(own.status) \(own.stderr)")
            #expect(own.stdout.isEmpty && own.stderr.split(separator: "\n").count == 1, "one sentence: \(own.stderr)")
            #expect(own.stderr.contains("\(under.actor("ana")) made this migration's last change")
                    && own.stderr.contains("never counts") && own.stderr.contains("not recorded")
                    && own.stderr.contains("a second operator runs 'migctl approve b'"), "\(own.stderr)")
        }
        #expect(try under.dump() == before, "nothing was recorded")

        // Spelled differently, ana is still ana.
        if kind == .sqlite {
            let shouting = try ana.run(["approve", "b", "--actor", "ANA"])
            #expect(shouting.status == 9, "\(shouting.stderr)")
        }

        // Another operator's approval is recorded and counts for ana's advance.
        let second = try bo.run(["approve", "b", "--reason", "graphs look fine"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try ana.run(["rollout", "100", "--reason", "back to full"]).status == 0)
        let advanced = try ana.run(["advance", "--reason", "bo approved"])
        #expect(advanced.status == 0, "\(advanced.stderr)")
    }
}
