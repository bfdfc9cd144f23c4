import Foundation
import MigrationCore
import Synchronization

/// A control store that forwards to a real one, with hooks to slow it down or make it fail
/// the way a busy, damaged or hostile database would.
final class FaultyStore: ControlStore {
    let inner: any ControlStore
    /// Runs after `state()` has read the state and before it returns it (a slow return, a preempted thread).
    let afterStateRead = Mutex<(@Sendable () -> Void)?>(nil)
    /// Runs before each `flush`; throw to make it fail.
    let beforeFlush = Mutex<(@Sendable ([String: Int64]) throws(ControlStoreError) -> Void)?>(nil)
    /// Replaces the state read from the inner store.
    let stateOverride = Mutex<(@Sendable (MigrationState) -> MigrationState)?>(nil)

    init(_ inner: any ControlStore) { self.inner = inner }

    var location: String { inner.location }
    func migration() throws(ControlStoreError) -> MigrationInfo { try inner.migration() }
    func plan() throws(ControlStoreError) -> Plan { try inner.plan() }
    func runbook(phase: String) throws(ControlStoreError) -> String? { try inner.runbook(phase: phase) }
    func state() throws(ControlStoreError) -> MigrationState {
        var state = try inner.state()
        if let override = stateOverride.withLock({ $0 }) { state = override(state) }
        afterStateRead.withLock { $0 }?()
        return state
    }
    func commit(_ new: MigrationState, replacing old: MigrationState, event: AuditEvent) throws(ControlStoreError) {
        try inner.commit(new, replacing: old, event: event)
    }
    func append(_ event: AuditEvent) throws(ControlStoreError) { try inner.append(event) }
    func auditLog(limit: Int) throws(ControlStoreError) -> [AuditEvent] { try inner.auditLog(limit: limit) }
    func add(counts: [String: Int64], second: Int64) throws(ControlStoreError) {
        try beforeFlush.withLock { $0 }?(counts)
        try inner.add(counts: counts, second: second)
    }
    func setGauge(_ name: String, to value: Double, at date: Date) throws(ControlStoreError) { try inner.setGauge(name, to: value, at: date) }
    func counterTotals() throws(ControlStoreError) -> [String: Int64] { try inner.counterTotals() }
    func gauges() throws(ControlStoreError) -> [Gauge] { try inner.gauges() }
    func counterSeries(_ names: [String], from: Int64, to: Int64, slots: Int) throws(ControlStoreError) -> CounterSeries {
        try inner.counterSeries(names, from: from, to: to, slots: slots)
    }
    func counterSums(_ windows: [CounterWindow], now: Date) throws(ControlStoreError) -> [CounterWindow: Int64] {
        try inner.counterSums(windows, now: now)
    }
    func checklist(phase: String) throws(ControlStoreError) -> [ChecklistItem] { try inner.checklist(phase: phase) }
    func setTick(phase: String, item number: Int, ticked: Bool, by signer: Operator, at date: Date) throws(ControlStoreError) {
        try inner.setTick(phase: phase, item: number, ticked: ticked, by: signer, at: date)
    }
    func approve(phase: String, by signer: Operator, at date: Date, reason: String?) throws(ControlStoreError) {
        try inner.approve(phase: phase, by: signer, at: date, reason: reason)
    }
    func approvals(phase: String) throws(ControlStoreError) -> [Approval] { try inner.approvals(phase: phase) }
    func instances() throws(ControlStoreError) -> [FleetInstance] { try inner.instances() }
    func flush(counts: [String: Int64], second: Int64, heartbeat: FleetInstance?) throws(ControlStoreError) {
        try beforeFlush.withLock { $0 }?(counts)
        try inner.flush(counts: counts, second: second, heartbeat: heartbeat)
    }
    func removeInstance(id: String) throws(ControlStoreError) { try inner.removeInstance(id: id) }
    func changeToken() throws(ControlStoreError) -> Int64 { try inner.changeToken() }
}
