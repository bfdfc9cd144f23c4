import Foundation
import MigrationCore

extension RunbookDocument {
    /// Each phase's checklist items, parsed from its runbook text: the one derivation of
    /// what the checklist gates count.
    public static func checklists(of runbooks: [String: String]) -> [String: [String]] {
        runbooks.mapValues { RunbookDocument(markdown: $0).checklist }
    }
}

extension SQLiteControlStore {
    /// Creates a new control database at `path`, at the plan's first phase, with each
    /// phase's runbook and the checklist parsed from it.
    ///
    /// ```swift
    /// let store = try SQLiteControlStore.create(at: "migctl.db", name: "users-v2", plan: .default,
    ///                                           runbooks: Plan.defaultRunbooks, by: .current(), at: Date())
    /// ```
    /// - Throws: ``ControlStoreError/alreadyExists(path:)`` if anything is at `path`.
    public static func create(
        at path: String, name: String, plan: Plan, runbooks: [String: String], by signer: Operator, at date: Date
    ) throws(ControlStoreError) -> SQLiteControlStore {
        try create(at: path, name: name, plan: plan, runbooks: runbooks, checklists: RunbookDocument.checklists(of: runbooks),
                   by: signer, at: date)
    }
}
