// Fuzz target: any value a foreign writer (or an attacker who dropped the schema's rules) stores
// in any column of a control database is read
// by every reader and drawn by the console without a crash. Built normally it replays the files
// given as arguments; see scripts/fuzz.
import Console
import Foundation
import FuzzDriver
import GRDB
import MigrationCore
import Runbook

/// The tables and columns a foreign writer can touch, and whether the table is a list of rows.
let tables: [(name: String, columns: [String], list: Bool)] = [
    ("migration", ["name", "created_at", "created_by"], false),
    ("state", ["phase", "rollout", "version", "phase_since", "changed_at", "changed_by"], false),
    ("phases", ["title", "reads", "writes", "irreversible", "ramp", "runbook_path", "runbook", "gates"], false),
    ("gauges", ["name", "value", "updated_at"], true),
    ("instances", ["id", "host", "pid", "serving_version", "heartbeat_at", "started_at"], true),
    ("approvals", ["phase", "actor", "host", "at", "reason"], true),
    ("checklist_items", ["phase", "item", "text"], true),
    ("checklist_ticks", ["phase", "item", "text", "ticked_by", "ticked_at"], true),
    ("counters", ["name", "second", "value"], true),
    ("counter_totals", ["name", "value"], true),
    ("audit", ["at", "actor", "host", "action", "from_phase", "to_phase", "from_rollout", "to_rollout", "version", "reason", "details"], true),
]

let folder = FileManager.default.temporaryDirectory.appending(path: "migctl-fuzz-\(getpid())").path
let template = folder + "/template.db"
try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
if !FileManager.default.fileExists(atPath: template) {
    let store = try! SQLiteControlStore.create(at: template, name: "fuzz", plan: .default, runbooks: Plan.defaultRunbooks,
                                               by: Operator(name: "fuzz", host: "h"), at: Date())
    try! store.add(counts: ["hit": 5, "miss": 2], second: Int64(Date().timeIntervalSince1970))
    // Write as an attacker with the file would: without the rules schema 2 defends itself with
    // (every trigger but the counter roll-ups), so any value of any type can land in any column.
    let raw = try! DatabaseQueue(path: template)
    try! raw.write { db in
        let rules = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name NOT LIKE 'counters_roll_up%'")
        for rule in rules { try db.execute(sql: "DROP TRIGGER \"\(rule)\"") }
    }
    try! raw.close()
}

/// Reads the fuzz input as a list of writes: table, column, and a value of any SQLite type.
struct Writes {
    var bytes: [UInt8]
    var at = 0

    mutating func byte() -> UInt8? {
        guard at < bytes.count else { return nil }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func value() -> (any DatabaseValueConvertible)? {
        guard let kind = byte() else { return nil }
        switch kind % 6 {
        case 0: return nil
        case 1:
            var raw: UInt64 = 0
            for _ in 0..<8 { raw = raw << 8 | UInt64(byte() ?? 0) }
            return Int64(bitPattern: raw)
        case 2:
            var raw: UInt64 = 0
            for _ in 0..<8 { raw = raw << 8 | UInt64(byte() ?? 0) }
            return Double(bitPattern: raw)
        case 3, 4:
            let length = Int(byte() ?? 0) % 48
            var text: [UInt8] = []
            for _ in 0..<length { text.append(byte() ?? 0) }
            return String(decoding: text, as: UTF8.self)
        default:
            let length = Int(byte() ?? 0) % 16
            return Data((0..<length).map { _ in byte() ?? 0 })
        }
    }
}

func fuzzOne(_ input: UnsafeBufferPointer<UInt8>) {
    let path = folder + "/case.db"
    for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    try! FileManager.default.copyItem(atPath: template, toPath: path)
    do {
        var config = Configuration()
        config.foreignKeysEnabled = false
        let raw = try DatabaseQueue(path: path, configuration: config)
        var writes = Writes(bytes: Array(input))
        try raw.write { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            while let choice = writes.byte() {
                let table = tables[Int(choice) % tables.count]
                if table.list {
                    let values = table.columns.map { _ in writes.value() }
                    let marks = table.columns.map { _ in "?" }.joined(separator: ",")
                    try? db.execute(sql: "INSERT INTO \(table.name) (\(table.columns.joined(separator: ","))) VALUES (\(marks))",
                                    arguments: StatementArguments(values))
                } else {
                    let column = table.columns[Int(writes.byte() ?? 0) % table.columns.count]
                    try? db.execute(sql: "UPDATE \(table.name) SET \(column) = ?", arguments: [writes.value()])
                }
            }
        }
        try raw.close()
    } catch {
        return
    }
    guard let store = try? SQLiteControlStore(path: path) else { return }
    let now = Date()
    _ = try? store.migration()
    _ = try? store.plan()
    _ = try? store.state()
    _ = try? store.auditLog(limit: 100)
    _ = try? store.counterTotals()
    _ = try? store.gauges()
    _ = try? store.instances()
    _ = try? store.counterSeries(["hit", "miss", "backfill"], from: Int64(now.timeIntervalSince1970) - 3600,
                                 to: Int64(now.timeIntervalSince1970), slots: 60)
    if let plan = try? store.plan() {
        for phase in plan.phases {
            _ = try? store.checklist(phase: phase.id)
            _ = try? store.approvals(phase: phase.id)
            _ = try? store.runbook(phase: phase.id).map { RunbookDocument(markdown: $0) }
        }
    }
    let control = MigrationControl(store: store, signer: Operator(name: "fuzz", host: "h"))
    _ = try? control.checkNext()
    for window in [ChartWindow.hour, .day] {
        guard let data = try? ConsoleData.load(from: store, window: window, slots: 60, actor: "fuzz", now: now) else { continue }
        for view in [ConsoleState.View.dashboard, .log, .runbook] {
            var state = ConsoleState()
            state.view = view
            var screen = Screen(width: 80, height: 24)
            ConsoleView.render(data: data, state: state, operatorName: "fuzz", context: RenderContext(), into: &screen)
        }
    }
    _ = store.takeRowProblems()
}

runFuzzTarget(fuzzOne)
