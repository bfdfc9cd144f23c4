import ArgumentParser
import Foundation
import MigrationCore

/// `--dry-run` and `--run-commands`, for every command that changes something
/// (`advance`, `rollback`, `rollout`, `approve`, `checklist`).
///
/// A dry run checks everything the real command checks, prints what it would change and the
/// gates it touches with their figures, writes nothing, and exits with the code the real
/// command would return. Command and prometheus gates run only with `--run-commands`; left
/// unrun they are unknown, so they block as an unknown does.
///
/// ```sh
/// migctl advance --dry-run --confirm new-primary      # exit 3: the gates, and which fail
/// migctl advance --dry-run --run-commands --confirm new-primary
/// ```
struct DryRunOptions: ParsableArguments {
    @Flag(name: .long, help: ArgumentHelp(
        "Check everything and print what would change, with the gates and their figures; write nothing.",
        discussion: "Exits with the code the real command would return. Command and prometheus gates are left unrun (unknown, so they block) unless --run-commands."))
    var dryRun = false

    @Flag(name: .long, help: "With --dry-run: run the plan's command gates and query its prometheus gates too.")
    var runCommands = false

    func validate() throws {
        if runCommands, !dryRun {
            throw ValidationError("--run-commands goes with --dry-run only; a real change runs its command gates anyway.")
        }
    }
}

// MARK: - advance, rollback, rollout

/// Checks `request` as the real command does and prints the change and its gates; writes
/// nothing.
///
/// An advance shows the gates of the phase it enters; a rollback or a rollout shows the gates
/// of the phase after the one it leaves the migration in, evaluated against the state it
/// would make (what `migctl check` would show right after it).
///
/// - Throws: what the real command would throw, after printing what was found (the gates of
///   a refused advance included).
func rehearse(
    _ request: PhaseRequest, with control: MigrationControl, change: ChangeOptions, authority: AdvanceAuthority,
    runCommands: Bool, json: Bool
) throws {
    let store = control.store
    let plan = try store.plan()
    let before = try store.state()
    var authority = authority
    authority.runCommands = runCommands
    // The gates of the phase an advance enters, evaluated first so that they are shown whatever
    // stops it (a wrong confirmation too); the advance reuses their command outcomes, so no
    // gate program runs twice. Nothing is evaluated for an advance the plan or the version
    // refuses before its gates, as the real one runs none.
    var entering: GateReport?
    if case .advance = request, change.expectVersion.map({ $0 == before.version }) ?? true,
       let after = try? PhaseMachine.apply(request, to: before, in: plan, at: store.now(), by: control.signer.name),
       let target = plan.phase(after.phase) {
        entering = try store.checkGates(into: target, from: before, actor: control.signer.name, now: store.now(),
                                        checks: control.checks, runCommands: runCommands)
        authority.checked = entering
    }
    let result: StateChange
    do {
        result = try control.perform(request, expectVersion: change.expectVersion, reason: change.reason, authority: authority,
                                     dryRun: true)
    } catch {
        var gates = entering
        if case .gatesFailed(let report, _) = error { gates = report }
        let report = DryRunChange(request: request, before: before, after: nil, gates: gates, error: error.description)
        try report.print(json: json, plan: plan, runCommands: runCommands)
        throw error
    }
    var gates = result.gates
    if gates == nil, let next = plan.next(after: result.after.phase) {
        gates = try store.checkGates(into: next, from: result.after, actor: control.signer.name, now: store.now(),
                                     checks: control.checks, runCommands: runCommands)
    }
    let report = DryRunChange(request: request, before: result.before, after: result.after, gates: gates, error: nil)
    try report.print(json: json, plan: plan, runCommands: runCommands)
}

/// What a dry run of `advance`, `rollback` or `rollout` found, as text or `--json`.
struct DryRunChange: Encodable {
    let request: PhaseRequest
    let before: MigrationState
    /// The state the command would write; nil when it would be refused.
    let after: MigrationState?
    /// The gates of the phase an advance enters, or of the phase after a rollback's or
    /// rollout's result.
    let gates: GateReport?
    /// The sentence the real command would fail with.
    let error: String?

    enum CodingKeys: String, CodingKey {
        case dryRun, action, allowed, changed, before, after, gates, error
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(true, forKey: .dryRun)
        try container.encode(request.action.rawValue, forKey: .action)
        try container.encode(error == nil, forKey: .allowed)
        try container.encode(after.map { $0 != before } ?? false, forKey: .changed)
        try container.encode(before, forKey: .before)
        try container.encode(after, forKey: .after)
        try container.encode(gates, forKey: .gates)
        try container.encode(error, forKey: .error)
    }

    func print(json: Bool, plan: Plan, runCommands: Bool) throws {
        if json { return try JSONOutput.print(self) }
        say("dry run: \(headline(plan: plan)); nothing was written")
        guard let gates else { return }
        let heading: String? = if case .advance = request { nil } else {
            "gates of \(gates.target), as 'migctl check' would show them after this"
        }
        say(GateText.report(gates, heading: heading))
        if !runCommands, gates.results.contains(where: { $0.kind == "command" || $0.kind == "prometheus" }) {
            say("  (command and prometheus gates were not run; add --run-commands to run them)")
        }
    }

    /// `'read-new' → 'new-primary' at 0% (version 8 → 9)`, or what would not be done.
    private func headline(plan: Plan) -> String {
        guard let after else {
            return switch request {
            case .advance: plan.next(after: before.phase).map { "'\(before.phase)' → '\($0.id)' would not be made" }
                ?? "advance from '\(before.phase)' would not be made"
            case .rollback: "rollback from '\(before.phase)' would not be made"
            case .setRollout(let rollout): "rollout of '\(before.phase)' \(before.rollout) → \(rollout) would not be made"
            }
        }
        guard after != before else {
            return "nothing to change: '\(after.phase)' is already at \(after.rollout) (version \(after.version))"
        }
        let what = before.phase == after.phase
            ? "rollout of '\(after.phase)' \(before.rollout) → \(after.rollout)"
            : "'\(before.phase)' → '\(after.phase)' at \(after.rollout)"
        return "\(what) (version \(before.version) → \(after.version))"
    }
}

// MARK: - approve

/// What `approve --dry-run` found: the approval it would record, and the approval gates of
/// the phase as they would read after it for an advance by anyone else.
struct DryRunApproval: Encodable {
    let approval: Approval
    let gates: GateReport

    /// The approval `signer` would record for `phase` now, judged against the store.
    init(phase: Phase, by signer: Operator, reason: String?, store: any ControlStore) throws {
        let now = store.now()
        let state = try store.state()
        approval = Approval(phase: phase.id, actor: signer.name, at: now, reason: reason)
        let approvalGates = phase.gates.filter { if case .approval = $0.kind { true } else { false } }
        // The gate counts approvals from anyone but the one advancing: judge it for an advance
        // by nobody in particular (an empty name is nobody's).
        let inputs = GateInputs(now: now, state: state, target: phase, actor: "",
                                approvals: try store.approvals(phase: phase.id) + [approval])
        gates = GateReport(target: phase.id, irreversible: phase.irreversible,
                           results: GateEvaluation.evaluate(approvalGates, inputs), stateVersion: state.version, checkedAt: now)
    }

    enum CodingKeys: String, CodingKey {
        case dryRun, approval, gates
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(true, forKey: .dryRun)
        try container.encode(approval, forKey: .approval)
        try container.encode(gates, forKey: .gates)
    }

    func print(json: Bool) throws {
        if json { return try JSONOutput.print(self) }
        let why = approval.reason.map { " (\"\($0.terminalSafe)\")" } ?? ""
        say("dry run: would record an approval of '\(approval.phase)' by \(approval.actor)\(why); nothing was written")
        guard !gates.results.isEmpty else {
            say("  (the plan gives \(approval.phase) no approval gate: nothing would read this approval)")
            return
        }
        say(GateText.report(gates, heading: "approval gate of \(approval.phase) after it, for an advance by anyone but \(approval.actor)"))
    }
}

// MARK: - checklist

/// What `checklist --dry-run` found: the items it would tick and untick, and the checklist
/// as it would read after.
struct DryRunChecklist: Encodable {
    let phase: String
    /// The items that would change (an item already in the asked state is left out).
    let tick: [Int]
    let untick: [Int]
    /// Items asked for that are already as asked.
    let unchanged: [Int]
    let items: [ChecklistItem]

    /// Every item is ticked (a phase without a checklist is never complete: its gate is unknown).
    var complete: Bool { !items.isEmpty && items.allSatisfy(\.isTicked) }

    /// - Throws: ``ControlStoreError/noSuchChecklistItem(phase:item:)`` for the first number
    ///   the real command would fail on.
    init(phase: String, tick: [Int], untick: [Int], by signer: Operator, store: any ControlStore) throws {
        let now = store.now()
        var items = try store.checklist(phase: phase)
        // The real command ticks, then unticks, in the order given, and stops at the first
        // number the phase lacks.
        for number in tick + untick where !items.contains(where: { $0.number == number }) {
            throw ControlStoreError.noSuchChecklistItem(phase: phase, item: number)
        }
        var changedTicks: [Int] = [], changedUnticks: [Int] = [], unchanged: [Int] = []
        for index in items.indices {
            let number = items[index].number
            if tick.contains(number) {
                if items[index].isTicked { unchanged.append(number); continue }
                items[index].tickedBy = signer.name
                items[index].tickedAt = now
                changedTicks.append(number)
            } else if untick.contains(number) {
                if !items[index].isTicked { unchanged.append(number); continue }
                items[index].tickedBy = nil
                items[index].tickedAt = nil
                changedUnticks.append(number)
            }
        }
        self.phase = phase
        self.tick = changedTicks
        self.untick = changedUnticks
        self.unchanged = unchanged
        self.items = items
    }

    enum CodingKeys: String, CodingKey {
        case dryRun, phase, tick, untick, unchanged, complete, items
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(true, forKey: .dryRun)
        try container.encode(phase, forKey: .phase)
        try container.encode(tick, forKey: .tick)
        try container.encode(untick, forKey: .untick)
        try container.encode(unchanged, forKey: .unchanged)
        try container.encode(complete, forKey: .complete)
        try container.encode(items, forKey: .items)
    }

    func print(json: Bool) throws {
        if json { return try JSONOutput.print(self) }
        func numbers(_ list: [Int]) -> String { list.map { "#\($0)" }.joined(separator: ", ") }
        var actions: [String] = []
        if !tick.isEmpty { actions.append("tick \(numbers(tick))") }
        if !untick.isEmpty { actions.append("untick \(numbers(untick))") }
        let what = actions.isEmpty ? "nothing to tick or untick" : "would \(actions.joined(separator: " and "))"
        let already = unchanged.isEmpty ? "" : " (\(numbers(unchanged)) already as asked)"
        say("dry run: \(what) on the checklist of '\(phase)'\(already); nothing was written")
        let ticked = items.filter(\.isTicked).count
        let verdict = complete ? "complete" : items.isEmpty ? "this phase has no checklist" : "not complete"
        say("checklist of \(phase) after it: \(ticked)/\(items.count) ticked, \(verdict)")
        for item in items {
            let note: String? = tick.contains(item.number) ? "would be ticked by \(item.tickedBy ?? "")"
                : untick.contains(item.number) ? "would be unticked" : nil
            say(ChecklistText.line(item, note: note))
        }
    }
}
