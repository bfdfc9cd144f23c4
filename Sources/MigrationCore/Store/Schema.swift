import GRDB

/// The control database's schema: the contract every language reads and writes.
///
/// `PRAGMA user_version` holds the schema version. Version 1 is created by `init`;
/// later versions are numbered migrations applied only by `migctl upgrade`, never
/// silently by a reader. The README documents every table.
enum Schema {
    /// The schema version this build of migctl reads and writes.
    static let currentVersion = 1

    /// The largest value a counter holds; additions saturate here instead of wrapping.
    static let counterMax = "9223372036854775807"

    /// The SQL of each schema version, in order: element `i` produces version `i + 1`.
    static let versions = [version1]

    /// Every migration in order, each setting `user_version` in its own transaction.
    ///
    /// - Parameter upgraded: called inside the transaction of each migration after
    ///   version 1 (which only `init` applies), so `upgrade` can audit it atomically.
    static func migrator(upgraded: (@Sendable (Database, _ from: Int, _ to: Int) throws -> Void)? = nil) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (index, sql) in versions.enumerated() {
            let version = index + 1
            migrator.registerMigration("v\(version)") { db in
                try db.execute(sql: sql)
                try db.execute(sql: "PRAGMA user_version = \(version)")
                if version > 1 { try upgraded?(db, version - 1, version) }
            }
        }
        return migrator
    }

    private static func saturatingAdd(_ column: String, _ delta: String) -> String {
        "CASE WHEN \(column) > \(counterMax) - (\(delta)) THEN \(counterMax) ELSE \(column) + (\(delta)) END"
    }

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
