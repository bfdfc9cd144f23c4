import Foundation
import GRDB

/// The control database as one SQLite file in WAL mode, shared by every process.
///
/// Opening never creates or changes a file: it refuses a missing path, a file that is
/// not SQLite, and a schema version it does not know. Only ``create(at:name:plan:runbooks:by:at:)``
/// makes a new database.
///
/// ```swift
/// let store = try SQLiteControlStore(path: "migctl.db")
/// let state = try store.state()
/// ```
public final class SQLiteControlStore: ControlStore, RowDecoding {
    public let location: String
    let queue: DatabaseQueue
    /// How long a read or write keeps trying while another process holds the lock.
    public let lockWait: Duration
    /// Rows skipped by list reads since the caller last asked.
    package let rowProblems = RowProblemLog()
    /// The file as this connection found it (see ``fileChangeSinceOpening()``).
    let openedFile: FileMark?

    /// Opens an existing control database at `path`.
    /// - Parameter allowOlderSchema: only `upgrade` opens a file of an older schema.
    /// - Parameter readOnly: a connection that never writes (a client's state reader).
    /// - Parameter lockWait: how long a read or write keeps trying while another process
    ///   holds the lock before it fails with a sentence naming that process.
    /// - Throws: ``ControlStoreError`` when the file is missing, not SQLite, not a control
    ///   database, or of a schema version this build does not read.
    public init(path: String, allowOlderSchema: Bool = false, readOnly: Bool = false,
                lockWait: Duration = .seconds(10)) throws(ControlStoreError) {
        try Self.checkIsSQLiteFile(path)
        self.location = path
        self.lockWait = lockWait
        openedFile = FileMark(path: path)
        do {
            var configuration = Self.configuration()
            configuration.readonly = readOnly
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw Self.storeError(error, path: path)
        }
        let version = try read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
        let hasMigration = try read { db in try db.tableExists("migration") }
        guard version > 0, hasMigration else { throw .notAControlDatabase(path: path) }
        if version > Schema.currentVersion {
            throw .newerSchema(path: path, found: version, known: Schema.currentVersion)
        }
        if version < Schema.currentVersion, !allowOlderSchema {
            throw .olderSchema(path: path, found: version, known: Schema.currentVersion)
        }
        try ensureWriteAheadLog(readOnly: readOnly)
    }

    /// Every process relies on WAL mode (readers never block the writer); a file switched out
    /// of it (`PRAGMA journal_mode = DELETE` by hand, a restored copy) is switched back, or
    /// refused when that is not possible.
    private func ensureWriteAheadLog(readOnly: Bool) throws(ControlStoreError) {
        let mode = try read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "?" }
        guard mode.lowercased() != "wal" else { return }
        let switched = readOnly ? mode : ((try? queue.writeWithoutTransaction { db in
            try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        }) ?? nil) ?? mode
        guard switched.lowercased() == "wal" else {
            throw .io(path: location, message: "it is in journal mode '\(mode.terminalSafe)', not WAL, and could not be switched back; stop the processes that have it open and run any migctl command once")
        }
    }

    /// Creates a new control database at `path` (mode 0660), at the plan's first phase.
    ///
    /// - Parameters:
    ///   - runbooks: each phase's runbook text by phase id, copied in so every console shows
    ///     the same runbook wherever it runs.
    ///   - checklists: each phase's checklist items as parsed from its runbook. Callers use
    ///     the `Runbook` module's `create(at:name:plan:runbooks:by:at:)`, which derives them;
    ///     a phase given none has a checklist gate that can never pass.
    ///
    /// The file is built under a hidden temporary name beside `path` and linked into place
    /// only when complete, so a crash or `kill -9` never leaves a half-built database at `path`.
    /// - Throws: ``ControlStoreError/alreadyExists(path:)`` if anything is at `path`;
    ///   nothing is left behind when creation fails.
    public static func create(
        at path: String, name: String, plan: Plan, runbooks: [String: String], checklists: [String: [String]],
        by signer: Operator, at date: Date
    ) throws(ControlStoreError) -> SQLiteControlStore {
        var existing = stat()
        if lstat(path, &existing) == 0 { throw .alreadyExists(path: path) }
        let url = URL(fileURLWithPath: path)
        let building = url.deletingLastPathComponent().appending(path: ".\(url.lastPathComponent).init-\(UUID().uuidString.prefix(8))").path
        let fd = open(building, O_WRONLY | O_CREAT | O_EXCL, 0o660)
        guard fd >= 0 else { throw .io(path: path, message: String(cString: strerror(errno))) }
        fchmod(fd, 0o660)
        close(fd)
        defer { for suffix in ["", "-wal", "-shm"] { unlink(building + suffix) } }
        do {
            var config = configuration()
            config.journalMode = .wal
            let queue = try DatabaseQueue(path: building, configuration: config)
            try Schema.migrator().migrate(queue)
            try queue.inTransaction(.immediate) { db in
                try insertInitialRows(db, name: name, plan: plan, runbooks: runbooks, checklists: checklists, by: signer, at: date)
                return .commit
            }
            try queue.close()
        } catch {
            throw storeError(error, path: path)
        }
        // link() never replaces: whoever created `path` meanwhile keeps it.
        guard link(building, path) == 0 else {
            if errno == EEXIST { throw .alreadyExists(path: path) }
            throw .io(path: path, message: String(cString: strerror(errno)))
        }
        return try SQLiteControlStore(path: path)
    }

    /// Brings an older control database up to ``Schema/currentVersion``, recording an
    /// `upgrade` audit event in the same transaction as each schema step.
    /// - Returns: the schema version before and after.
    public static func upgrade(at path: String, by signer: Operator, at date: Date) throws(ControlStoreError) -> (from: Int, to: Int) {
        let store = try SQLiteControlStore(path: path, allowOlderSchema: true)
        let before = try store.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
        guard try store.read({ db in try Schema.hasShape(of: before, db) }) else { throw .notAControlDatabase(path: path) }
        let migrator = Schema.migrator { db, from, to in
            try insert(AuditEvent(at: date, actor: signer.name, host: signer.host, action: AuditAction.upgrade.rawValue,
                                  reason: "schema version \(from) to \(to)"), db)
        }
        do {
            try migrator.migrate(store.queue)
        } catch {
            throw storeError(error, path: path)
        }
        let after = try store.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
        guard after == Schema.currentVersion else {
            throw .io(path: path, message: "its user_version says \(after) but its tables are already upgraded (user_version was changed by hand); restore the file from a backup")
        }
        return (before, Schema.currentVersion)
    }

    /// The schema version this build reads and writes (the contract's version, on both stores).
    public static var schemaVersion: Int { Schema.currentVersion }

    /// The older schema versions ``upgrade(at:by:at:)`` brings a file up from: every one before this build's.
    public static var upgradableSchemaVersions: ClosedRange<Int> { 1...(Schema.versions.count - 1) }

    // MARK: - ControlStore

    public func migration() throws(ControlStoreError) -> MigrationInfo {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT name, created_at, created_by FROM migration WHERE id = 1") else {
                throw ControlStoreError.notAControlDatabase(path: location)
            }
            return try decodeOne(row, table: "migration", key: "1") { row throws(RowProblem) in
                try row.migrationInfo()
            }
        }
    }

    public func plan() throws(ControlStoreError) -> Plan {
        let phases = try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM phases ORDER BY position").map { row throws(ControlStoreError) in
                try decodeOne(row, table: "phases", key: StoredRow.keyText(row, "id")) { row throws(RowProblem) in
                    try row.phase()
                }
            }
        }
        guard !phases.isEmpty else { throw .io(path: location, message: "the phases table is empty; restore the file from a backup") }
        return Plan(phases: phases)
    }

    public func runbook(phase: String) throws(ControlStoreError) -> String? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT runbook FROM phases WHERE id = ?", arguments: [phase]) else { return nil }
            return try decodeOne(row, table: "phases", key: phase) { row throws(RowProblem) in try row.optionalText("runbook") }
        }
    }

    public func state() throws(ControlStoreError) -> MigrationState {
        try read { db in try fetchState(db) }
    }

    public func commit(_ new: MigrationState, replacing old: MigrationState, event: AuditEvent) throws(ControlStoreError) {
        try write { db in try commitState(new, replacing: old, event: event, db) }
    }

    /// The body of ``commit(_:replacing:event:)``, inside the caller's transaction.
    func commitState(_ new: MigrationState, replacing old: MigrationState, event: AuditEvent, _ db: Database) throws {
        // The audit row first: the database accepts a state change only once it is audited.
        let current = try fetchState(db)
        guard current.version == old.version else { throw ControlStoreError.conflict(expected: old.version, found: current.version) }
        // The event records the change itself, whatever the caller filled in.
        var event = event
        (event.fromPhase, event.toPhase) = (old.phase, new.phase)
        (event.fromRollout, event.toRollout, event.version) = (old.rollout, new.rollout, new.version)
        try Self.insert(event, db)
        try db.execute(sql: """
            UPDATE state SET phase = ?, rollout = ?, version = ?, phase_since = ?, changed_at = ?, changed_by = ?
            WHERE id = 1 AND version = ?
            """, arguments: [new.phase, new.rollout.basisPoints, new.version, Timestamp.string(new.phaseSince),
                             Timestamp.string(new.changedAt), new.changedBy, old.version])
        guard db.changesCount == 1 else {
            throw ControlStoreError.conflict(expected: old.version, found: try fetchState(db).version)
        }
    }

    public func append(_ event: AuditEvent) throws(ControlStoreError) {
        try write { db in try Self.insert(event, db) }
    }

    public func auditLog(limit: Int) throws(ControlStoreError) -> [AuditEvent] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY id DESC LIMIT ?", arguments: [max(0, limit)])
            return decodeEach(rows, table: "audit", key: { StoredRow.keyText($0, "id") }) { row throws(RowProblem) in try row.auditEvent() }
        }
    }

    public func auditLog(after id: Int64, limit: Int) throws(ControlStoreError) -> (events: [AuditEvent], through: Int64) {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?", arguments: [id, max(0, limit)])
            let events = decodeEach(rows, table: "audit", key: { StoredRow.keyText($0, "id") }) { row throws(RowProblem) in try row.auditEvent() }
            return (events, rows.last.flatMap { $0["id"] as Int64? } ?? id)
        }
    }

    public func add(counts: [String: Int64], second: Int64) throws(ControlStoreError) {
        for (name, value) in counts {
            guard Names.isValidMetricName(name) else { throw .invalidName(name) }
            guard value >= 0 else { throw .invalidValue("a counter only grows; \(value) is below zero") }
        }
        try write { db in try Self.addCounts(counts, second: second, db) }
    }

    private static func addCounts(_ counts: [String: Int64], second: Int64, _ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO counters (name, second, value) VALUES (?, ?, ?)
            ON CONFLICT (name, second) DO UPDATE SET value =
              CASE WHEN value > \(Schema.counterMax) - excluded.value THEN \(Schema.counterMax) ELSE value + excluded.value END
            """)
        for (name, value) in counts where value > 0 {
            try statement.execute(arguments: [name, second, value])
        }
    }

    public func setGauge(_ name: String, to value: Double, at date: Date) throws(ControlStoreError) {
        guard Names.isValidMetricName(name) else { throw .invalidName(name) }
        guard value.isFinite else { throw .invalidValue("a gauge holds a finite number, not \(value)") }
        try write { db in
            try db.execute(sql: """
                INSERT INTO gauges (name, value, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """, arguments: [name, value, Timestamp.string(date)])
        }
    }

    public func counterTotals() throws(ControlStoreError) -> [String: Int64] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT name, value FROM counter_totals")
            let totals = decodeEach(rows, table: "counter_totals", key: { StoredRow.keyText($0, "name") }) { row throws(RowProblem) in
                (try row.text("name"), max(0, try row.int64("value")))
            }
            return Dictionary(totals, uniquingKeysWith: { a, _ in a })
        }
    }

    public func gauges() throws(ControlStoreError) -> [Gauge] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT name, value, updated_at FROM gauges ORDER BY name")
            return decodeEach(rows, table: "gauges", key: { StoredRow.keyText($0, "name") }) { row throws(RowProblem) in try row.gauge() }
        }
    }

    public func counterSeries(_ names: [String], from: Int64, to: Int64, slots: Int) throws(ControlStoreError) -> CounterSeries {
        let layout = CounterSeries.Layout(from: from, to: to, slots: slots)
        let (slots, step, start) = (layout.slots, layout.step, layout.start)
        let (table, column) = layout.usesMinutes ? ("counter_minutes", "minute") : ("counters", "second")
        var values = Dictionary(uniqueKeysWithValues: names.map { ($0, [Int64](repeating: 0, count: slots)) })
        let placeholders = names.map { _ in "?" }.joined(separator: ",")
        guard !names.isEmpty else { return CounterSeries(start: start, slotSeconds: step, values: values) }
        let rows = try read { db in
            try Row.fetchAll(db, sql: """
                SELECT name, (\(column) - ?) / ? AS slot, \(Schema.saturatingSum) AS total FROM \(table)
                WHERE name IN (\(placeholders)) AND \(column) >= ? AND \(column) < ?
                GROUP BY name, slot
                """, arguments: StatementArguments([start, step] + names.map { $0 as any DatabaseValueConvertible } + [start, to]))
        }
        let sums = decodeEach(rows, table: table, key: { StoredRow.keyText($0, "name", "slot") }) { row throws(RowProblem) in
            (name: try row.text("name"), slot: try row.int64("slot"), total: max(0, try row.int64("total")))
        }
        for sum in sums where (0..<Int64(slots)).contains(sum.slot) { values[sum.name]?[Int(sum.slot)] = sum.total }
        return CounterSeries(start: start, slotSeconds: step, values: values)
    }

    public func counterSums(_ windows: [CounterWindow], now: Date) throws(ControlStoreError) -> [CounterWindow: Int64] {
        let end = Int64(now.timeIntervalSince1970)
        return try read { db in
            var sums: [CounterWindow: Int64] = [:]
            for window in windows {
                // Whole minutes come from the roll-up; the ragged edges from the per-second rows.
                let start = end - window.seconds + 1
                let firstMinute = (start + 59) / 60 * 60
                let lastMinute = end / 60 * 60
                var total: Int64 = 0
                func add(_ value: Int64?) { total = total.addingReportingOverflow(value ?? 0).overflow ? .max : total + (value ?? 0) }
                if firstMinute < lastMinute {
                    add(try Int64.fetchOne(db, sql: "SELECT \(Schema.saturatingSum) FROM counter_minutes WHERE name = ? AND minute >= ? AND minute < ?",
                                           arguments: [window.name, firstMinute, lastMinute]))
                    add(try Int64.fetchOne(db, sql: "SELECT \(Schema.saturatingSum) FROM counters WHERE name = ? AND second >= ? AND second < ?",
                                           arguments: [window.name, start, firstMinute]))
                    add(try Int64.fetchOne(db, sql: "SELECT \(Schema.saturatingSum) FROM counters WHERE name = ? AND second >= ? AND second <= ?",
                                           arguments: [window.name, lastMinute, end]))
                } else {
                    add(try Int64.fetchOne(db, sql: "SELECT \(Schema.saturatingSum) FROM counters WHERE name = ? AND second >= ? AND second <= ?",
                                           arguments: [window.name, start, end]))
                }
                sums[window] = total
            }
            return sums
        }
    }

    public func checklist(phase: String) throws(ControlStoreError) -> [ChecklistItem] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT i.item, i.text, t.ticked_by, t.ticked_at FROM checklist_items i
                LEFT JOIN checklist_ticks t ON t.phase = i.phase AND t.item = i.item
                WHERE i.phase = ? ORDER BY i.item
                """, arguments: [phase])
            return decodeEach(rows, table: "checklist_items", key: { "\(phase)/" + StoredRow.keyText($0, "item") }) { row throws(RowProblem) in try row.checklistItem() }
        }
    }

    public func setTick(phase: String, item number: Int, ticked: Bool, by signer: Operator, at date: Date) throws(ControlStoreError) {
        try write { db in
            guard let text = try String.fetchOne(db, sql: "SELECT text FROM checklist_items WHERE phase = ? AND item = ?",
                                                 arguments: [phase, number]) else {
                throw ControlStoreError.noSuchChecklistItem(phase: phase, item: number)
            }
            if ticked {
                try db.execute(sql: """
                    INSERT INTO checklist_ticks (phase, item, text, ticked_by, ticked_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (phase, item) DO NOTHING
                    """, arguments: [phase, number, text, signer.name, Timestamp.string(date)])
            } else {
                try db.execute(sql: "DELETE FROM checklist_ticks WHERE phase = ? AND item = ?", arguments: [phase, number])
            }
            guard db.changesCount > 0 else { return }
            try Self.insert(AuditEvent(at: date, actor: signer.name, host: signer.host,
                                       action: (ticked ? AuditAction.tick : .untick).rawValue, toPhase: phase,
                                       reason: "#\(number) \(text)"), db)
        }
    }

    public func approve(phase: String, by signer: Operator, at date: Date, reason: String?) throws(ControlStoreError) {
        try write { db in
            try db.execute(sql: "INSERT INTO approvals (phase, actor, host, at, reason) VALUES (?, ?, ?, ?, ?)",
                           arguments: [phase, signer.name, signer.host, Timestamp.string(date), reason])
            try Self.insert(AuditEvent(at: date, actor: signer.name, host: signer.host, action: AuditAction.approve.rawValue,
                                       toPhase: phase, reason: reason), db)
        }
    }

    public func approvals(phase: String) throws(ControlStoreError) -> [Approval] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM approvals WHERE phase = ? ORDER BY id DESC", arguments: [phase])
            return decodeEach(rows, table: "approvals", key: { StoredRow.keyText($0, "id") }) { row throws(RowProblem) in try row.approval() }
        }
    }

    public func instances() throws(ControlStoreError) -> [FleetInstance] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM instances ORDER BY host, pid")
            return decodeEach(rows, table: "instances", key: { StoredRow.keyText($0, "id") }) { row throws(RowProblem) in try row.fleetInstance() }
        }
    }

    public func flush(counts: [String: Int64], second: Int64, heartbeat: FleetInstance?) throws(ControlStoreError) {
        for (name, value) in counts {
            guard Names.isValidMetricName(name) else { throw .invalidName(name) }
            guard value >= 0 else { throw .invalidValue("a counter only grows; \(value) is below zero") }
        }
        try write { db in
            try Self.addCounts(counts, second: second, db)
            if let instance = heartbeat {
                try db.execute(sql: """
                    INSERT INTO instances (id, host, pid, serving_version, heartbeat_at, started_at, stale) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET serving_version = excluded.serving_version, heartbeat_at = excluded.heartbeat_at,
                                                   stale = excluded.stale
                    """, arguments: [instance.id, instance.host, instance.pid, instance.servingVersion,
                                     Timestamp.string(instance.heartbeatAt), Timestamp.string(instance.startedAt), instance.stale])
            }
        }
    }

    public func removeInstance(id: String) throws(ControlStoreError) {
        try write { db in try db.execute(sql: "DELETE FROM instances WHERE id = ?", arguments: [id]) }
    }

    public func forgetInstance(id: String, event: AuditEvent) throws(ControlStoreError) -> Bool {
        var removed = false
        try write { db in
            try db.execute(sql: "DELETE FROM instances WHERE id = ?", arguments: [id])
            removed = db.changesCount > 0
            if removed { try Self.insert(event, db) }
        }
        return removed
    }

    public func jobControl(_ job: Job) throws(ControlStoreError) -> JobControl {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM job_control WHERE job = ?", arguments: [job.rawValue])
            guard !rows.isEmpty else { return .standard }
            let decoded = decodeEach(rows, table: "job_control", key: { StoredRow.keyText($0, "job") }) { row throws(RowProblem) in
                try row.jobControl()
            }
            return decoded.first ?? JobControl(paused: true, rate: 0, batch: JobControl.standard.batch)
        }
    }

    public func changeJobControl(_ job: Job, _ change: JobControlChange, event: AuditEvent) throws(ControlStoreError) {
        let first = change.applied(to: .standard)   // the row a first change creates
        try write { db in
            try Self.insert(event, db)
            try db.execute(sql: """
                INSERT INTO job_control (job, paused, rate, batch, changed_at, changed_by) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (job) DO UPDATE SET \(change.column) = excluded.\(change.column),
                                                changed_at = excluded.changed_at, changed_by = excluded.changed_by
                """, arguments: [job.rawValue, first.paused ? 1 : 0, first.rate, first.batch, Timestamp.string(event.at), event.actor])
        }
    }

    public func jobProgress(_ job: Job) throws(ControlStoreError) -> JobProgress? {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM job_progress WHERE job = ?", arguments: [job.rawValue])
            return decodeEach(rows, table: "job_progress", key: { StoredRow.keyText($0, "job") }) { row throws(RowProblem) in
                try row.jobProgress()
            }.first
        }
    }

    public func saveJobProgress(_ job: Job, _ progress: JobProgress, mismatches: [VerifyMismatch]) throws(ControlStoreError) {
        try write { db in
            for mismatch in mismatches {
                try db.execute(sql: """
                    INSERT INTO verify_mismatches (run_started_at, key, old_digest, new_digest, found_at) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [Timestamp.string(mismatch.runStartedAt), mismatch.key, mismatch.oldDigest, mismatch.newDigest,
                                     Timestamp.string(mismatch.foundAt)])
            }
            try db.execute(sql: """
                INSERT INTO job_progress (job, cursor, done, total, started_at, updated_at, finished_at, instance, throttled,
                                          since_phase, phase_entered_at, mismatches)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (job) DO UPDATE SET cursor = excluded.cursor, done = excluded.done, total = excluded.total,
                  started_at = excluded.started_at, updated_at = excluded.updated_at, finished_at = excluded.finished_at,
                  instance = excluded.instance, throttled = excluded.throttled, since_phase = excluded.since_phase,
                  phase_entered_at = excluded.phase_entered_at, mismatches = excluded.mismatches
                """, arguments: [job.rawValue, progress.cursor, progress.done, progress.total, Timestamp.string(progress.startedAt),
                                 Timestamp.string(Date()), progress.finishedAt.map(Timestamp.string), progress.instance,
                                 progress.throttled, progress.sincePhase, progress.phaseEnteredAt.map(Timestamp.string),
                                 progress.mismatches])
        }
    }

    public func verifyMismatches(runStartedAt: Date, limit: Int) throws(ControlStoreError) -> [VerifyMismatch] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM verify_mismatches WHERE run_started_at = ? ORDER BY id LIMIT ?",
                                        arguments: [Timestamp.string(runStartedAt), max(0, limit)])
            return decodeEach(rows, table: "verify_mismatches", key: { StoredRow.keyText($0, "id") }) { row throws(RowProblem) in
                try row.verifyMismatch()
            }
        }
    }

    public func changeToken() throws(ControlStoreError) -> Int64 {
        do {
            // data_version moves with other connections' commits, total_changes with this one's:
            // both only grow, so their sum changes whenever anything was written.
            return try queue.inDatabase { db in try (Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0) + Int64(db.totalChangesCount) }
        } catch {
            throw Self.storeError(error, path: location)
        }
    }

    // MARK: - Plumbing

    func read<T>(_ body: (Database) throws -> T) throws(ControlStoreError) -> T {
        try retryingWhileBusy { try queue.read(body) }
    }

    /// Runs `body` in an IMMEDIATE transaction, so a read-then-write inside it cannot be
    /// overtaken by another writer.
    ///
    /// SQLite's busy handler sleeps longer and longer between tries, and unfairly: a process
    /// that writes in a tight loop can starve an operator's change for seconds. So each try
    /// waits at most ``busySlice`` inside SQLite, and between tries this sleeps a short random
    /// time, until ``lockWait`` has passed; then it says which process holds the lock.
    func write(_ body: (Database) throws -> Void) throws(ControlStoreError) {
        try retryingWhileBusy {
            try queue.inTransaction(.immediate) { db in
                try body(db)
                return .commit
            }
        }
    }

    /// Runs `work` again while the database is locked, for at most ``lockWait``.
    func retryingWhileBusy<T>(_ work: () throws -> T) throws(ControlStoreError) -> T {
        let deadline = ContinuousClock.now + lockWait
        var attempt = 0
        while true {
            do {
                return try work()
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                guard ContinuousClock.now < deadline else {
                    let holder = LockHolder.describe(databasePath: location).map { "; \($0) holds it" } ?? ""
                    throw .io(path: location, message: "the database stayed locked by another process for \(lockWait)\(holder); try again")
                }
                attempt += 1
                usleep(useconds_t.random(in: 500...(2_000 * useconds_t(min(attempt, 10)))))
            } catch {
                throw Self.storeError(error, path: location)
            }
        }
    }

    public func takeRowProblems() -> [RowProblem] { rowProblems.take() }

    func fetchState(_ db: Database) throws -> MigrationState {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM state WHERE id = 1") else {
            throw ControlStoreError.io(path: location, message: "the state row is missing; restore the file from a backup")
        }
        return try decodeOne(row, table: "state", key: "1") { row throws(RowProblem) in try row.migrationState() }
    }

    /// How long one try waits inside SQLite's busy handler (see ``write(_:)``).
    static let busySlice: TimeInterval = 0.05

    static func configuration() -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(busySlice)
        config.foreignKeysEnabled = true
        config.label = "migctl"
        return config
    }

    private static func insertInitialRows(
        _ db: Database, name: String, plan: Plan, runbooks: [String: String], checklists: [String: [String]],
        by signer: Operator, at date: Date
    ) throws {
        let now = Timestamp.string(date)
        for (position, phase) in plan.phases.enumerated() {
            try db.execute(sql: """
                INSERT INTO phases (position, id, title, reads, writes, irreversible, ramp, runbook_path, runbook, gates, automation)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [position + 1, phase.id, phase.title, phase.reads.rawValue,
                                 phase.writes.map(\.rawValue).joined(separator: ","), phase.irreversible, phase.ramp,
                                 phase.runbook, runbooks[phase.id], String(decoding: try JSONEncoder().encode(phase.gates), as: UTF8.self),
                                 phase.automation.storedText])
            for (i, text) in (checklists[phase.id] ?? []).enumerated() {
                try db.execute(sql: "INSERT INTO checklist_items (phase, item, text) VALUES (?, ?, ?)", arguments: [phase.id, i + 1, text])
            }
        }
        // The migration row comes last of the plan, carrying the hash of everything above it.
        try db.execute(sql: "INSERT INTO migration (id, name, created_at, created_by, plan_hash) VALUES (1, ?, ?, ?, ?)",
                       arguments: [name, now, signer.name, try planHash(db, migration: [name, now, signer.name])])
        let first = plan.first
        let rollout = Rollout.full
        try db.execute(sql: """
            INSERT INTO state (id, phase, rollout, version, phase_since, changed_at, changed_by)
            VALUES (1, ?, ?, 1, ?, ?, ?)
            """, arguments: [first.id, rollout.basisPoints, now, now, signer.name])
        try insert(AuditEvent(at: date, actor: signer.name, host: signer.host, action: AuditAction.initialize.rawValue,
                              toPhase: first.id, toRollout: rollout, version: 1,
                              reason: "created migration '\(name)' with \(plan.phases.count) phases"), db)
    }

    /// Refuses, without opening it, a path that is missing, a directory, unreadable or empty.
    private static func checkIsSQLiteFile(_ path: String) throws(ControlStoreError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .missing(path: path) }
        guard !isDirectory.boolValue else { throw .io(path: path, message: "it is a directory, not a file") }
        // Never open the file itself: closing any descriptor of it drops the POSIX locks every SQLite
        // connection of this process holds on it (sqlite.org/howtocorrupt.html, 2.2), which corrupts
        // it under a running client that opens a second connection. SQLite refuses a non-SQLite file.
        guard access(path, R_OK) == 0 else { throw .io(path: path, message: "it cannot be read (check its permissions)") }
        if FileMark(path: path)?.size == 0 { throw .notAControlDatabase(path: path) }
    }

    static func storeError(_ error: any Error, path: String) -> ControlStoreError {
        if let error = error as? ControlStoreError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_NOTADB: return .notSQLite(path: path)
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return .io(path: path, message: "the database stayed locked by another process for too long; try again")
            case .SQLITE_READONLY:
                return .io(path: path, message: "it is read-only for this user (check its permissions and its folder's)")
            case .SQLITE_CANTOPEN:
                return .io(path: path, message: "it cannot be opened (check its permissions and its folder's)")
            default:
                return .io(path: path, message: error.message ?? "SQLite error \(error.resultCode.rawValue)")
            }
        }
        return .io(path: path, message: "\(error)")
    }
}
