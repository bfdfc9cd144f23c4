import Foundation
import MigrationCore
import Testing
import TestSupport

/// Contract version 4 (the guard) reached by `migctl upgrade` from version 3 on both stores:
/// every row kept, the plan hash unchanged, the guard usable afterwards.
@Suite struct UpgradeToGuardTests {
    /// Takes a fresh store back to what version 3 had: no automation column, no guard tables,
    /// no guard audit actions. (The state rule's function keeps its hold check, which finds no
    /// table until the upgrade: the upgrade replaces it anyway.)
    static func downgradeToVersion3(_ under: StoreUnderTest) throws {
        try UpgradeToJobsTests.downgradeToVersion4(under)
        let statements: String
        switch under.kind {
        case .sqlite:
            statements = """
                DROP TRIGGER state_held_by_guard;
                DROP TABLE guard_firings;
                DROP TABLE guard_lease;
                ALTER TABLE phases DROP COLUMN automation;
                DELETE FROM grdb_migrations WHERE identifier = 'v4';
                PRAGMA user_version = 3;
                """
        case .postgres:
            statements = """
                DROP TABLE guard_firings, guard_lease;
                DROP FUNCTION guard_firing_change(), guard_lease_change();
                ALTER TABLE phases DROP COLUMN automation CASCADE;
                CREATE OR REPLACE FUNCTION phase_fields(p phases) RETURNS text[] STABLE LANGUAGE sql SET search_path = pg_catalog, pg_temp
                  AS $$ SELECT ARRAY[p.position::text, p.id, p.title, p.reads, p.writes, p.irreversible::int::text, p.ramp::int::text,
                                     p.runbook_path, p.runbook, p.gates] $$;
                ALTER TABLE audit DROP CONSTRAINT audit_action_check;
                ALTER TABLE audit ADD CONSTRAINT audit_action_check
                  CHECK (action IN ('init', 'advance', 'rollback', 'rollout', 'upgrade', 'approve', 'tick', 'untick', 'forget'));
                UPDATE schema_version SET version = 3;
                """
        }
        let result = try under.sql(statements)
        guard result.status == 0 else { throw UpgradeRefused(message: result.stderr) }
    }

    @Test(arguments: StoreKind.allCases)
    func aVersion3StoreUpgradesToTheGuardKeepingEveryRowAndItsHash(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Plan.ungatedYAML)
        #expect(try migctl.run(["advance", "--reason", "before the upgrade"]).status == 0)
        #expect(try migctl.run(["rollout", "40"]).status == 0)
        try Self.downgradeToVersion3(under)

        let refused = try migctl.run(["status"])
        #expect(refused.status == 1 && refused.stderr.contains("migctl upgrade"), "\(refused.stderr)")
        let upgraded = try migctl.run(["upgrade"])
        #expect(upgraded.status == 0 && upgraded.stdout.contains("from schema version 3 to 5"), "\(upgraded.stdout)\(upgraded.stderr)")
        #expect(try migctl.run(["upgrade"]).stdout.contains("nothing to do"))

        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(status["phase"] as? String == "dual-write" && status["rollout"] as? Double == 40)
        let verify = try migctl.run(["log", "--verify"])
        #expect(verify.status == 0, "the plan hash of a plan without automation is what it was: \(verify.stdout)\(verify.stderr)")
        let log = try #require(try migctl.json(["log", "--json", "--limit", "1"]) as? [[String: Any]])
        #expect(log.first?["action"] as? String == "upgrade")

        // The guard's tables work after the upgrade.
        let guardStatus = try migctl.run(["guard", "status"])
        #expect(guardStatus.status == 0 && guardStatus.stdout.contains("none has run"), "\(guardStatus.stdout)\(guardStatus.stderr)")
        #expect(try migctl.run(["rollout", "50"]).status == 0, "nothing holds the upgraded store")
    }
}

struct UpgradeRefused: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
