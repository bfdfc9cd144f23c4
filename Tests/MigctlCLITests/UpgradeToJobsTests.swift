import Foundation
import MigrationCore
import Testing
import TestSupport

/// Contract version 5 (job control, job progress, verify mismatches, tombstones wherever reads
/// fall back) reached by `migctl upgrade` from version 4 on both stores: every row kept, the plan
/// hash unchanged, the new tables guarded by their rules.
@Suite struct UpgradeToJobsTests {
    /// Takes a fresh store back to what version 4 had.
    static func downgradeToVersion4(_ under: StoreUnderTest) throws {
        let statements: String
        switch under.kind {
        case .sqlite:
            statements = """
                DROP TABLE verify_mismatches;
                DROP TABLE job_progress;
                DROP TABLE job_control;
                ALTER TABLE phases DROP COLUMN tombstones;
                ALTER TABLE phases ADD COLUMN tombstones INTEGER GENERATED ALWAYS AS (writes LIKE 'new%' AND reads = 'new-fallback-old') VIRTUAL;
                DELETE FROM grdb_migrations WHERE identifier = 'v5';
                PRAGMA user_version = 4;
                """
        case .postgres:
            statements = """
                DROP TABLE verify_mismatches, job_progress, job_control;
                DROP FUNCTION job_control_change(), job_progress_change();
                ALTER TABLE phases DROP COLUMN tombstones;
                ALTER TABLE phases ADD COLUMN tombstones boolean GENERATED ALWAYS AS (writes LIKE 'new%' AND reads = 'new-fallback-old') STORED;
                ALTER TABLE audit DROP CONSTRAINT audit_action_check;
                ALTER TABLE audit ADD CONSTRAINT audit_action_check
                  CHECK (action IN ('init', 'advance', 'rollback', 'rollout', 'upgrade', 'approve', 'tick', 'untick', 'forget',
                                    'guard-fire', 'guard-clear', 'guard-lease'));
                UPDATE schema_version SET version = 4;
                """
        }
        let result = try under.sql(statements)
        guard result.status == 0 else { throw UpgradeRefused(message: result.stderr) }
    }

    @Test(arguments: StoreKind.allCases)
    func aVersion4StoreUpgradesToJobsKeepingEveryRowAndItsHash(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Plan.ungatedYAML)
        #expect(try migctl.run(["advance", "--reason", "before the upgrade"]).status == 0)
        #expect(try migctl.run(["rollout", "40"]).status == 0)
        try Self.downgradeToVersion4(under)
        #expect(try under.sql("SELECT id FROM phases WHERE tombstones ORDER BY position").stdout
                    .split(whereSeparator: \.isNewline) == ["new-primary", "new-only", "backfill"])

        let refused = try migctl.run(["status"])
        #expect(refused.status == 1 && refused.stderr.contains("migctl upgrade"), "\(refused.stderr)")
        let upgraded = try migctl.run(["upgrade"])
        #expect(upgraded.status == 0 && upgraded.stdout.contains("from schema version 4 to 5"), "\(upgraded.stdout)\(upgraded.stderr)")
        #expect(try migctl.run(["upgrade"]).stdout.contains("nothing to do"))

        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(status["phase"] as? String == "dual-write" && status["rollout"] as? Double == 40)
        let verify = try migctl.run(["log", "--verify"])
        #expect(verify.status == 0, "the plan hash does not cover the tombstones column: \(verify.stdout)\(verify.stderr)")
        // Tombstones now wherever reads fall back to the old store: read-new too.
        #expect(try under.sql("SELECT id FROM phases WHERE tombstones ORDER BY position").stdout
                    .split(whereSeparator: \.isNewline) == ["read-new", "new-primary", "new-only", "backfill"])
        // The new tables are there, and guarded: a control row needs its audit row.
        let unaudited = try under.sql(kind == .sqlite
            ? "INSERT INTO job_control (job, paused, rate, batch, changed_at, changed_by) VALUES ('backfill', 1, 0, 500, '2026-11-26T22:00:00.000Z', 'x')"
            : "INSERT INTO job_control (job, paused) VALUES ('backfill', true)")
        #expect(unaudited.status != 0 && unaudited.stderr.contains("first insert the audit row"), "\(unaudited.stderr)")
        #expect(try under.sql("SELECT count(*) FROM job_progress").stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }
}
