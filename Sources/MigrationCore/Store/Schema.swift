import GRDB

/// The control database's schema: the contract every language reads and writes.
///
/// `PRAGMA user_version` holds the schema version. Version 1 is created by `init`;
/// later versions are numbered migrations applied only by `migctl upgrade`, never
/// silently by a reader. The README documents every table.
package enum Schema {
    /// The schema version this build of migctl reads and writes.
    package static let currentVersion = 5

    /// The largest value a counter holds; additions saturate here instead of wrapping.
    static let counterMax = "9223372036854775807"

    /// `SUM(value)` that saturates at `Int64.max` instead of failing with "integer overflow"
    /// (TOTAL sums in floating point; exact below 2^53).
    static let saturatingSum = "CAST(min(TOTAL(value), 9.2233720368547758e18) AS INTEGER)"

    /// The SQL of each schema version, in order: element `i` produces version `i + 1`.
    static let versions = [version1, version2, version3, version4, version5]

    /// Every migration in order, each setting `user_version` in its own transaction.
    ///
    /// - Parameter upgraded: called inside the transaction of each migration after
    ///   version 1 (which only `init` applies), so `upgrade` can audit it atomically.
    static func migrator(upgraded: (@Sendable (Database, _ from: Int, _ to: Int) throws -> Void)? = nil) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (index, sql) in versions.enumerated() {
            let version = index + 1
            migrator.registerMigration("v\(version)") { db in
                if version == 2 {
                    try db.execute(sql: version2Columns)
                    if try Int.fetchOne(db, sql: "SELECT count(*) FROM migration") ?? 0 > 0 {
                        try SQLiteControlStore.chainExistingRows(db)
                    }
                }
                try db.execute(sql: sql)
                try db.execute(sql: "PRAGMA user_version = \(version)")
                if version > 1 { try upgraded?(db, version - 1, version) }
            }
        }
        return migrator
    }

    /// The tables and columns of each schema version, for telling a control database from
    /// another SQLite file that happens to have a `migration` table.
    static let shapes: [Int: [String: Set<String>]] = {
        let one: [String: Set<String>] = [
            "migration": ["id", "name", "created_at", "created_by"],
            "phases": ["position", "id", "title", "reads", "writes", "irreversible", "ramp", "runbook_path", "runbook", "gates"],
            "state": ["id", "phase", "rollout", "version", "phase_since", "changed_at", "changed_by"],
            "audit": ["id", "at", "actor", "host", "action", "from_phase", "to_phase", "from_rollout", "to_rollout", "version", "reason", "details"],
            "counters": ["name", "second", "value"], "counter_minutes": ["name", "minute", "value"], "counter_totals": ["name", "value"],
            "gauges": ["name", "value", "updated_at"], "checklist_items": ["phase", "item", "text"],
            "checklist_ticks": ["phase", "item", "text", "ticked_by", "ticked_at"],
            "approvals": ["id", "phase", "actor", "host", "at", "reason"],
            "instances": ["id", "host", "pid", "serving_version", "heartbeat_at", "started_at"],
            "grdb_migrations": ["identifier"],
        ]
        var two = one
        two["migration"]?.insert("plan_hash")
        two["audit"]?.insert("hash")
        two["phases"]?.insert("tombstones")
        var three = two
        three["instances"]?.insert("stale")
        var four = three
        four["phases"]?.insert("automation")
        four["guard_lease"] = ["id", "holder", "host", "pid", "epoch", "acquired_at", "renewed_at", "expires_at", "status"]
        four["guard_firings"] = ["id", "guard", "phase", "action", "fired_at", "fired_by", "observed", "bound", "sentence",
                                 "cleared_at", "cleared_by", "clear_reason"]
        var five = four
        five["job_control"] = ["job", "paused", "rate", "batch", "changed_at", "changed_by"]
        five["job_progress"] = ["job", "cursor", "done", "total", "started_at", "updated_at", "finished_at", "since_phase",
                                "phase_entered_at", "mismatches", "instance", "throttled"]
        five["verify_mismatches"] = ["id", "run_started_at", "key", "old_digest", "new_digest", "found_at"]
        return [1: one, 2: two, 3: three, 4: four, 5: five]
    }()

    /// Whether `db` has every table and column of schema `version` (a migctl control database).
    static func hasShape(of version: Int, _ db: Database) throws -> Bool {
        guard let shape = shapes[version] else { return false }
        for (table, columns) in shape {
            let found = Set(try Row.fetchAll(db, sql: "PRAGMA table_xinfo(\(table))").compactMap { $0["name"] as String? })
            guard columns.isSubset(of: found) else { return false }
        }
        return true
    }

    private static func saturatingAdd(_ column: String, _ delta: String) -> String {
        "CASE WHEN \(column) > \(counterMax) - (\(delta)) THEN \(counterMax) ELSE \(column) + (\(delta)) END"
    }

    /// A SQL condition: `x` is a counter or gauge name, `[a-z0-9][a-z0-9._-]{0,63}`.
    static func isName(_ x: String) -> String {
        "(typeof(\(x)) = 'text' AND length(\(x)) BETWEEN 1 AND 64 AND \(x) GLOB '[a-z0-9]*' AND \(x) NOT GLOB '*[^a-z0-9._-]*')"
    }

    /// A SQL condition: `x` is an instant in the one stored form, `2026-11-25T12:58:08.123Z`,
    /// and a real date (SQLite's own `strftime` gives it back unchanged).
    static func isInstant(_ x: String) -> String {
        "(typeof(\(x)) = 'text' AND \(x) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z' AND strftime('%Y-%m-%dT%H:%M:%fZ', \(x)) IS \(x))"
    }

    /// A SQL condition: `x` is non-empty text of at most `limit` characters.
    static func isText(_ x: String, limit: Int = 2000) -> String {
        "(typeof(\(x)) = 'text' AND length(\(x)) BETWEEN 1 AND \(limit))"
    }

    static func refuse(_ message: String) -> String {
        "BEGIN SELECT RAISE(ABORT, '\(message.replacingOccurrences(of: "'", with: "''"))'); END;"
    }

    /// Version 2: the database defends its contract against any writer, and the audit log is
    /// hash-chained (see ``AuditChain``). Triggers rather than table constraints, so a
    /// version-1 file upgrades in place; `sqlite3` users get the same refusals as migctl.
    /// The columns version 2 adds; the upgrade fills them before ``version2`` locks them.
    static let version2Columns = """
    ALTER TABLE migration ADD COLUMN plan_hash TEXT;
    ALTER TABLE audit ADD COLUMN hash TEXT;
    ALTER TABLE phases ADD COLUMN tombstones INTEGER GENERATED ALWAYS AS \(Phase.tombstonesSQL) VIRTUAL;
    """

    static let version2 = """

    CREATE TRIGGER migration_is_fixed_update BEFORE UPDATE ON migration
      \(refuse("the migration row is written once, by init"))
    CREATE TRIGGER migration_is_fixed_delete BEFORE DELETE ON migration
      \(refuse("the migration row is written once, by init"))

    CREATE TRIGGER phases_are_fixed_insert BEFORE INSERT ON phases WHEN EXISTS (SELECT 1 FROM state)
      \(refuse("the plan cannot change after init"))
    CREATE TRIGGER phases_are_fixed_update BEFORE UPDATE ON phases
      \(refuse("the plan cannot change after init"))
    CREATE TRIGGER phases_are_fixed_delete BEFORE DELETE ON phases
      \(refuse("the plan cannot change after init"))
    CREATE TRIGGER checklist_items_are_fixed_insert BEFORE INSERT ON checklist_items WHEN EXISTS (SELECT 1 FROM state)
      \(refuse("checklists cannot change after init"))
    CREATE TRIGGER checklist_items_are_fixed_update BEFORE UPDATE ON checklist_items
      \(refuse("checklists cannot change after init"))
    CREATE TRIGGER checklist_items_are_fixed_delete BEFORE DELETE ON checklist_items
      \(refuse("checklists cannot change after init"))

    CREATE TRIGGER state_is_one_row_insert BEFORE INSERT ON state WHEN EXISTS (SELECT 1 FROM state)
      \(refuse("there is one state row; update it"))
    CREATE TRIGGER state_is_one_row_delete BEFORE DELETE ON state
      \(refuse("the state row cannot be deleted"))
    CREATE TRIGGER state_check_insert BEFORE INSERT ON state
      WHEN NOT (NEW.phase IN (SELECT id FROM phases) AND typeof(NEW.rollout) = 'integer' AND NEW.rollout BETWEEN 0 AND 10000
                AND typeof(NEW.version) = 'integer' AND \(isInstant("NEW.phase_since")) AND \(isInstant("NEW.changed_at"))
                AND \(isText("NEW.changed_by", limit: 128)))
      \(refuse("state: phase must be a plan phase, rollout an integer 0-10000, version an integer, instants like 2026-11-25T12:58:08.123Z"))
    CREATE TRIGGER state_check_update BEFORE UPDATE ON state
      WHEN NOT (NEW.id = 1 AND NEW.phase IN (SELECT id FROM phases)
                AND typeof(NEW.rollout) = 'integer' AND NEW.rollout BETWEEN 0 AND 10000
                AND \(isInstant("NEW.phase_since")) AND \(isInstant("NEW.changed_at")) AND \(isText("NEW.changed_by", limit: 128)))
      \(refuse("state: phase must be a plan phase, rollout an integer 0-10000, instants like 2026-11-25T12:58:08.123Z, changed_by a name"))
    CREATE TRIGGER state_version_grows_by_one BEFORE UPDATE ON state
      WHEN typeof(NEW.version) != 'integer' OR NEW.version != OLD.version + 1
      \(refuse("state: every change sets version to the old version + 1"))
    CREATE TRIGGER state_phase_since_moves_with_the_phase BEFORE UPDATE ON state
      WHEN NEW.phase = OLD.phase AND NEW.phase_since IS NOT OLD.phase_since
      \(refuse("state: phase_since changes only when the phase does"))
    CREATE TRIGGER state_never_crosses_back BEFORE UPDATE ON state
      WHEN (SELECT position FROM phases WHERE id = NEW.phase) < (SELECT position FROM phases WHERE id = OLD.phase)
       AND EXISTS (SELECT 1 FROM phases WHERE irreversible = 1
                   AND position > (SELECT position FROM phases WHERE id = NEW.phase)
                   AND position <= (SELECT position FROM phases WHERE id = OLD.phase))
      \(refuse("state: rolling back past an irreversible phase is refused; reconcile forward"))
    CREATE TRIGGER state_moves_one_phase_forward BEFORE UPDATE ON state
      WHEN (SELECT position FROM phases WHERE id = NEW.phase) > (SELECT position FROM phases WHERE id = OLD.phase)
       AND ((SELECT position FROM phases WHERE id = NEW.phase) != (SELECT position FROM phases WHERE id = OLD.phase) + 1
            OR OLD.rollout != 10000)
      \(refuse("state: an advance moves one phase forward, from a phase at 100%"))
    CREATE TRIGGER state_unramped_phase_is_whole BEFORE UPDATE ON state
      WHEN (SELECT ramp FROM phases WHERE id = NEW.phase) = 0 AND NEW.rollout != 10000
      \(refuse("state: a phase that is not ramped is always at 100%"))
    CREATE TRIGGER state_phase_since_is_the_change BEFORE UPDATE ON state
      WHEN NEW.phase != OLD.phase AND NEW.phase_since IS NOT NEW.changed_at
      \(refuse("state: entering a phase sets phase_since to changed_at"))
    CREATE TRIGGER state_change_has_an_actor BEFORE UPDATE ON state
      WHEN trim(NEW.changed_by) = ''
      \(refuse("state: changed_by names who made the change"))
    CREATE TRIGGER state_change_is_audited BEFORE UPDATE ON state
      WHEN NOT EXISTS (SELECT 1 FROM audit WHERE version = NEW.version AND to_phase IS NEW.phase AND to_rollout IS NEW.rollout
                       AND id = (SELECT max(id) FROM audit))
      \(refuse("state: first insert the audit row of the change (version, to_phase, to_rollout), in the same transaction"))
    CREATE TRIGGER state_irreversible_rollout_only_grows BEFORE UPDATE ON state
      WHEN NEW.phase = OLD.phase AND NEW.rollout < OLD.rollout AND (SELECT irreversible FROM phases WHERE id = NEW.phase) = 1
      \(refuse("state: in an irreversible phase the rollout may only go up"))

    CREATE TRIGGER audit_check_insert BEFORE INSERT ON audit
      WHEN NOT (\(isInstant("NEW.at")) AND \(isText("NEW.actor", limit: 128)) AND \(isText("NEW.host", limit: 255))
                AND \(isText("NEW.action", limit: 64)))
      \(refuse("audit: at must be an instant like 2026-11-25T12:58:08.123Z; actor, host and action non-empty text"))
    CREATE TRIGGER audit_is_append_only_insert BEFORE INSERT ON audit
      WHEN NEW.id IS NOT (SELECT COALESCE(max(id), 0) + 1 FROM audit)
      \(refuse("the audit log is append-only: insert each row with id = max(id) + 1 and its hash"))

    CREATE TRIGGER counters_check_insert BEFORE INSERT ON counters
      WHEN NOT (\(isName("NEW.name")) AND typeof(NEW.second) = 'integer' AND typeof(NEW.value) = 'integer' AND NEW.value >= 0)
      \(refuse("counters: name must match [a-z0-9][a-z0-9._-]{0,63}; second and value are integers, value >= 0"))
    CREATE TRIGGER counters_check_update BEFORE UPDATE ON counters
      WHEN NOT (NEW.name IS OLD.name AND NEW.second IS OLD.second AND typeof(NEW.value) = 'integer' AND NEW.value >= OLD.value)
      \(refuse("counters: a value is an integer that only grows (add through the counter_add view, which saturates)"))
    CREATE TRIGGER counters_are_kept BEFORE DELETE ON counters
      \(refuse("counters are never deleted"))
    CREATE TRIGGER counters_insert_adds BEFORE INSERT ON counters
      WHEN EXISTS (SELECT 1 FROM counters WHERE name = NEW.name AND second = NEW.second) BEGIN
      UPDATE counters SET value = \(saturatingAdd("value", "NEW.value")) WHERE name = NEW.name AND second = NEW.second;
      SELECT RAISE(IGNORE);
    END;
    CREATE TRIGGER counter_minutes_insert_adds BEFORE INSERT ON counter_minutes
      WHEN EXISTS (SELECT 1 FROM counter_minutes WHERE name = NEW.name AND minute = NEW.minute) BEGIN
      UPDATE counter_minutes SET value = \(saturatingAdd("value", "NEW.value")) WHERE name = NEW.name AND minute = NEW.minute;
      SELECT RAISE(IGNORE);
    END;
    CREATE TRIGGER counter_totals_insert_adds BEFORE INSERT ON counter_totals
      WHEN EXISTS (SELECT 1 FROM counter_totals WHERE name = NEW.name) BEGIN
      UPDATE counter_totals SET value = \(saturatingAdd("value", "NEW.value")) WHERE name = NEW.name;
      SELECT RAISE(IGNORE);
    END;
    CREATE TRIGGER counter_minutes_only_grow BEFORE UPDATE ON counter_minutes
      WHEN typeof(NEW.value) != 'integer' OR NEW.value < OLD.value OR NEW.name IS NOT OLD.name OR NEW.minute IS NOT OLD.minute
      \(refuse("counter_minutes: kept by triggers on counters; values only grow"))
    CREATE TRIGGER counter_totals_only_grow BEFORE UPDATE ON counter_totals
      WHEN typeof(NEW.value) != 'integer' OR NEW.value < OLD.value OR NEW.name IS NOT OLD.name
      \(refuse("counter_totals: kept by triggers on counters; values only grow"))
    CREATE TRIGGER counter_minutes_are_kept BEFORE DELETE ON counter_minutes
      \(refuse("counter_minutes are never deleted"))
    CREATE TRIGGER counter_totals_are_kept BEFORE DELETE ON counter_totals
      \(refuse("counter_totals are never deleted"))
    CREATE TRIGGER counter_rollups_check_insert_minutes BEFORE INSERT ON counter_minutes
      WHEN NOT (\(isName("NEW.name")) AND typeof(NEW.minute) = 'integer' AND typeof(NEW.value) = 'integer' AND NEW.value >= 0)
      \(refuse("counter_minutes: kept by triggers on counters"))
    CREATE TRIGGER counter_rollups_check_insert_totals BEFORE INSERT ON counter_totals
      WHEN NOT (\(isName("NEW.name")) AND typeof(NEW.value) = 'integer' AND NEW.value >= 0)
      \(refuse("counter_totals: kept by triggers on counters"))
    CREATE TRIGGER migration_is_fixed_insert BEFORE INSERT ON migration WHEN EXISTS (SELECT 1 FROM migration)
      \(refuse("the migration row is written once, by init"))

    CREATE VIEW counter_add (name, second, value) AS SELECT name, second, value FROM counters WHERE 0;
    CREATE TRIGGER counter_add_saturates INSTEAD OF INSERT ON counter_add BEGIN
      SELECT RAISE(ABORT, 'counter_add: value must be an integer >= 0') WHERE typeof(NEW.value) != 'integer' OR NEW.value < 0;
      INSERT INTO counters (name, second, value) VALUES (NEW.name, NEW.second, NEW.value)
        ON CONFLICT (name, second) DO UPDATE SET value = \(saturatingAdd("value", "excluded.value"));
    END;

    CREATE TRIGGER gauges_check_insert BEFORE INSERT ON gauges
      WHEN NOT (\(isName("NEW.name")) AND typeof(NEW.value) IN ('integer', 'real')
                AND NEW.value BETWEEN -1.7976931348623157e308 AND 1.7976931348623157e308 AND \(isInstant("NEW.updated_at")))
      \(refuse("gauges: name must match [a-z0-9][a-z0-9._-]{0,63}, value a finite number, updated_at an instant like 2026-11-25T12:58:08.123Z"))
    CREATE TRIGGER gauges_check_update BEFORE UPDATE ON gauges
      WHEN NOT (\(isName("NEW.name")) AND typeof(NEW.value) IN ('integer', 'real')
                AND NEW.value BETWEEN -1.7976931348623157e308 AND 1.7976931348623157e308 AND \(isInstant("NEW.updated_at")))
      \(refuse("gauges: name must match [a-z0-9][a-z0-9._-]{0,63}, value a finite number, updated_at an instant like 2026-11-25T12:58:08.123Z"))

    CREATE TRIGGER checklist_ticks_check_insert BEFORE INSERT ON checklist_ticks
      WHEN NOT (EXISTS (SELECT 1 FROM checklist_items WHERE phase = NEW.phase AND item = NEW.item)
                AND \(isText("NEW.ticked_by", limit: 128)) AND \(isInstant("NEW.ticked_at")))
      \(refuse("checklist_ticks: phase and item must name a checklist item; ticked_by a name; ticked_at an instant"))
    CREATE TRIGGER checklist_ticks_are_not_replaced BEFORE INSERT ON checklist_ticks
      WHEN EXISTS (SELECT 1 FROM checklist_ticks WHERE phase = NEW.phase AND item = NEW.item)
      BEGIN SELECT RAISE(IGNORE); END;
    CREATE TRIGGER checklist_ticks_check_update BEFORE UPDATE ON checklist_ticks
      \(refuse("checklist_ticks: delete a tick and insert it again"))

    CREATE TRIGGER approvals_check_insert BEFORE INSERT ON approvals
      WHEN NOT (NEW.phase IN (SELECT id FROM phases) AND \(isText("NEW.actor", limit: 128)) AND \(isText("NEW.host", limit: 255))
                AND \(isInstant("NEW.at")))
      \(refuse("approvals: phase must be a plan phase; actor and host names; at an instant like 2026-11-25T12:58:08.123Z"))
    CREATE TRIGGER approvals_are_not_replaced BEFORE INSERT ON approvals
      WHEN EXISTS (SELECT 1 FROM approvals WHERE id = NEW.id)
      \(refuse("approvals are records: they are never replaced"))
    CREATE TRIGGER approvals_are_records_update BEFORE UPDATE ON approvals
      \(refuse("approvals are records: they are never changed"))
    CREATE TRIGGER approvals_are_records_delete BEFORE DELETE ON approvals
      \(refuse("approvals are records: they are never deleted"))

    CREATE TRIGGER instances_check_insert BEFORE INSERT ON instances
      WHEN NOT (\(isText("NEW.id", limit: 255)) AND \(isText("NEW.host", limit: 255)) AND typeof(NEW.pid) = 'integer'
                AND typeof(NEW.serving_version) = 'integer' AND \(isInstant("NEW.heartbeat_at")) AND \(isInstant("NEW.started_at")))
      \(refuse("instances: id and host names; pid and serving_version integers; heartbeat_at and started_at instants like 2026-11-25T12:58:08.123Z"))
    CREATE TRIGGER instances_check_update BEFORE UPDATE ON instances
      WHEN NOT (\(isText("NEW.id", limit: 255)) AND \(isText("NEW.host", limit: 255)) AND typeof(NEW.pid) = 'integer'
                AND typeof(NEW.serving_version) = 'integer' AND \(isInstant("NEW.heartbeat_at")) AND \(isInstant("NEW.started_at")))
      \(refuse("instances: id and host names; pid and serving_version integers; heartbeat_at and started_at instants like 2026-11-25T12:58:08.123Z"))
    """

    /// Version 3: an instance says in its heartbeat that its state is older than the plan's
    /// serving lease (``Plan/servingLeaseSeconds``), so the fleet gate counts it as unknown.
    static let version3 = """
    ALTER TABLE instances ADD COLUMN stale INTEGER NOT NULL DEFAULT 0 CHECK (stale IN (0, 1));
    """

    /// Version 4: the guard. A phase's automation (guards, ramp schedule, auto_advance) as JSON,
    /// the lease that lets one guard act, and the guards that fired; a fired `hold` or
    /// `rollback` guard blocks moving forward until an operator clears it.
    static let version4 = """
    ALTER TABLE phases ADD COLUMN automation TEXT;

    CREATE TABLE guard_lease (
      id           INTEGER PRIMARY KEY CHECK (id = 1),
      holder       TEXT NOT NULL,
      host         TEXT NOT NULL,
      pid          INTEGER NOT NULL,
      epoch        INTEGER NOT NULL,
      acquired_at  TEXT NOT NULL,
      renewed_at   TEXT NOT NULL,
      expires_at   TEXT NOT NULL,
      status       TEXT
    );
    CREATE TRIGGER guard_lease_check_insert BEFORE INSERT ON guard_lease
      WHEN NOT (\(isText("NEW.holder", limit: 255)) AND \(isText("NEW.host", limit: 255)) AND typeof(NEW.pid) = 'integer'
                AND typeof(NEW.epoch) = 'integer' AND NEW.epoch BETWEEN 1 AND 4611686018427387904 AND \(isInstant("NEW.acquired_at")) AND \(isInstant("NEW.renewed_at"))
                AND \(isInstant("NEW.expires_at")) AND (NEW.status IS NULL OR \(isText("NEW.status", limit: 65536))))
      \(refuse("guard_lease: holder and host names, pid and epoch (>= 1) integers, instants like 2026-11-25T12:58:08.123Z, status JSON text"))
    CREATE TRIGGER guard_lease_check_update BEFORE UPDATE ON guard_lease
      WHEN NOT (NEW.id = 1 AND \(isText("NEW.holder", limit: 255)) AND \(isText("NEW.host", limit: 255)) AND typeof(NEW.pid) = 'integer'
                AND typeof(NEW.epoch) = 'integer' AND NEW.epoch >= OLD.epoch AND NEW.epoch <= 4611686018427387904 AND (NEW.holder = OLD.holder OR NEW.epoch > OLD.epoch)
                AND \(isInstant("NEW.acquired_at")) AND \(isInstant("NEW.renewed_at")) AND \(isInstant("NEW.expires_at"))
                AND (NEW.status IS NULL OR \(isText("NEW.status", limit: 65536))))
      \(refuse("guard_lease: a new holder raises the epoch; instants like 2026-11-25T12:58:08.123Z"))
    CREATE TRIGGER guard_lease_is_kept BEFORE DELETE ON guard_lease
      \(refuse("guard_lease: the lease row is never deleted; let it expire"))

    CREATE TABLE guard_firings (
      id            INTEGER PRIMARY KEY AUTOINCREMENT,
      guard         TEXT NOT NULL,
      phase         TEXT NOT NULL REFERENCES phases(id),
      action        TEXT NOT NULL CHECK (action IN ('notify', 'hold', 'rollback')),
      fired_at      TEXT NOT NULL,
      fired_by      TEXT NOT NULL,
      observed      TEXT NOT NULL,
      bound         TEXT NOT NULL,
      sentence      TEXT NOT NULL,
      cleared_at    TEXT,
      cleared_by    TEXT,
      clear_reason  TEXT
    );
    CREATE UNIQUE INDEX guard_firings_one_open ON guard_firings (guard) WHERE cleared_at IS NULL;
    CREATE TRIGGER guard_firings_check_insert BEFORE INSERT ON guard_firings
      WHEN NOT (\(isName("NEW.guard")) AND \(isInstant("NEW.fired_at")) AND \(isText("NEW.fired_by", limit: 128))
                AND typeof(NEW.observed) = 'text' AND length(NEW.observed) <= 2000 AND typeof(NEW.bound) = 'text' AND length(NEW.bound) <= 2000
                AND typeof(NEW.sentence) = 'text' AND length(NEW.sentence) <= 2000
                AND NEW.cleared_at IS NULL AND NEW.cleared_by IS NULL AND NEW.clear_reason IS NULL
                AND EXISTS (SELECT 1 FROM phases p, json_each(p.automation, '$.guards') g
                            WHERE p.id = NEW.phase AND json_valid(p.automation) AND json_extract(g.value, '$.name') = NEW.guard
                              AND NEW.action = (SELECT min(key) FROM json_each(g.value, '$.action'))))
      \(refuse("guard_firings: guard must be a guard of phase in the plan, with the plan's action; fired_at an instant; fired_by a name; a firing starts uncleared"))
    CREATE TRIGGER guard_firings_only_clear BEFORE UPDATE ON guard_firings
      WHEN NOT (OLD.cleared_at IS NULL AND NEW.id IS OLD.id AND NEW.guard IS OLD.guard AND NEW.phase IS OLD.phase
                AND NEW.action IS OLD.action AND NEW.fired_at IS OLD.fired_at AND NEW.fired_by IS OLD.fired_by
                AND NEW.observed IS OLD.observed AND NEW.bound IS OLD.bound AND NEW.sentence IS OLD.sentence
                AND \(isInstant("NEW.cleared_at")) AND \(isText("NEW.cleared_by", limit: 128)) AND \(isText("NEW.clear_reason")))
      \(refuse("guard_firings: a firing is only ever cleared, once, with an instant, a name and a reason"))
    CREATE TRIGGER guard_firings_are_kept BEFORE DELETE ON guard_firings
      \(refuse("guard_firings are records: clear one, never delete it"))

    CREATE TRIGGER state_held_by_guard BEFORE UPDATE ON state
      WHEN ((SELECT position FROM phases WHERE id = NEW.phase) > (SELECT position FROM phases WHERE id = OLD.phase)
            OR (NEW.phase = OLD.phase AND NEW.rollout > OLD.rollout))
       AND EXISTS (SELECT 1 FROM guard_firings WHERE cleared_at IS NULL AND action IN ('hold', 'rollback'))
      \(refuse("state: a fired guard holds the migration; clear it with 'migctl guard clear NAME --reason TEXT' first"))
    """

    /// Version 5: operators steer the backfill and the verifier (`job_control`, each change with
    /// its audit row), the jobs report where they are (`job_progress`, a cursor to resume from),
    /// and the verifier keeps what it found (`verify_mismatches`). Deletes leave tombstones
    /// wherever reads fall back to the old store (``Phase/tombstonesSQL``), so the generated
    /// `phases.tombstones` column is made again with the new rule.
    static let version5 = """
    ALTER TABLE phases DROP COLUMN tombstones;
    ALTER TABLE phases ADD COLUMN tombstones INTEGER GENERATED ALWAYS AS \(Phase.tombstonesSQL) VIRTUAL;

    CREATE TABLE job_control (
      job         TEXT PRIMARY KEY CHECK (job IN ('backfill', 'verify')),
      paused      INTEGER NOT NULL DEFAULT 0,
      rate        INTEGER NOT NULL DEFAULT 0,
      batch       INTEGER NOT NULL DEFAULT 500,
      changed_at  TEXT NOT NULL,
      changed_by  TEXT NOT NULL
    );
    CREATE TRIGGER job_control_check_insert BEFORE INSERT ON job_control
      WHEN NOT (\(jobControlIsValid) AND \(jobControlIsAudited))
      \(refuse("job_control: paused 0 or 1, rate 0-1000000000 rows a second (0: no limit), batch 1-100000, changed_at an instant, changed_by a name; first insert the audit row of the change (action = the job, at = changed_at, actor = changed_by) in the same transaction"))
    CREATE TRIGGER job_control_check_update BEFORE UPDATE ON job_control
      WHEN NOT (NEW.job = OLD.job AND \(jobControlIsValid) AND \(jobControlIsAudited))
      \(refuse("job_control: paused 0 or 1, rate 0-1000000000 rows a second (0: no limit), batch 1-100000, changed_at an instant, changed_by a name; first insert the audit row of the change (action = the job, at = changed_at, actor = changed_by) in the same transaction"))
    CREATE TRIGGER job_control_is_kept BEFORE DELETE ON job_control
      \(refuse("job_control: a job's control row is changed, never deleted"))

    CREATE TABLE job_progress (
      job               TEXT PRIMARY KEY CHECK (job IN ('backfill', 'verify')),
      cursor            TEXT,
      done              INTEGER NOT NULL DEFAULT 0,
      total             INTEGER,
      started_at        TEXT NOT NULL,
      updated_at        TEXT NOT NULL,
      finished_at       TEXT,
      since_phase       TEXT,
      phase_entered_at  TEXT,
      mismatches        INTEGER NOT NULL DEFAULT 0,
      instance          TEXT NOT NULL,
      throttled         TEXT
    );
    CREATE TRIGGER job_progress_check_insert BEFORE INSERT ON job_progress
      WHEN NOT (\(jobProgressIsValid))
      \(refuse(jobProgressRule))
    CREATE TRIGGER job_progress_check_update BEFORE UPDATE ON job_progress
      WHEN NOT (NEW.job = OLD.job AND \(jobProgressIsValid))
      \(refuse(jobProgressRule))

    CREATE TABLE verify_mismatches (
      id              INTEGER PRIMARY KEY AUTOINCREMENT,
      run_started_at  TEXT NOT NULL,
      key             TEXT NOT NULL,
      old_digest      TEXT NOT NULL,
      new_digest      TEXT NOT NULL,
      found_at        TEXT NOT NULL
    );
    CREATE TRIGGER verify_mismatches_check_insert BEFORE INSERT ON verify_mismatches
      WHEN NOT (\(isInstant("NEW.run_started_at")) AND typeof(NEW.key) = 'text' AND length(NEW.key) <= 65536
                AND \(isText("NEW.old_digest", limit: 64)) AND \(isText("NEW.new_digest", limit: 64)) AND \(isInstant("NEW.found_at")))
      \(refuse("verify_mismatches: run_started_at and found_at instants, key text of at most 65536 characters, digests of at most 64"))
    CREATE TRIGGER verify_mismatches_are_kept BEFORE UPDATE ON verify_mismatches
      \(refuse("verify_mismatches are records: never changed"))
    """

    private static let jobControlIsValid = """
        (NEW.paused IN (0, 1) AND typeof(NEW.paused) = 'integer' AND typeof(NEW.rate) = 'integer' AND NEW.rate BETWEEN 0 AND 1000000000 \
        AND typeof(NEW.batch) = 'integer' AND NEW.batch BETWEEN 1 AND 100000 AND \(isInstant("NEW.changed_at")) AND \(isText("NEW.changed_by", limit: 128)))
        """
    private static let jobControlIsAudited = """
        EXISTS (SELECT 1 FROM audit WHERE id = (SELECT max(id) FROM audit) AND action = NEW.job AND at = NEW.changed_at \
        AND actor = NEW.changed_by)
        """
    private static let jobProgressIsValid = """
        ((NEW.cursor IS NULL OR (typeof(NEW.cursor) = 'text' AND length(NEW.cursor) <= 65536)) \
        AND typeof(NEW.done) = 'integer' AND NEW.done >= 0 AND (NEW.total IS NULL OR (typeof(NEW.total) = 'integer' AND NEW.total >= 0)) \
        AND \(isInstant("NEW.started_at")) AND \(isInstant("NEW.updated_at")) AND (NEW.finished_at IS NULL OR \(isInstant("NEW.finished_at"))) \
        AND (NEW.since_phase IS NULL OR EXISTS (SELECT 1 FROM phases WHERE id = NEW.since_phase)) \
        AND (NEW.phase_entered_at IS NULL OR \(isInstant("NEW.phase_entered_at"))) \
        AND typeof(NEW.mismatches) = 'integer' AND NEW.mismatches >= 0 AND \(isText("NEW.instance", limit: 255)) \
        AND (NEW.throttled IS NULL OR \(isText("NEW.throttled"))))
        """
    private static let jobProgressRule = "job_progress: cursor text (at most 65536), done, total and mismatches integers >= 0, instants like 2026-11-25T12:58:08.123Z, since_phase a plan phase, instance a name, throttled text"

    static let version1 = """
    CREATE TABLE migration (
      id          INTEGER PRIMARY KEY CHECK (id = 1),
      name        TEXT NOT NULL,
      created_at  TEXT NOT NULL,
      created_by  TEXT NOT NULL
    );

    CREATE TABLE phases (
      position      INTEGER PRIMARY KEY,
      id            TEXT NOT NULL UNIQUE,
      title         TEXT NOT NULL,
      reads         TEXT NOT NULL CHECK (reads IN ('old', 'new-fallback-old', 'new')),
      writes        TEXT NOT NULL,
      irreversible  INTEGER NOT NULL CHECK (irreversible IN (0, 1)),
      ramp          INTEGER NOT NULL CHECK (ramp IN (0, 1)),
      runbook_path  TEXT,
      runbook       TEXT,
      gates         TEXT NOT NULL DEFAULT '[]'
    );

    CREATE TABLE state (
      id           INTEGER PRIMARY KEY CHECK (id = 1),
      phase        TEXT NOT NULL REFERENCES phases(id),
      rollout      INTEGER NOT NULL CHECK (rollout BETWEEN 0 AND 10000),
      version      INTEGER NOT NULL,
      phase_since  TEXT NOT NULL,
      changed_at   TEXT NOT NULL,
      changed_by   TEXT NOT NULL
    );

    CREATE TABLE audit (
      id            INTEGER PRIMARY KEY AUTOINCREMENT,
      at            TEXT NOT NULL,
      actor         TEXT NOT NULL,
      host          TEXT NOT NULL,
      action        TEXT NOT NULL,
      from_phase    TEXT,
      to_phase      TEXT,
      from_rollout  INTEGER,
      to_rollout    INTEGER,
      version       INTEGER,
      reason        TEXT,
      details       TEXT
    );
    CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

    CREATE TABLE counters (
      name    TEXT NOT NULL,
      second  INTEGER NOT NULL,
      value   INTEGER NOT NULL CHECK (typeof(value) = 'integer' AND value >= 0),
      PRIMARY KEY (name, second)
    ) WITHOUT ROWID;
    CREATE TABLE counter_minutes (
      name    TEXT NOT NULL,
      minute  INTEGER NOT NULL,
      value   INTEGER NOT NULL,
      PRIMARY KEY (name, minute)
    ) WITHOUT ROWID;
    CREATE TABLE counter_totals (
      name   TEXT PRIMARY KEY,
      value  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TRIGGER counters_roll_up_insert AFTER INSERT ON counters BEGIN
      INSERT INTO counter_minutes (name, minute, value) VALUES (NEW.name, NEW.second - NEW.second % 60, NEW.value)
        ON CONFLICT (name, minute) DO UPDATE SET value = \(saturatingAdd("value", "excluded.value"));
      INSERT INTO counter_totals (name, value) VALUES (NEW.name, NEW.value)
        ON CONFLICT (name) DO UPDATE SET value = \(saturatingAdd("value", "excluded.value"));
    END;
    CREATE TRIGGER counters_roll_up_update AFTER UPDATE OF value ON counters BEGIN
      UPDATE counter_minutes SET value = \(saturatingAdd("value", "NEW.value - OLD.value"))
        WHERE name = NEW.name AND minute = NEW.second - NEW.second % 60;
      UPDATE counter_totals SET value = \(saturatingAdd("value", "NEW.value - OLD.value"))
        WHERE name = NEW.name;
    END;

    CREATE TABLE gauges (
      name        TEXT PRIMARY KEY,
      value       REAL NOT NULL,
      updated_at  TEXT NOT NULL
    );

    CREATE TABLE checklist_items (
      phase  TEXT NOT NULL REFERENCES phases(id),
      item   INTEGER NOT NULL,
      text   TEXT NOT NULL,
      PRIMARY KEY (phase, item)
    );

    CREATE TABLE checklist_ticks (
      phase      TEXT NOT NULL REFERENCES phases(id),
      item       INTEGER NOT NULL,
      text       TEXT NOT NULL,
      ticked_by  TEXT NOT NULL,
      ticked_at  TEXT NOT NULL,
      PRIMARY KEY (phase, item)
    );

    CREATE TABLE approvals (
      id      INTEGER PRIMARY KEY AUTOINCREMENT,
      phase   TEXT NOT NULL REFERENCES phases(id),
      actor   TEXT NOT NULL,
      host    TEXT NOT NULL,
      at      TEXT NOT NULL,
      reason  TEXT
    );

    CREATE TABLE instances (
      id               TEXT PRIMARY KEY,
      host             TEXT NOT NULL,
      pid              INTEGER NOT NULL,
      serving_version  INTEGER NOT NULL,
      heartbeat_at     TEXT NOT NULL,
      started_at       TEXT NOT NULL
    );
    """
}
