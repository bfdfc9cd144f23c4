import Foundation
import GRDB
import MigrationCore
import Runbook

/// A control database in a temporary folder, in `read-new` at 50%, for the benchmarks.
struct BenchFixture {
    let folder: String
    let path: String
    let store: SQLiteControlStore
    let control: MigrationControl

    init(name: String, plan: Plan = Self.plan) throws {
        folder = FileManager.default.temporaryDirectory.appending(path: "migctl-bench-\(name)-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = folder + "/migctl.db"
        store = try SQLiteControlStore.create(at: path, name: "bench", plan: plan, runbooks: Plan.defaultRunbooks,
                                              by: Operator(name: "bench", host: "bench"), at: Date())
        control = MigrationControl(store: store, signer: Operator(name: "bench", host: "bench"))
        try control.perform(.advance(rollout: .full))
        try control.perform(.advance(rollout: try Rollout(percent: "50")))
    }

    /// The default plan without gates: the figures change the state freely.
    static let plan = Plan(phases: Plan.default.phases.map { var phase = $0; phase.gates = []; return phase })

    /// The default plan with only `cleanup`'s gates, for figures that run in `backfill`: a
    /// console there evaluates what `cleanup` asks (the backfill's gauge, a full verification)
    /// as it would in a real migration, and nothing blocks the way to `backfill`.
    static let backfillPlan = Plan(phases: Plan.default.phases.map { var phase = $0; if phase.id != "cleanup" { phase.gates = [] }; return phase })

    /// Moves on, phase by phase at 100% (confirming irreversible ones), until `phase`.
    func move(to phase: String) throws {
        let plan = try store.plan()
        while try store.state().phase != phase {
            if try store.state().rollout != .full { try control.perform(.setRollout(.full)) }
            guard let next = plan.next(after: try store.state().phase) else { throw BenchError("the plan has no phase '\(phase)'") }
            try control.perform(.advance(), authority: AdvanceAuthority(confirmation: next.id))
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    /// `days` of per-second data for `names`, written straight into the contract's table (the
    /// roll-up triggers run as they would for any writer).
    func fillCounters(names: [String], days: Int, end: Int64) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            let insert = try db.makeStatement(sql: "INSERT INTO counters (name, second, value) VALUES (?, ?, ?)")
            for second in (end - Int64(days) * 86_400)..<end {
                for (i, name) in names.enumerated() {
                    try insert.execute(arguments: [name, second, Int64(10 + (second + Int64(i)) % 7)])
                }
            }
        }
    }
}
