import Foundation
import GRDB
import MigrationCore
import PostgresNIO
import Synchronization

/// The control store on a PostgreSQL server, for a fleet that spans hosts.
///
/// The same contract as ``SQLiteControlStore`` (the README documents both), enforced by the
/// server: see ``PostgresSchema`` for what differs. The server's clock stamps every time and
/// the login is the actor, so the dates and names callers pass are only checked, never stored.
///
/// Each store holds at most one connection and LISTENs on it, so ``changeToken()`` reads
/// memory while the connection is up; a version poll stands in every few seconds and while the
/// connection is down.
///
/// ```swift
/// let store = try PostgresControlStore(url: PostgresURL("postgresql://alice@db.internal/ops?schema=users_v2"))
/// let state = try store.state()
/// ```
public final class PostgresControlStore: ControlStore, RowDecoding {
    public let location: String
    package let rowProblems = RowProblemLog()
    let link: PostgresLink
    /// The schema, written into SQL as an identifier (validated by ``PostgresURL/isValidSchema(_:)``).
    let s: String
    /// The last version poll: when, and what it read.
    private let poll = Mutex<(at: ContinuousClock.Instant, version: Int64)?>(nil)

    /// How often ``changeToken()`` asks the server for the state version even while notifications
    /// arrive: a safety net for a notification lost to a proxy or a failover.
    static let versionPollInterval: Duration = .seconds(5)

    /// Opens the control store in `url`'s schema.
    /// - Parameter allowOlderSchema: only `upgrade` opens an older schema.
    /// - Throws: ``ControlStoreError`` when the server cannot be reached, or the schema holds no
    ///   control store, or one of a version this build does not read.
    public init(url: PostgresURL, allowOlderSchema: Bool = false) throws(ControlStoreError) {
        location = url.description
        link = try PostgresLink(url: url)
        s = url.schema
        let version = try link.withConnection { session in
            try session.records("SELECT version FROM \(unescaped: s).schema_version").first?["version"] as Int64?
        }
        guard let version else { throw .notAControlDatabase(path: location) }
        if version > Int64(PostgresSchema.version) {
            throw .newerSchema(path: location, found: Int(version), known: PostgresSchema.version)
        }
        if version < Int64(PostgresSchema.version), !allowOlderSchema {
            throw .olderSchema(path: location, found: Int(version), known: PostgresSchema.version)
        }
    }

    /// The schema version the store holds (`schema_version`).
    public func schemaVersion() throws(ControlStoreError) -> Int {
        let row = try read("SELECT version FROM \(unescaped: s).schema_version").first
        return Int((row?["version"] as Int64?) ?? 0)
    }

    /// The login the server knows this connection by: the actor of everything it writes.
    public func login() throws(ControlStoreError) -> String? { try link.login() }

    // MARK: - ControlStore

    public func migration() throws(ControlStoreError) -> MigrationInfo {
        let rows = try read("SELECT name, created_at, created_by FROM \(unescaped: s).migration WHERE id = 1")
        guard let row = rows.first else { throw .notAControlDatabase(path: location) }
        return try decodeOne(row, table: "migration", key: "1") { row throws(RowProblem) in try row.migrationInfo() }
    }

    public func plan() throws(ControlStoreError) -> Plan {
        let rows = try read("SELECT * FROM \(unescaped: s).phases ORDER BY position")
        let phases = try rows.map { row throws(ControlStoreError) in
            try decodeOne(row, table: "phases", key: StoredRow.keyText(row, "id")) { row throws(RowProblem) in try row.phase() }
        }
        guard !phases.isEmpty else { throw .io(path: location, message: "the phases table is empty") }
        return Plan(phases: phases)
    }

    public func runbook(phase: String) throws(ControlStoreError) -> String? {
        guard let row = try read("SELECT runbook FROM \(unescaped: s).phases WHERE id = \(phase)").first else { return nil }
        return try decodeOne(row, table: "phases", key: phase) { row throws(RowProblem) in try row.optionalText("runbook") }
    }

    public func state() throws(ControlStoreError) -> MigrationState {
        try link.withConnection { session in try fetchState(session) }
    }

    public func commit(_ new: MigrationState, replacing old: MigrationState, event: AuditEvent) throws(ControlStoreError) {
        try link.transaction { session in try commitState(new, replacing: old, event: event, session) }
    }

    /// The body of ``commit(_:replacing:event:)``, inside the caller's transaction.
    func commitState(_ new: MigrationState, replacing old: MigrationState, event: AuditEvent, _ session: PostgresLink.Session) throws {
        let current = try fetchState(session)
        guard current.version == old.version else { throw ControlStoreError.conflict(expected: old.version, found: current.version) }
        var event = event
        (event.fromPhase, event.toPhase) = (old.phase, new.phase)
        (event.fromRollout, event.toRollout, event.version) = (old.rollout, new.rollout, new.version)
        try insert(event, session)
        // Compare-and-swap: the row changes only if nobody changed it since it was read.
        let changed = try session.records("""
            UPDATE \(unescaped: s).state SET phase = \(new.phase), rollout = \(Int64(new.rollout.basisPoints)), version = \(new.version)
            WHERE id = 1 AND version = \(old.version) RETURNING version
            """)
        guard changed.count == 1 else {
            throw ControlStoreError.conflict(expected: old.version, found: try fetchState(session).version)
        }
    }

    public func append(_ event: AuditEvent) throws(ControlStoreError) {
        try link.withConnection { session in try insert(event, session) }
    }

    public func auditLog(limit: Int) throws(ControlStoreError) -> [AuditEvent] {
        let rows = try read("SELECT * FROM \(unescaped: s).audit ORDER BY id DESC LIMIT \(Int64(max(0, limit)))")
        return decodeEach(rows, table: "audit", key: { StoredRow.keyText($0, "id") }) { row throws(RowProblem) in try row.auditEvent() }
    }

    public func auditLog(after id: Int64, limit: Int) throws(ControlStoreError) -> (events: [AuditEvent], through: Int64) {
        let rows = try read("SELECT * FROM \(unescaped: s).audit WHERE id > \(id) ORDER BY id LIMIT \(Int64(max(0, limit)))")
        let events = decodeEach(rows, table: "audit", key: { StoredRow.keyText($0, "id") }) { row throws(RowProblem) in try row.auditEvent() }
        return (events, rows.last.flatMap { $0["id"] as Int64? } ?? id)
    }

    public func add(counts: [String: Int64], second: Int64) throws(ControlStoreError) {
        try Self.check(counts)
        try link.withConnection { session in try addCounts(counts, second: second, session) }
    }

    public func setGauge(_ name: String, to value: Double, at date: Date) throws(ControlStoreError) {
        guard Names.isValidMetricName(name) else { throw .invalidName(name) }
        guard value.isFinite else { throw .invalidValue("a gauge holds a finite number, not \(value)") }
        try link.withConnection { session in
            try session.execute("""
                INSERT INTO \(unescaped: s).gauges (name, value) VALUES (\(name), \(value))
                ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """)
        }
    }

    public func counterTotals() throws(ControlStoreError) -> [String: Int64] {
        let rows = try read("""
            SELECT name, least(sum(value), 9223372036854775807)::bigint AS value FROM \(unescaped: s).counter_totals GROUP BY name
            """)
        let totals = decodeEach(rows, table: "counter_totals", key: { StoredRow.keyText($0, "name") }) { row throws(RowProblem) in
            (try row.text("name"), max(0, try row.int64("value")))
        }
        return Dictionary(totals, uniquingKeysWith: { a, _ in a })
    }

    public func gauges() throws(ControlStoreError) -> [Gauge] {
        let rows = try read("SELECT name, value, updated_at FROM \(unescaped: s).gauges ORDER BY name")
        return decodeEach(rows, table: "gauges", key: { StoredRow.keyText($0, "name") }) { row throws(RowProblem) in try row.gauge() }
    }

    public func counterSeries(_ names: [String], from: Int64, to: Int64, slots: Int) throws(ControlStoreError) -> CounterSeries {
        let layout = CounterSeries.Layout(from: from, to: to, slots: slots)
        var values = Dictionary(uniqueKeysWithValues: names.map { ($0, [Int64](repeating: 0, count: layout.slots)) })
        guard !names.isEmpty else { return CounterSeries(start: layout.start, slotSeconds: layout.step, values: values) }
        let (table, column) = layout.usesMinutes ? ("counter_minutes", "minute") : ("counters", "second")
        let rows = try read("""
            SELECT name, (\(unescaped: column) - \(layout.start)) / \(layout.step) AS slot,
                   least(sum(value), 9223372036854775807)::bigint AS total
            FROM \(unescaped: s).\(unescaped: table)
            WHERE name = ANY(\(names)) AND \(unescaped: column) >= \(layout.start) AND \(unescaped: column) < \(to)
            GROUP BY name, slot
            """)
        let sums = decodeEach(rows, table: table, key: { StoredRow.keyText($0, "name", "slot") }) { row throws(RowProblem) in
            (name: try row.text("name"), slot: try row.int64("slot"), total: max(0, try row.int64("total")))
        }
        for sum in sums where (0..<Int64(layout.slots)).contains(sum.slot) { values[sum.name]?[Int(sum.slot)] = sum.total }
        return CounterSeries(start: layout.start, slotSeconds: layout.step, values: values)
    }

    public func counterSums(_ windows: [CounterWindow], now: Date) throws(ControlStoreError) -> [CounterWindow: Int64] {
        let end = Int64(now.timeIntervalSince1970)
        return try link.withConnection { session in
            var sums: [CounterWindow: Int64] = [:]
            for window in windows {
                // Whole minutes come from the roll-up; the ragged edges from the per-second rows.
                let start = end - window.seconds + 1
                let firstMinute = (start + 59) / 60 * 60, lastMinute = end / 60 * 60
                let rows = try session.records("""
                    SELECT least(coalesce((SELECT sum(value) FROM \(unescaped: s).counter_minutes
                                           WHERE name = \(window.name) AND minute >= \(firstMinute) AND minute < \(lastMinute)), 0)
                               + coalesce((SELECT sum(value) FROM \(unescaped: s).counters WHERE name = \(window.name)
                                           AND second >= \(start) AND second <= \(end)
                                           AND (\(firstMinute) >= \(lastMinute) OR second < \(firstMinute) OR second >= \(lastMinute))), 0),
                               9223372036854775807)::bigint AS total
                    """)
                sums[window] = max(0, (rows.first?["total"] as Int64?) ?? 0)
            }
            return sums
        }
    }

    public func checklist(phase: String) throws(ControlStoreError) -> [ChecklistItem] {
        let rows = try read("""
            SELECT i.item, i.text, t.ticked_by, t.ticked_at FROM \(unescaped: s).checklist_items i
            LEFT JOIN \(unescaped: s).checklist_ticks t ON t.phase = i.phase AND t.item = i.item
            WHERE i.phase = \(phase) ORDER BY i.item
            """)
        return decodeEach(rows, table: "checklist_items", key: { "\(phase)/" + StoredRow.keyText($0, "item") }) { row throws(RowProblem) in
            try row.checklistItem()
        }
    }

    public func setTick(phase: String, item number: Int, ticked: Bool, by signer: Operator, at date: Date) throws(ControlStoreError) {
        try link.transaction { session in
            guard let text = try session.records("""
                SELECT text FROM \(unescaped: s).checklist_items WHERE phase = \(phase) AND item = \(Int64(number))
                """).first?["text"] as String? else {
                throw ControlStoreError.noSuchChecklistItem(phase: phase, item: number)
            }
            let changed = ticked
                ? try session.records("""
                    INSERT INTO \(unescaped: s).checklist_ticks (phase, item, text) VALUES (\(phase), \(Int64(number)), \(text))
                    ON CONFLICT (phase, item) DO NOTHING RETURNING item
                    """)
                : try session.records("""
                    DELETE FROM \(unescaped: s).checklist_ticks WHERE phase = \(phase) AND item = \(Int64(number)) RETURNING item
                    """)
            guard !changed.isEmpty else { return }
            try insert(AuditEvent(at: date, actor: signer.name, host: signer.host,
                                  action: (ticked ? AuditAction.tick : .untick).rawValue, toPhase: phase,
                                  reason: "#\(number) \(text)"), session)
        }
    }

    public func approve(phase: String, by signer: Operator, at date: Date, reason: String?) throws(ControlStoreError) {
        try link.transaction { session in
            try session.execute("""
                INSERT INTO \(unescaped: s).approvals (phase, host, reason) VALUES (\(phase), \(signer.host), \(reason))
                """)
            try insert(AuditEvent(at: date, actor: signer.name, host: signer.host, action: AuditAction.approve.rawValue,
                                  toPhase: phase, reason: reason), session)
        }
    }

    public func approvals(phase: String) throws(ControlStoreError) -> [Approval] {
        let rows = try read("SELECT * FROM \(unescaped: s).approvals WHERE phase = \(phase) ORDER BY id DESC")
        return decodeEach(rows, table: "approvals", key: { StoredRow.keyText($0, "id") }) { row throws(RowProblem) in try row.approval() }
    }

    public func jobControl(_ job: Job) throws(ControlStoreError) -> JobControl {
        let rows = try read("SELECT job, paused, rate, batch, changed_at, changed_by FROM \(unescaped: s).job_control WHERE job = \(job.rawValue)")
        guard !rows.isEmpty else { return .standard }
        let decoded = decodeEach(rows, table: "job_control", key: { StoredRow.keyText($0, "job") }) { row throws(RowProblem) in
            try row.jobControl()
        }
        return decoded.first ?? JobControl(paused: true, rate: 0, batch: JobControl.standard.batch)
    }

    public func changeJobControl(_ job: Job, _ change: JobControlChange, event: AuditEvent) throws(ControlStoreError) {
        let first = change.applied(to: .standard)   // the row a first change creates
        try link.transaction { session in
            try insert(event, session)
            try session.execute("""
                INSERT INTO \(unescaped: s).job_control (job, paused, rate, batch) VALUES (\(job.rawValue), \(first.paused), \(first.rate), \(first.batch))
                ON CONFLICT (job) DO UPDATE SET \(unescaped: change.column) = excluded.\(unescaped: change.column)
                """)
        }
    }

    public func jobProgress(_ job: Job) throws(ControlStoreError) -> JobProgress? {
        let rows = try read("""
            SELECT job, cursor, done, total, started_at, updated_at, finished_at, instance, throttled, since_phase, phase_entered_at, mismatches
            FROM \(unescaped: s).job_progress
            WHERE job = \(job.rawValue)
            """)
        return decodeEach(rows, table: "job_progress", key: { StoredRow.keyText($0, "job") }) { row throws(RowProblem) in
            try row.jobProgress()
        }.first
    }

    public func saveJobProgress(_ job: Job, _ progress: JobProgress, mismatches: [VerifyMismatch]) throws(ControlStoreError) {
        try link.transaction { session in
            for mismatch in mismatches {
                try session.execute("""
                    INSERT INTO \(unescaped: s).verify_mismatches (run_started_at, key, old_digest, new_digest, found_at)
                    VALUES (\(mismatch.runStartedAt), \(mismatch.key), \(mismatch.oldDigest), \(mismatch.newDigest), \(mismatch.foundAt))
                    """)
            }
            try session.execute("""
                INSERT INTO \(unescaped: s).job_progress (job, cursor, done, total, started_at, finished_at, instance, throttled,
                                                          since_phase, phase_entered_at, mismatches)
                VALUES (\(job.rawValue), \(progress.cursor), \(progress.done), \(progress.total), \(progress.startedAt),
                        \(progress.finishedAt), \(progress.instance), \(progress.throttled), \(progress.sincePhase),
                        \(progress.phaseEnteredAt), \(progress.mismatches))
                ON CONFLICT (job) DO UPDATE SET cursor = excluded.cursor, done = excluded.done, total = excluded.total,
                  started_at = excluded.started_at, finished_at = excluded.finished_at, instance = excluded.instance,
                  throttled = excluded.throttled, since_phase = excluded.since_phase, phase_entered_at = excluded.phase_entered_at,
                  mismatches = excluded.mismatches
                """)
        }
    }

    public func verifyMismatches(runStartedAt: Date, limit: Int) throws(ControlStoreError) -> [VerifyMismatch] {
        // Instants keep milliseconds, a Date a binary fraction of them: match the run's millisecond.
        let rows = try read("""
            SELECT id, run_started_at, key, old_digest, new_digest, found_at FROM \(unescaped: s).verify_mismatches
            WHERE run_started_at > \(runStartedAt) - interval '500 microseconds'
              AND run_started_at < \(runStartedAt) + interval '500 microseconds'
            ORDER BY id LIMIT \(Int64(max(0, limit)))
            """)
        return decodeEach(rows, table: "verify_mismatches", key: { StoredRow.keyText($0, "id") }) { row throws(RowProblem) in
            try row.verifyMismatch()
        }
    }

    public func instances() throws(ControlStoreError) -> [FleetInstance] {
        let rows = try read("SELECT * FROM \(unescaped: s).instances ORDER BY host, pid")
        return decodeEach(rows, table: "instances", key: { StoredRow.keyText($0, "id") }) { row throws(RowProblem) in try row.fleetInstance() }
    }

    public func flush(counts: [String: Int64], second: Int64, heartbeat: FleetInstance?) throws(ControlStoreError) {
        try Self.check(counts)
        try link.transaction { session in
            try addCounts(counts, second: second, session)
            guard let instance = heartbeat else { return }
            try session.execute("""
                INSERT INTO \(unescaped: s).instances (id, host, pid, serving_version, stale)
                VALUES (\(instance.id), \(instance.host), \(instance.pid), \(instance.servingVersion), \(instance.stale))
                ON CONFLICT (id) DO UPDATE SET serving_version = excluded.serving_version, stale = excluded.stale
                """)
        }
    }

    public func removeInstance(id: String) throws(ControlStoreError) {
        try link.withConnection { session in try session.execute("DELETE FROM \(unescaped: s).instances WHERE id = \(id)") }
    }

    public func forgetInstance(id: String, event: AuditEvent) throws(ControlStoreError) -> Bool {
        try link.transaction { session in
            let removed = try session.records("DELETE FROM \(unescaped: s).instances WHERE id = \(id) RETURNING id")
            guard !removed.isEmpty else { return false }
            try insert(event, session)
            return true
        }
    }

    /// Changes when the server announced a change (NOTIFY) or the connection was re-established;
    /// reads memory only while the connection is up, except for a version poll every
    /// ``versionPollInterval``. While the connection is down every call polls, which reconnects
    /// (with backoff) or throws.
    public func changeToken() throws(ControlStoreError) -> Int64 {
        let now = ContinuousClock.now
        let last = poll.withLock { $0 }
        var version = last?.version ?? 0
        if !link.isOpen || last.map({ now - $0.at >= Self.versionPollInterval }) ?? true {
            version = try state().version
            poll.withLock { $0 = (now, version) }
        }
        let (notifications, generation) = link.changeCount
        // Each part only grows; any change of any part changes the sum.
        return notifications &+ (generation << 32) &+ (version << 16)
    }

    /// The server's clock, which stamps every time in the store (measured at each connection).
    public func now() -> Date { link.serverNow }

    public func onChange(_ handler: @escaping @Sendable () -> Void) {
        link.onNotification(handler)
    }

    public func takeRowProblems() -> [RowProblem] { rowProblems.take() }

    // MARK: - Plumbing

    func read(_ query: PostgresQuery) throws(ControlStoreError) -> [Row] {
        try link.withConnection { session in try session.records(query) }
    }

    private func fetchState(_ session: PostgresLink.Session) throws -> MigrationState {
        guard let row = try session.records("SELECT * FROM \(unescaped: s).state WHERE id = 1").first else {
            throw ControlStoreError.io(path: location, message: "the state row is missing")
        }
        return try decodeOne(row, table: "state", key: "1") { row throws(RowProblem) in try row.migrationState() }
    }

    /// Appends `event`; the server numbers it, stamps it and extends the hash chain.
    func insert(_ event: AuditEvent, _ session: PostgresLink.Session) throws {
        try session.execute("""
            INSERT INTO \(unescaped: s).audit (actor, host, action, from_phase, to_phase, from_rollout, to_rollout, version, reason, details)
            VALUES (\(event.actor), \(event.host), \(event.action), \(event.fromPhase), \(event.toPhase),
                    \(event.fromRollout.map { Int64($0.basisPoints) }), \(event.toRollout.map { Int64($0.basisPoints) }),
                    \(event.version), \(event.reason), \(event.details))
            """)
    }

    private func addCounts(_ counts: [String: Int64], second: Int64, _ session: PostgresLink.Session) throws {
        let positive = counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        guard !positive.isEmpty else { return }
        try session.execute("SELECT \(unescaped: s).add_counts(\(positive.map(\.key)), \(second), \(positive.map(\.value)))")
    }

    private static func check(_ counts: [String: Int64]) throws(ControlStoreError) {
        for (name, value) in counts {
            guard Names.isValidMetricName(name) else { throw .invalidName(name) }
            guard value >= 0 else { throw .invalidValue("a counter only grows; \(value) is below zero") }
        }
    }
}
