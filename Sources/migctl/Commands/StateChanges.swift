import ArgumentParser
import Foundation
import MigrationCore

struct Advance: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move the migration one phase forward.",
        discussion: """
            The current phase must be at 100% and every gate of the next phase must pass (see \
            'migctl check'); a failing gate exits 3. --force overrides the gates the plan lets you \
            override and needs --reason. Into an irreversible phase, --confirm must name it (exit 4 \
            otherwise). A ramped phase is entered at --rollout (default 0%), one that is not ramped at 100%. \
            --dry-run prints the change and every gate of the next phase with its figure, and exits as the advance would.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var change: ChangeOptions
    @OptionGroup var dryRun: DryRunOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("Assert the phase being entered; refused if it is not the next one.", valueName: "phase"),
            completion: PhaseCompletion.kind)
    var to: String?

    @Option(name: .long, help: ArgumentHelp("The rollout the new phase starts at, in percent (0–100, two decimals).", valueName: "percent"))
    var rollout: String?

    @Flag(name: .long, help: "Override failing gates that the plan allows to be overridden; needs --reason.")
    var force = false

    @Option(name: .long, help: ArgumentHelp("The id of the irreversible phase being entered, typed to confirm.", valueName: "phase"),
            completion: PhaseCompletion.kind)
    var confirm: String?

    func validate() throws {
        if let rollout { _ = try parsePercent(rollout) }
        if force, (change.reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--force needs --reason: an override is recorded with why it is safe.")
        }
    }

    func run() throws {
        try reportingFailures {
            let request = PhaseRequest.advance(to: to, rollout: try rollout.map(parsePercent))
            try perform(request, store: store, actor: actor, change: change, dryRun: dryRun, output: output,
                        authority: AdvanceAuthority(force: force, confirmation: confirm))
        }
    }
}

struct Rollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move the migration one phase back, to 100% of the previous phase.",
        discussion: """
            Refused out of an irreversible phase above 0%: its keys have crossed the point of no return. \
            Refused (exit 8) when the keys leaving would stop writing a store that holds their copies \
            (out of dual-write: the new store's copies would go stale); --force --reason overrides that. \
            --dry-run prints the change and the gates of the next phase as 'migctl check' would show them after it.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var change: ChangeOptions
    @OptionGroup var dryRun: DryRunOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("Assert the phase being returned to; refused if it is not the previous one.", valueName: "phase"),
            completion: PhaseCompletion.kind)
    var to: String?

    @OptionGroup var override: StrandingOverride

    func run() throws {
        try reportingFailures {
            try perform(.rollback(to: to), store: store, actor: actor, change: change, dryRun: dryRun, output: output,
                        authority: AdvanceAuthority(force: override.force))
        }
    }
}

struct RolloutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Set the share of keys that get the current phase's behaviour.",
        discussion: """
            In an irreversible phase the rollout may only go up. Lowering it is refused (exit 8) when the \
            keys leaving would stop writing a store that holds their copies (dual-write: the new store's \
            copies would go stale); --force --reason overrides that. \
            --dry-run prints the change and the gates of the next phase as 'migctl check' would show them after it.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var change: ChangeOptions
    @OptionGroup var dryRun: DryRunOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: ArgumentHelp("Percent of keys, 0–100 with at most two decimals (e.g. 12.5).", valueName: "percent"))
    var percent: String

    @OptionGroup var override: StrandingOverride

    func validate() throws {
        _ = try parsePercent(percent)
    }

    func run() throws {
        try reportingFailures {
            try perform(.setRollout(try parsePercent(percent)), store: store, actor: actor, change: change, dryRun: dryRun,
                        output: output, authority: AdvanceAuthority(force: override.force))
        }
    }
}

/// `--force` of `rollout` and `rollback`: make a move that strands copies in a store (audited).
struct StrandingOverride: ParsableArguments {
    @Flag(name: .long, help: "Move even though the keys leaving would stop writing a store that holds their copies; needs --reason.")
    var force = false
}

func parsePercent(_ text: String) throws -> Rollout {
    do {
        return try Rollout(percent: text)
    } catch {
        throw ValidationError(error.description)
    }
}

/// The shared body of every state-changing command; with `--dry-run`, ``rehearse(_:with:change:authority:runCommands:json:)``.
private func perform(
    _ request: PhaseRequest, store: StoreOptions, actor: ActorOptions, change: ChangeOptions, dryRun: DryRunOptions,
    output: OutputOptions, authority: AdvanceAuthority = AdvanceAuthority()
) throws {
    let opened = try store.open()
    let control = MigrationControl(store: opened, signer: try actor.signer(for: opened), checks: .migctl)
    if dryRun.dryRun {
        return try rehearse(request, with: control, change: change, authority: authority, runCommands: dryRun.runCommands,
                            json: output.json)
    }
    let result = try control.perform(request, expectVersion: change.expectVersion, reason: change.reason, authority: authority)
    if output.json {
        try JSONOutput.print(ChangeReport(result))
    } else if result.changed {
        let before = result.before, after = result.after
        let what = before.phase == after.phase
            ? "rollout of '\(after.phase)' \(before.rollout) → \(after.rollout)"
            : "'\(before.phase)' → '\(after.phase)' at \(after.rollout)"
        say("\(what) (version \(after.version))")
    } else {
        say("nothing to change: '\(result.after.phase)' is already at \(result.after.rollout) (version \(result.after.version))")
    }
}

/// What `advance`, `rollback` and `rollout` print with `--json`.
struct ChangeReport: Encodable {
    let changed: Bool
    let before: MigrationState
    let after: MigrationState

    init(_ change: StateChange) {
        changed = change.changed
        before = change.before
        after = change.after
    }
}
