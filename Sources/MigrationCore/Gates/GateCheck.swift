import Foundation

/// The gates of the next transition, evaluated against the live control database.
public struct GateReport: Sendable, Equatable, Codable {
    /// The phase being advanced into.
    public var target: String
    public var irreversible: Bool
    public var results: [GateResult]

    public init(target: String, irreversible: Bool, results: [GateResult]) {
        self.target = target
        self.irreversible = irreversible
        self.results = results
    }

    /// Every result that is not a pass.
    public var blocking: [GateResult] { GateEvaluation.blocking(results) }
    public var allPass: Bool { blocking.isEmpty }
}

extension ControlStore {
    /// Gathers what `target`'s gates need (counters, gauges, checklist, approvals, fleet, and
    /// each command check's run) and evaluates them.
    /// - Parameter runCommands: false leaves command checks unknown ("not run"), for a cheap
    ///   preview such as the dashboard's, which must not start programs on every refresh.
    public func checkGates(
        into target: Phase, from state: MigrationState, actor: String, now: Date, runner: CommandRunner = CommandRunner(),
        runCommands: Bool = true
    ) throws(ControlStoreError) -> GateReport {
        var windows: [CounterWindow] = []
        var commands: [[String]: CommandOutcome] = [:]
        for gate in target.gates {
            switch gate.kind {
            case .counter(let check):
                windows += (check.numerator + (check.denominator ?? [])).map { CounterWindow(name: $0, seconds: check.windowSeconds) }
            case .command(let check) where runCommands:
                commands[check.argv] = runner.run(check, environment: [
                    "MIGCTL_DB": location, "MIGCTL_PHASE": state.phase, "MIGCTL_NEXT": target.id,
                ])
            default:
                break
            }
        }
        let kinds = Set(target.gates.map(\.kind.name))
        let inputs = GateInputs(
            now: now, state: state, target: target, actor: actor,
            counterSums: windows.isEmpty ? [:] : try counterSums(windows, now: now),
            gauges: kinds.contains("gauge") ? Dictionary(try gauges().map { ($0.name, $0) }) { $1 } : [:],
            checklist: kinds.contains("checklist") ? try checklist(phase: state.phase) : [],
            commands: commands,
            approvals: kinds.contains("approval") ? try approvals(phase: target.id) : [],
            instances: kinds.contains("fleet") ? try instances() : [])
        return GateReport(target: target.id, irreversible: target.irreversible,
                          results: GateEvaluation.evaluate(target.gates, inputs))
    }
}
