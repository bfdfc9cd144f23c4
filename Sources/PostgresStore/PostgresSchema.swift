import Foundation
import MigrationCore

/// The control store's schema on PostgreSQL: the same contract as the SQLite file
/// (README, "The control store on PostgreSQL"), enforced by the server.
///
/// Everything lives in one schema (``PostgresURL/schema``, default `migctl`), so one server
/// holds several migrations. The differences from the file are what a server makes possible:
/// - times come from the server's clock: triggers set every `*_at`, `phase_since` and
///   `heartbeat_at` to `now()`, whatever the writer sent;
/// - the actor is the login (`session_user`): triggers set `changed_by`, `ticked_by` and
///   approvals' `actor`, and refuse an audit row naming anyone else;
/// - the audit hash chain is extended by the server: a writer inserts a row without `id`,
///   `at` or `hash`;
/// - counters are sharded by connection (`shard` = backend pid mod 16) so that many
///   instances adding to one `(name, second)` at once never queue on one row lock; readers sum
///   the shards;
/// - three group roles separate applications, operators and approvers (``roles(_:)``);
/// - every state change and every audit row sends a NOTIFY on ``channel(_:)``.
enum PostgresSchema {
    /// The contract version this schema implements (the SQLite file's `user_version` twin).
    static let version = Schema.currentVersion

    /// How many rows each counter second is spread over (see the type's notes).
    static let counterShards = 16

    /// The NOTIFY channel of a schema's changes. Its payload is JSON:
    /// `{"table":"state","version":N}` after a state change, `{"table":"audit","id":N}` after
    /// an audit row.
    static func channel(_ schema: String) -> String { "\(schema)_changes" }

    /// The three group roles of a schema.
    static func appRole(_ schema: String) -> String { "\(schema)_app" }
    static func operatorRole(_ schema: String) -> String { "\(schema)_operator" }
    static func approverRole(_ schema: String) -> String { "\(schema)_approver" }

    /// `sql` cut into single statements (the extended query protocol takes one at a time): at
    /// each line ending in `;` outside a `$$` function body.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = [], current = "", inBody = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("--") && current.isEmpty { continue }
            current += line + "\n"
            if line.components(separatedBy: "$$").count % 2 == 0 { inBody.toggle() }
            if !inBody, line.hasSuffix(";") {
                statements.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        return rest.isEmpty ? statements : statements + [rest]
    }

    /// The roles' SQL: what a DBA runs once when the login that runs `init` may not create roles.
    static func roles(_ schema: String) -> String {
        let (app, op, approver) = (appRole(schema), operatorRole(schema), approverRole(schema))
        return """
        -- migctl: the group roles of the control store in schema \(schema). Grant them to logins:
        --   GRANT \(app) TO some_service;  GRANT \(op) TO alice;  GRANT \(approver) TO bob;
        CREATE ROLE \(app) NOLOGIN;
        CREATE ROLE \(op) NOLOGIN;
        CREATE ROLE \(approver) NOLOGIN;
        GRANT \(app) TO \(op);
        GRANT \(app) TO \(approver);

        """
    }

    /// The tables, rules and grants of a new control store in `schema`; the roles must exist.
    static func objects(_ schema: String) -> String {
        let s = schema
        let (app, op, approver) = (appRole(s), operatorRole(s), approverRole(s))
        return """
        CREATE SCHEMA \(s);
        SET LOCAL search_path = \(s), pg_catalog;

        CREATE TABLE \(s).schema_version (version integer PRIMARY KEY);
        INSERT INTO \(s).schema_version VALUES (\(version));

        -- The text form of a value in the canonical rows the hash chain covers (AuditChain).
        CREATE FUNCTION \(s).instant_text(t timestamptz) RETURNS text IMMUTABLE LANGUAGE sql SET search_path = pg_catalog, pg_temp
          AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
        CREATE FUNCTION \(s).canonical(fields text[]) RETURNS bytea IMMUTABLE LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
          SELECT coalesce(string_agg(CASE WHEN f IS NULL THEN '\\x2d'::bytea
                                          ELSE convert_to(octet_length(convert_to(f, 'UTF8'))::text || ':' || f, 'UTF8') END,
                                     ''::bytea ORDER BY i), ''::bytea)
          FROM unnest(fields) WITH ORDINALITY AS t(f, i) $$;
        CREATE FUNCTION \(s).is_name(x text) RETURNS boolean IMMUTABLE LANGUAGE sql SET search_path = pg_catalog, pg_temp
          AS $$ SELECT x ~ '^[a-z0-9][a-z0-9._-]{0,63}$' $$;
        CREATE FUNCTION \(s).refuse_change() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
          AS $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = TG_ARGV[0]; END $$;

        CREATE TABLE \(s).migration (
          id          integer PRIMARY KEY CHECK (id = 1),
          name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
          created_at  timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
          created_by  text NOT NULL DEFAULT session_user,
          plan_hash   text NOT NULL CHECK (plan_hash ~ '^[0-9a-f]{64}$')
        );
        CREATE TABLE \(s).phases (
          position      integer PRIMARY KEY CHECK (position >= 1),
          id            text NOT NULL UNIQUE CHECK (length(id) BETWEEN 1 AND 64),
          title         text NOT NULL,
          reads         text NOT NULL CHECK (reads IN ('old', 'new-fallback-old', 'new')),
          writes        text NOT NULL CHECK (writes IN ('old', 'new', 'old,new', 'new,old')),
          irreversible  boolean NOT NULL,
          ramp          boolean NOT NULL,
          runbook_path  text,
          runbook       text,
          gates         text NOT NULL DEFAULT '[]',
          tombstones    boolean GENERATED ALWAYS AS \(Phase.tombstonesSQL) STORED
        );
        CREATE TABLE \(s).checklist_items (
          phase  text NOT NULL REFERENCES \(s).phases(id),
          item   integer NOT NULL CHECK (item >= 1),
          text   text NOT NULL,
          PRIMARY KEY (phase, item)
        );
        CREATE FUNCTION \(s).migration_fields(m \(s).migration) RETURNS text[] STABLE LANGUAGE sql SET search_path = pg_catalog, pg_temp
          AS $$ SELECT ARRAY[m.name, \(s).instant_text(m.created_at), m.created_by] $$;
        CREATE FUNCTION \(s).phase_fields(p \(s).phases) RETURNS text[] STABLE LANGUAGE sql SET search_path = pg_catalog, pg_temp
          AS $$ SELECT ARRAY[p.position::text, p.id, p.title, p.reads, p.writes, p.irreversible::int::text, p.ramp::int::text,
                             p.runbook_path, p.runbook, p.gates] $$;
        CREATE FUNCTION \(s).checklist_fields(c \(s).checklist_items) RETURNS text[] STABLE LANGUAGE sql SET search_path = pg_catalog, pg_temp
          AS $$ SELECT ARRAY[c.phase, c.item::text, c.text] $$;

        CREATE TRIGGER migration_is_fixed BEFORE UPDATE OR DELETE ON \(s).migration
          FOR EACH ROW EXECUTE FUNCTION \(s).refuse_change('the migration row is written once, by init');
        CREATE TRIGGER phases_are_fixed BEFORE UPDATE OR DELETE ON \(s).phases
          FOR EACH ROW EXECUTE FUNCTION \(s).refuse_change('the plan cannot change after init');
        CREATE TRIGGER checklist_items_are_fixed BEFORE UPDATE OR DELETE ON \(s).checklist_items
          FOR EACH ROW EXECUTE FUNCTION \(s).refuse_change('checklists cannot change after init');
        CREATE FUNCTION \(s).plan_is_fixed() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM \(s).migration) THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'the plan cannot change after init';
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER phases_are_fixed_insert BEFORE INSERT ON \(s).phases FOR EACH ROW EXECUTE FUNCTION \(s).plan_is_fixed();
        CREATE TRIGGER checklist_items_are_fixed_insert BEFORE INSERT ON \(s).checklist_items
          FOR EACH ROW EXECUTE FUNCTION \(s).plan_is_fixed();

        CREATE TABLE \(s).state (
          id           integer PRIMARY KEY CHECK (id = 1),
          phase        text NOT NULL REFERENCES \(s).phases(id),
          rollout      integer NOT NULL CHECK (rollout BETWEEN 0 AND 10000),
          version      bigint NOT NULL,
          phase_since  timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
          changed_at   timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
          changed_by   text NOT NULL DEFAULT session_user
        );
        CREATE TRIGGER state_is_kept BEFORE DELETE ON \(s).state
          FOR EACH ROW EXECUTE FUNCTION \(s).refuse_change('the state row cannot be deleted');
        \(stateChange(s))
        CREATE TRIGGER state_change BEFORE UPDATE ON \(s).state FOR EACH ROW EXECUTE FUNCTION \(s).state_change();
        -- One notification per state change and per audit row (see channel(_:) for the payload).
        CREATE FUNCTION \(s).notify_change() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
          PERFORM pg_notify('\(channel(s))', CASE TG_TABLE_NAME
            WHEN 'state' THEN json_build_object('table', 'state', 'version', NEW.version)
            ELSE json_build_object('table', 'audit', 'id', NEW.id) END::text);
          RETURN NULL;
        END $$;
        CREATE TRIGGER state_notify AFTER UPDATE ON \(s).state FOR EACH ROW EXECUTE FUNCTION \(s).notify_change();

        CREATE TABLE \(s).audit (
          id            bigint PRIMARY KEY,
          at            timestamptz(3) NOT NULL,
          actor         text NOT NULL,
          host          text NOT NULL CHECK (length(host) BETWEEN 1 AND 255),
          action        text NOT NULL CHECK (action IN (\(AuditAction.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")))),
          from_phase    text,
          to_phase      text,
          from_rollout  integer CHECK (from_rollout BETWEEN 0 AND 10000),
          to_rollout    integer CHECK (to_rollout BETWEEN 0 AND 10000),
          version       bigint,
          reason        text,
          details       text,
          hash          text NOT NULL
        );
        CREATE FUNCTION \(s).audit_fields(a \(s).audit) RETURNS text[] STABLE LANGUAGE sql SET search_path = pg_catalog, pg_temp
          AS $$ SELECT ARRAY[a.id::text, \(s).instant_text(a.at), a.actor, a.host, a.action, a.from_phase, a.to_phase,
                             a.from_rollout::text, a.to_rollout::text, a.version::text, a.reason, a.details] $$;
        \(auditAppend(s))
        CREATE TRIGGER audit_append BEFORE INSERT ON \(s).audit FOR EACH ROW EXECUTE FUNCTION \(s).audit_append();
        CREATE TRIGGER audit_is_append_only BEFORE UPDATE OR DELETE ON \(s).audit
          FOR EACH ROW EXECUTE FUNCTION \(s).refuse_change('the audit log is append-only');
        CREATE TRIGGER audit_notify AFTER INSERT ON \(s).audit FOR EACH ROW EXECUTE FUNCTION \(s).notify_change();

        CREATE TABLE \(s).counters (
          name    text NOT NULL CHECK (\(s).is_name(name)),
          second  bigint NOT NULL,
          shard   smallint NOT NULL DEFAULT (pg_backend_pid() % \(counterShards)) CHECK (shard BETWEEN 0 AND \(counterShards - 1)),
          value   bigint NOT NULL CHECK (value >= 0),
          PRIMARY KEY (name, second, shard)
        );
        CREATE TABLE \(s).counter_minutes (
          name text NOT NULL CHECK (\(s).is_name(name)), minute bigint NOT NULL CHECK (minute % 60 = 0),
          shard smallint NOT NULL CHECK (shard BETWEEN 0 AND \(counterShards - 1)), value bigint NOT NULL CHECK (value >= 0),
          PRIMARY KEY (name, minute, shard)
        );
        CREATE TABLE \(s).counter_totals (
          name text NOT NULL CHECK (\(s).is_name(name)), shard smallint NOT NULL CHECK (shard BETWEEN 0 AND \(counterShards - 1)),
          value bigint NOT NULL CHECK (value >= 0),
          PRIMARY KEY (name, shard)
        );
        CREATE FUNCTION \(s).saturating_add(a bigint, b bigint) RETURNS bigint IMMUTABLE LANGUAGE sql SET search_path = pg_catalog, pg_temp
          AS $$ SELECT CASE WHEN a > 9223372036854775807 - b THEN 9223372036854775807 ELSE a + b END $$;
        CREATE FUNCTION \(s).counter_grows() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
          IF NEW.value < OLD.value OR NEW.name <> OLD.name OR NEW.second <> OLD.second OR NEW.shard <> OLD.shard THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'counters: a value only grows (add with \(s).add_counts)';
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER counters_only_grow BEFORE UPDATE ON \(s).counters FOR EACH ROW EXECUTE FUNCTION \(s).counter_grows();
        -- Runs with the owner's rights: no login may write the roll-ups directly, so what charts
        -- and gate windows read is always the sum of the per-second rows.
        CREATE FUNCTION \(s).counter_roll_up() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SECURITY DEFINER AS $$
        DECLARE
          delta bigint := NEW.value - CASE WHEN TG_OP = 'UPDATE' THEN OLD.value ELSE 0 END;
        BEGIN
          INSERT INTO \(s).counter_minutes AS m (name, minute, shard, value)
            VALUES (NEW.name, NEW.second - NEW.second % 60, NEW.shard, delta)
            ON CONFLICT (name, minute, shard) DO UPDATE SET value = \(s).saturating_add(m.value, excluded.value);
          INSERT INTO \(s).counter_totals AS t (name, shard, value) VALUES (NEW.name, NEW.shard, delta)
            ON CONFLICT (name, shard) DO UPDATE SET value = \(s).saturating_add(t.value, excluded.value);
          RETURN NULL;
        END $$;
        CREATE TRIGGER counters_roll_up AFTER INSERT OR UPDATE OF value ON \(s).counters
          FOR EACH ROW EXECUTE FUNCTION \(s).counter_roll_up();
        CREATE FUNCTION \(s).rollup_grows() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
          IF NEW.value < OLD.value THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'counter roll-ups are kept by triggers on counters; values only grow';
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER counter_minutes_only_grow BEFORE UPDATE ON \(s).counter_minutes FOR EACH ROW EXECUTE FUNCTION \(s).rollup_grows();
        CREATE TRIGGER counter_totals_only_grow BEFORE UPDATE ON \(s).counter_totals FOR EACH ROW EXECUTE FUNCTION \(s).rollup_grows();
        CREATE TRIGGER counters_are_kept BEFORE DELETE ON \(s).counters
          FOR EACH ROW EXECUTE FUNCTION \(s).refuse_change('counters are never deleted');
        CREATE TRIGGER counter_minutes_are_kept BEFORE DELETE ON \(s).counter_minutes
          FOR EACH ROW EXECUTE FUNCTION \(s).refuse_change('counters are never deleted');
        CREATE TRIGGER counter_totals_are_kept BEFORE DELETE ON \(s).counter_totals
          FOR EACH ROW EXECUTE FUNCTION \(s).refuse_change('counters are never deleted');
        -- Adds each count to its counter's second, in name order (so two flushes never deadlock),
        -- saturating at the largest bigint. The one way a client adds counts.
        CREATE FUNCTION \(s).add_counts(names text[], at_second bigint, amounts bigint[]) RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
          INSERT INTO \(s).counters AS c (name, second, value)
            SELECT n, at_second, least(sum(v), 9223372036854775807)::bigint FROM unnest(names, amounts) AS u(n, v)
            WHERE v > 0 GROUP BY n ORDER BY n
            ON CONFLICT (name, second, shard) DO UPDATE SET value = \(s).saturating_add(c.value, excluded.value) $$;

        CREATE TABLE \(s).gauges (
          name        text PRIMARY KEY CHECK (\(s).is_name(name)),
          value       double precision NOT NULL CHECK (value > '-Infinity' AND value < 'Infinity'),
          updated_at  timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now())
        );
        CREATE FUNCTION \(s).stamp_gauge() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN NEW.updated_at := date_trunc('milliseconds', now()); RETURN NEW; END $$;
        CREATE TRIGGER gauges_stamp BEFORE INSERT OR UPDATE ON \(s).gauges FOR EACH ROW EXECUTE FUNCTION \(s).stamp_gauge();

        CREATE TABLE \(s).checklist_ticks (
          phase      text NOT NULL,
          item       integer NOT NULL,
          text       text NOT NULL,
          ticked_by  text NOT NULL DEFAULT session_user,
          ticked_at  timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
          PRIMARY KEY (phase, item),
          FOREIGN KEY (phase, item) REFERENCES \(s).checklist_items (phase, item)
        );
        CREATE FUNCTION \(s).stamp_tick() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
          NEW.ticked_by := session_user;
          NEW.ticked_at := date_trunc('milliseconds', now());
          NEW.text := (SELECT text FROM \(s).checklist_items WHERE phase = NEW.phase AND item = NEW.item);
          RETURN NEW;
        END $$;
        CREATE TRIGGER checklist_ticks_stamp BEFORE INSERT ON \(s).checklist_ticks FOR EACH ROW EXECUTE FUNCTION \(s).stamp_tick();
        CREATE TRIGGER checklist_ticks_are_not_changed BEFORE UPDATE ON \(s).checklist_ticks
          FOR EACH ROW EXECUTE FUNCTION \(s).refuse_change('checklist_ticks: delete a tick and insert it again');

        CREATE TABLE \(s).approvals (
          id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          phase   text NOT NULL REFERENCES \(s).phases(id),
          actor   text NOT NULL DEFAULT session_user,
          host    text NOT NULL CHECK (length(host) BETWEEN 1 AND 255),
          at      timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
          reason  text
        );
        CREATE FUNCTION \(s).stamp_approval() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN NEW.actor := session_user; NEW.at := date_trunc('milliseconds', now()); RETURN NEW; END $$;
        CREATE TRIGGER approvals_stamp BEFORE INSERT ON \(s).approvals FOR EACH ROW EXECUTE FUNCTION \(s).stamp_approval();
        CREATE TRIGGER approvals_are_records BEFORE UPDATE OR DELETE ON \(s).approvals
          FOR EACH ROW EXECUTE FUNCTION \(s).refuse_change('approvals are records: they are never changed or deleted');

        CREATE TABLE \(s).instances (
          id               text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
          host             text NOT NULL CHECK (length(host) BETWEEN 1 AND 255),
          pid              bigint NOT NULL,
          serving_version  bigint NOT NULL,
          heartbeat_at     timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
          started_at       timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
          stale            boolean NOT NULL DEFAULT false,
          login            text NOT NULL DEFAULT session_user
        );
        CREATE FUNCTION \(s).stamp_heartbeat() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
          NEW.login := CASE WHEN TG_OP = 'UPDATE' THEN OLD.login ELSE session_user END;
          NEW.heartbeat_at := date_trunc('milliseconds', now());
          NEW.started_at := CASE WHEN TG_OP = 'UPDATE' THEN OLD.started_at ELSE NEW.heartbeat_at END;
          RETURN NEW;
        END $$;
        CREATE TRIGGER instances_stamp BEFORE INSERT OR UPDATE ON \(s).instances FOR EACH ROW EXECUTE FUNCTION \(s).stamp_heartbeat();
        ALTER TABLE \(s).instances ENABLE ROW LEVEL SECURITY;
        CREATE POLICY instances_are_read ON \(s).instances FOR SELECT USING (true);
        CREATE POLICY instances_own_insert ON \(s).instances FOR INSERT WITH CHECK (login = session_user);
        CREATE POLICY instances_own_update ON \(s).instances FOR UPDATE USING (login = session_user);
        CREATE POLICY instances_own_delete ON \(s).instances FOR DELETE
          USING (login = session_user OR pg_has_role(session_user, '\(op)', 'MEMBER'));

        CREATE FUNCTION \(s).refuse_truncate() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
          AS $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'the control store is never truncated'; END $$;
        \(["migration", "phases", "checklist_items", "state", "audit", "counters", "counter_minutes", "counter_totals", "approvals",
           "gauges", "checklist_ticks", "instances", "schema_version"]
            .map { "CREATE TRIGGER \($0)_not_truncated BEFORE TRUNCATE ON \(s).\($0) EXECUTE FUNCTION \(s).refuse_truncate();" }
            .joined(separator: "\n"))

        REVOKE ALL ON SCHEMA \(s) FROM PUBLIC;
        GRANT USAGE ON SCHEMA \(s) TO \(app);
        GRANT SELECT ON ALL TABLES IN SCHEMA \(s) TO \(app);
        GRANT INSERT, UPDATE ON \(s).counters, \(s).gauges TO \(app);
        GRANT INSERT, UPDATE, DELETE ON \(s).instances TO \(app);
        GRANT UPDATE ON \(s).state TO \(op);
        GRANT INSERT ON \(s).audit TO \(op);
        GRANT INSERT, DELETE ON \(s).checklist_ticks TO \(op);
        GRANT INSERT ON \(s).approvals, \(s).audit TO \(approver);
        \(version4(s))
        \(version5(s))
        """
    }

    /// The audit log's append rule (numbering, stamping, the actor, the hash chain), as one
    /// replaceable function.
    static func auditAppend(_ s: String) -> String {
        let (op, approver) = (operatorRole(s), approverRole(s))
        return """
        CREATE OR REPLACE FUNCTION \(s).audit_append() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
          previous text;
        BEGIN
          IF current_setting('transaction_isolation') <> 'read committed' THEN
            RAISE EXCEPTION USING ERRCODE = 'serialization_failure',
              MESSAGE = 'audit: append in a READ COMMITTED transaction (a snapshot cannot see the newest row); retry';
          END IF;
          -- One append at a time, so ids and hashes form one chain. (Not a table lock: the INSERT
          -- already holds ROW EXCLUSIVE, and raising it would deadlock two appenders.)
          PERFORM pg_advisory_xact_lock(hashtext('\(s).audit'));
          NEW.actor := coalesce(NEW.actor, session_user);
          IF NEW.actor <> session_user THEN
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
              MESSAGE = format('audit: the actor is the database login %s, not %s', session_user, NEW.actor);
          END IF;
          IF NEW.action <> 'approve' AND NOT has_table_privilege(session_user, '\(s).state', 'UPDATE') THEN
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
              MESSAGE = format('audit: only an operator (\(op)) records %s events', NEW.action);
          END IF;
          IF NEW.action = 'approve' AND NOT has_table_privilege(session_user, '\(s).approvals', 'INSERT') THEN
            RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = 'audit: only an approver (\(approver)) approves';
          END IF;
          SELECT hash INTO previous FROM \(s).audit ORDER BY id DESC LIMIT 1;
          IF previous IS NULL THEN SELECT plan_hash INTO previous FROM \(s).migration WHERE id = 1; END IF;
          IF previous IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'audit: the migration row comes first';
          END IF;
          NEW.id := coalesce((SELECT max(id) FROM \(s).audit), 0) + 1;
          NEW.at := date_trunc('milliseconds', now());
          NEW.hash := encode(sha256(convert_to(previous, 'UTF8') || \(s).canonical(\(s).audit_fields(NEW))), 'hex');
          RETURN NEW;
        END $$;
        """
    }

    /// The state row's rules (schema 4: with the guard's hold), as one replaceable function.
    static func stateChange(_ s: String) -> String {
        """
        CREATE OR REPLACE FUNCTION \(s).state_change() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
          old_position integer; new_position integer; newest record; gate json;
        BEGIN
          IF NEW.id <> 1 THEN RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'state: there is one row, id 1'; END IF;
          IF NEW.version IS DISTINCT FROM OLD.version + 1 THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'state: every change sets version to the old version + 1';
          END IF;
          SELECT position INTO old_position FROM \(s).phases WHERE id = OLD.phase;
          SELECT position INTO new_position FROM \(s).phases WHERE id = NEW.phase;
          IF new_position < old_position AND EXISTS (SELECT 1 FROM \(s).phases WHERE irreversible
                                                     AND position > new_position AND position <= old_position) THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'state: rolling back past an irreversible phase is refused; reconcile forward';
          END IF;
          IF new_position > old_position AND (new_position <> old_position + 1 OR OLD.rollout <> 10000) THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'state: an advance moves one phase forward, from a phase at 100%';
          END IF;
          IF NOT (SELECT ramp FROM \(s).phases WHERE id = NEW.phase) AND NEW.rollout <> 10000 THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'state: a phase that is not ramped is always at 100%';
          END IF;
          IF NEW.phase = OLD.phase AND NEW.rollout < OLD.rollout AND (SELECT irreversible FROM \(s).phases WHERE id = NEW.phase) THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'state: in an irreversible phase the rollout may only go up';
          END IF;
          -- A fired hold or rollback guard holds every move forward until an operator clears it.
          IF (new_position > old_position OR (NEW.phase = OLD.phase AND NEW.rollout > OLD.rollout))
             AND EXISTS (SELECT 1 FROM \(s).guard_firings WHERE cleared_at IS NULL AND action IN ('hold', 'rollback')) THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
              MESSAGE = 'state: a fired guard holds the migration; clear it with ''migctl guard clear NAME --reason TEXT'' first';
          END IF;
          SELECT version, from_phase, to_phase, from_rollout, to_rollout, xmin::text AS writer INTO newest
            FROM \(s).audit ORDER BY id DESC LIMIT 1;
          IF newest.version IS DISTINCT FROM NEW.version OR newest.to_phase IS DISTINCT FROM NEW.phase
             OR newest.to_rollout IS DISTINCT FROM NEW.rollout OR newest.from_phase IS DISTINCT FROM OLD.phase
             OR newest.from_rollout IS DISTINCT FROM OLD.rollout OR newest.writer <> (txid_current() % 4294967296)::text THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
              MESSAGE = 'state: first insert the audit row of the change (version, to_phase, to_rollout), in the same transaction';
          END IF;
          -- An approval gate the plan does not let anyone override is the server's rule too: another
          -- login approved the phase being entered, recently enough.
          IF new_position = old_position + 1 THEN
            FOR gate IN SELECT g FROM json_array_elements((SELECT gates FROM \(s).phases WHERE id = NEW.phase)::json) AS g
                        WHERE (g -> 'kind' -> 'approval') IS NOT NULL AND NOT coalesce((g ->> 'overridable')::boolean, true) LOOP
              IF NOT EXISTS (SELECT 1 FROM \(s).approvals WHERE phase = NEW.phase AND lower(actor) <> lower(session_user)
                             AND at >= now() - make_interval(secs => (gate -> 'kind' -> 'approval' ->> 'withinSeconds')::double precision)) THEN
                RAISE EXCEPTION USING ERRCODE = 'check_violation',
                  MESSAGE = format('state: entering %s needs another login''s approval (its plan says so and cannot be overridden)', NEW.phase);
              END IF;
            END LOOP;
          END IF;
          -- The server's clock and the login, whatever the writer sent.
          NEW.changed_at := date_trunc('milliseconds', now());
          NEW.changed_by := session_user;
          NEW.phase_since := CASE WHEN NEW.phase = OLD.phase THEN OLD.phase_since ELSE NEW.changed_at END;
          RETURN NEW;
        END $$;
        """
    }

    /// Schema 4, the guard: each phase's automation (guards, ramp schedule, auto_advance) as
    /// JSON, hashed only when present; the lease that lets one guard act; the guards that fired.
    /// Applied after ``objects(_:)`` to a new store, and alone by `migctl upgrade` to a version-3 one.
    static func version4(_ s: String) -> String {
        let (app, op) = (appRole(s), operatorRole(s))
        return """
        SET LOCAL search_path = \(s), pg_catalog;
        ALTER TABLE \(s).phases ADD COLUMN IF NOT EXISTS automation text;
        CREATE OR REPLACE FUNCTION \(s).phase_fields(p \(s).phases) RETURNS text[] STABLE LANGUAGE sql SET search_path = pg_catalog, pg_temp
          AS $$ SELECT ARRAY[p.position::text, p.id, p.title, p.reads, p.writes, p.irreversible::int::text, p.ramp::int::text,
                             p.runbook_path, p.runbook, p.gates]
                       || CASE WHEN p.automation IS NULL THEN ARRAY[]::text[] ELSE ARRAY[p.automation] END $$;
        ALTER TABLE \(s).audit DROP CONSTRAINT IF EXISTS audit_action_check;
        ALTER TABLE \(s).audit ADD CONSTRAINT audit_action_check
          CHECK (action IN (\(AuditAction.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))));

        CREATE TABLE \(s).guard_lease (
          id           integer PRIMARY KEY CHECK (id = 1),
          holder       text NOT NULL CHECK (length(holder) BETWEEN 1 AND 255),
          host         text NOT NULL CHECK (length(host) BETWEEN 1 AND 255),
          pid          bigint NOT NULL,
          epoch        bigint NOT NULL CHECK (epoch BETWEEN 1 AND 4611686018427387904),
          acquired_at  timestamptz(3) NOT NULL,
          renewed_at   timestamptz(3) NOT NULL,
          expires_at   timestamptz(3) NOT NULL,
          status       text CHECK (length(status) <= 65536),
          login        text NOT NULL DEFAULT session_user
        );
        CREATE FUNCTION \(s).guard_lease_change() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
          IF TG_OP = 'UPDATE' AND (NEW.epoch < OLD.epoch OR (NEW.holder <> OLD.holder AND NEW.epoch <= OLD.epoch)) THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'guard_lease: a new holder raises the epoch';
          END IF;
          IF NEW.expires_at > clock_timestamp() + interval '1 day' OR NEW.renewed_at > clock_timestamp() + interval '1 minute' THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
              MESSAGE = 'guard_lease: a lease is renewed now and lasts at most a day';
          END IF;
          NEW.login := session_user;
          RETURN NEW;
        END $$;
        CREATE TRIGGER guard_lease_change BEFORE INSERT OR UPDATE ON \(s).guard_lease FOR EACH ROW EXECUTE FUNCTION \(s).guard_lease_change();
        CREATE TRIGGER guard_lease_is_kept BEFORE DELETE ON \(s).guard_lease
          FOR EACH ROW EXECUTE FUNCTION \(s).refuse_change('guard_lease: the lease row is never deleted; let it expire');

        CREATE TABLE \(s).guard_firings (
          id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          guard         text NOT NULL CHECK (\(s).is_name(guard)),
          phase         text NOT NULL REFERENCES \(s).phases(id),
          action        text NOT NULL CHECK (action IN ('notify', 'hold', 'rollback')),
          fired_at      timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
          fired_by      text NOT NULL DEFAULT session_user,
          observed      text NOT NULL CHECK (length(observed) <= 2000),
          bound         text NOT NULL CHECK (length(bound) <= 2000),
          sentence      text NOT NULL CHECK (length(sentence) <= 2000),
          cleared_at    timestamptz(3),
          cleared_by    text,
          clear_reason  text CHECK (length(clear_reason) BETWEEN 1 AND 2000)
        );
        CREATE UNIQUE INDEX guard_firings_one_open ON \(s).guard_firings (guard) WHERE cleared_at IS NULL;
        CREATE FUNCTION \(s).guard_firing_change() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            -- The guard and its action are the plan's (a forged 'notify' must not silence a rollback guard).
            IF NOT EXISTS (SELECT 1 FROM \(s).phases p, json_array_elements(coalesce(p.automation, '{}')::json -> 'guards') g
                           WHERE p.id = NEW.phase AND g ->> 'name' = NEW.guard
                             AND (SELECT min(k) FROM json_object_keys(g -> 'action') AS k) = NEW.action) THEN
              RAISE EXCEPTION USING ERRCODE = 'check_violation',
                MESSAGE = 'guard_firings: guard must be a guard of phase in the plan, with the plan''s action';
            END IF;
            IF NOT EXISTS (SELECT 1 FROM \(s).audit WHERE action = 'guard-fire' AND xmin::text = (txid_current() % 4294967296)::text) THEN
              RAISE EXCEPTION USING ERRCODE = 'check_violation',
                MESSAGE = 'guard_firings: first insert the guard-fire audit row, in the same transaction';
            END IF;
            NEW.fired_at := date_trunc('milliseconds', now());
            NEW.fired_by := session_user;
            NEW.cleared_at := NULL; NEW.cleared_by := NULL; NEW.clear_reason := NULL;
            RETURN NEW;
          END IF;
          IF OLD.cleared_at IS NOT NULL OR NEW.clear_reason IS NULL OR (NEW.id, NEW.guard, NEW.phase, NEW.action, NEW.fired_at, NEW.fired_by,
             NEW.observed, NEW.bound, NEW.sentence) IS DISTINCT FROM (OLD.id, OLD.guard, OLD.phase, OLD.action, OLD.fired_at,
             OLD.fired_by, OLD.observed, OLD.bound, OLD.sentence) THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
              MESSAGE = 'guard_firings: a firing is only ever cleared, once, with a reason';
          END IF;
          IF NOT EXISTS (SELECT 1 FROM \(s).audit WHERE action = 'guard-clear' AND xmin::text = (txid_current() % 4294967296)::text) THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
              MESSAGE = 'guard_firings: first insert the guard-clear audit row, in the same transaction';
          END IF;
          NEW.cleared_at := date_trunc('milliseconds', now());
          NEW.cleared_by := session_user;
          RETURN NEW;
        END $$;
        CREATE TRIGGER guard_firing_change BEFORE INSERT OR UPDATE ON \(s).guard_firings
          FOR EACH ROW EXECUTE FUNCTION \(s).guard_firing_change();
        CREATE TRIGGER guard_firings_are_kept BEFORE DELETE ON \(s).guard_firings
          FOR EACH ROW EXECUTE FUNCTION \(s).refuse_change('guard_firings are records: clear one, never delete it');
        CREATE TRIGGER guard_lease_not_truncated BEFORE TRUNCATE ON \(s).guard_lease EXECUTE FUNCTION \(s).refuse_truncate();
        CREATE TRIGGER guard_firings_not_truncated BEFORE TRUNCATE ON \(s).guard_firings EXECUTE FUNCTION \(s).refuse_truncate();
        \(stateChange(s))
        \(auditAppend(s))
        GRANT SELECT ON \(s).guard_lease, \(s).guard_firings TO \(app);
        GRANT INSERT, UPDATE ON \(s).guard_lease, \(s).guard_firings TO \(op);
        UPDATE \(s).schema_version SET version = 4;

        """
    }

    /// Schema 5: operators steer the backfill and the verifier (`job_control`, written only with
    /// its `backfill` or `verify` audit row, by operators), the jobs report where they are
    /// (`job_progress`, written by applications) and what the verifier found (`verify_mismatches`,
    /// kept); and deletes leave tombstones wherever reads fall back (``Phase/tombstonesSQL``).
    /// Applied after ``version4(_:)`` to a new store, and by `migctl upgrade` to an older one.
    static func version5(_ s: String) -> String {
        let (app, op) = (appRole(s), operatorRole(s))
        return """
        SET LOCAL search_path = \(s), pg_catalog;
        ALTER TABLE \(s).phases DROP COLUMN tombstones;
        ALTER TABLE \(s).phases ADD COLUMN tombstones boolean GENERATED ALWAYS AS \(Phase.tombstonesSQL) STORED;
        ALTER TABLE \(s).audit DROP CONSTRAINT IF EXISTS audit_action_check;
        ALTER TABLE \(s).audit ADD CONSTRAINT audit_action_check
          CHECK (action IN (\(AuditAction.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))));

        CREATE TABLE \(s).job_control (
          job         text PRIMARY KEY CHECK (job IN ('backfill', 'verify')),
          paused      boolean NOT NULL DEFAULT false,
          rate        bigint NOT NULL DEFAULT 0 CHECK (rate BETWEEN 0 AND 1000000000),
          batch       integer NOT NULL DEFAULT 500 CHECK (batch BETWEEN 1 AND 100000),
          changed_at  timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
          changed_by  text NOT NULL DEFAULT session_user
        );
        CREATE FUNCTION \(s).job_control_change() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
          IF TG_OP = 'UPDATE' AND NEW.job <> OLD.job THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'job_control: a row stays the job it is';
          END IF;
          IF NOT EXISTS (SELECT 1 FROM \(s).audit WHERE action = NEW.job AND xmin::text = (txid_current() % 4294967296)::text) THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation',
              MESSAGE = 'job_control: first insert the audit row of the change (action = the job), in the same transaction';
          END IF;
          NEW.changed_at := date_trunc('milliseconds', now());
          NEW.changed_by := session_user;
          RETURN NEW;
        END $$;
        CREATE TRIGGER job_control_change BEFORE INSERT OR UPDATE ON \(s).job_control
          FOR EACH ROW EXECUTE FUNCTION \(s).job_control_change();
        CREATE TRIGGER job_control_is_kept BEFORE DELETE ON \(s).job_control
          FOR EACH ROW EXECUTE FUNCTION \(s).refuse_change('job_control: a job''s control row is changed, never deleted');
        CREATE TRIGGER job_control_not_truncated BEFORE TRUNCATE ON \(s).job_control EXECUTE FUNCTION \(s).refuse_truncate();

        CREATE TABLE \(s).job_progress (
          job               text PRIMARY KEY CHECK (job IN ('backfill', 'verify')),
          cursor            text CHECK (length(cursor) <= 65536),
          done              bigint NOT NULL DEFAULT 0 CHECK (done >= 0),
          total             bigint CHECK (total >= 0),
          started_at        timestamptz(3) NOT NULL,
          updated_at        timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now()),
          finished_at       timestamptz(3),
          since_phase       text REFERENCES \(s).phases(id),
          phase_entered_at  timestamptz(3),
          mismatches        bigint NOT NULL DEFAULT 0 CHECK (mismatches >= 0),
          instance          text NOT NULL CHECK (length(instance) BETWEEN 1 AND 255),
          throttled         text CHECK (length(throttled) BETWEEN 1 AND 2000)
        );
        CREATE FUNCTION \(s).job_progress_change() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
          IF TG_OP = 'UPDATE' AND NEW.job <> OLD.job THEN
            RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = 'job_progress: a row stays the job it is';
          END IF;
          NEW.updated_at := date_trunc('milliseconds', now());
          RETURN NEW;
        END $$;
        CREATE TRIGGER job_progress_change BEFORE INSERT OR UPDATE ON \(s).job_progress
          FOR EACH ROW EXECUTE FUNCTION \(s).job_progress_change();

        CREATE TABLE \(s).verify_mismatches (
          id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          run_started_at  timestamptz(3) NOT NULL,
          key             text NOT NULL CHECK (length(key) <= 65536),
          old_digest      text NOT NULL CHECK (length(old_digest) BETWEEN 1 AND 64),
          new_digest      text NOT NULL CHECK (length(new_digest) BETWEEN 1 AND 64),
          found_at        timestamptz(3) NOT NULL DEFAULT date_trunc('milliseconds', now())
        );
        CREATE TRIGGER verify_mismatches_are_kept BEFORE UPDATE OR DELETE ON \(s).verify_mismatches
          FOR EACH ROW EXECUTE FUNCTION \(s).refuse_change('verify_mismatches are records: never changed');
        CREATE TRIGGER verify_mismatches_not_truncated BEFORE TRUNCATE ON \(s).verify_mismatches
          EXECUTE FUNCTION \(s).refuse_truncate();

        GRANT SELECT ON \(s).job_control, \(s).job_progress, \(s).verify_mismatches TO \(app);
        GRANT INSERT, UPDATE ON \(s).job_progress TO \(app);
        GRANT INSERT ON \(s).verify_mismatches TO \(app);
        GRANT INSERT, UPDATE ON \(s).job_control TO \(op);
        UPDATE \(s).schema_version SET version = 5;

        """
    }
}
