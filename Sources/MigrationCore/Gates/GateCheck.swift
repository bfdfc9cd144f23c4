import Foundation

/// The gates of the next transition, evaluated against the live control database.
public struct GateReport: Sendable, Equatable, Codable {
    /// The phase being advanced into.
    public var target: String
    public var irreversible: Bool
    public var results: [GateResult]
    /// The state version the gates were evaluated against.
    public var stateVersion: Int64?
    /// When the gates were evaluated.
    public var checkedAt: Date?
    /// Each command check's outcome, so the decision that follows can use it instead of
    /// running the program a second time.
    public var commandOutcomes: [[String]: CommandOutcome] = [:]
    /// Each prometheus gate's outcome, so the decision that follows judges the figure the
    /// operator saw.
    public var prometheusOutcomes: [PrometheusQuery: PrometheusOutcome] = [:]

    /// How long command and query outcomes may be reused by the advance that follows a check.
    public static let reuseSeconds: TimeInterval = 300

    public init(target: String, irreversible: Bool, results: [GateResult], stateVersion: Int64? = nil, checkedAt: Date? = nil) {
        self.target = target
        self.irreversible = irreversible
        self.results = results
        self.stateVersion = stateVersion
        self.checkedAt = checkedAt
    }

    enum CodingKeys: String, CodingKey {
        case target, irreversible, results, stateVersion, checkedAt
    }

    /// Whether this report's outcomes may stand in for new ones: it was made for `target` at
    /// `state`'s version less than ``reuseSeconds`` before `now`.
    func isReusable(target: Phase, state: MigrationState, now: Date) -> Bool {
        self.target == target.id && stateVersion == state.version && checkedAt.map {
            now.timeIntervalSince($0) >= 0 && now.timeIntervalSince($0) < Self.reuseSeconds
        } ?? false
    }

    /// Every result that is not a pass.
    public var blocking: [GateResult] { GateEvaluation.blocking(results) }
    public var allPass: Bool { blocking.isEmpty }
}

extension ControlStore {
    /// Gathers what `target`'s gates need (counters, gauges, checklist, approvals, fleet, each
    /// command check's run and each Prometheus query) and evaluates them.
    /// - Parameters:
    ///   - checks: what runs command gates' programs and asks prometheus gates' queries.
    ///   - runCommands: false leaves command and prometheus gates unknown ("not run yet", "not
    ///     queried yet"), for a cheap preview such as the dashboard's, which must not start
    ///     programs or query servers on every refresh.
    ///   - reusing: a report the operator just saw for the same target and state version:
    ///     its command and query outcomes are used instead of running the programs and asking
    ///     the queries again, so each runs once per decision.
    ///   - cancel: stops a running command check or query (its result is then unknown).
    public func checkGates(
        into target: Phase, from state: MigrationState, actor: String, now: Date, checks: ExternalChecks = ExternalChecks(),
        runCommands: Bool = true, reusing: GateReport? = nil, cancel: CancelFlag? = nil
    ) throws(ControlStoreError) -> GateReport {
        var windows: [CounterWindow] = []
        var commands: [[String]: CommandOutcome] = [:]
        var queries: [PrometheusQuery: PrometheusOutcome] = [:]
        let reused = reusing.flatMap { $0.isReusable(target: target, state: state, now: now) ? $0 : nil }
        let probes = target.gates.contains {
            switch $0.kind {
            case .command, .prometheus: true
            default: false
            }
        }
        // A plan changed behind migctl's back may point a probe anywhere: none runs from it.
        let tampering = runCommands && probes ? try planTampering() : nil
        for gate in target.gates {
            switch gate.kind {
            case .counter(let check):
                windows += (check.numerator + (check.denominator ?? [])).map { CounterWindow(name: $0, seconds: check.seconds(in: state, at: now)) }
            case .command(let check) where runCommands:
                if commands[check.argv] != nil { continue }
                if let tampering {
                    commands[check.argv] = CommandOutcome(ending: .couldNotStart("\(tampering); migctl runs no program from such a plan"), lastLines: [])
                    continue
                }
                commands[check.argv] = reused?.commandOutcomes[check.argv] ?? checks.commands.run(check, environment: [
                    "MIGCTL_DB": location, "MIGCTL_PHASE": state.phase, "MIGCTL_NEXT": target.id,
                ], cancel: cancel)
            case .prometheus(let check) where runCommands:
                if queries[check.key] != nil { continue }
                if let tampering {
                    queries[check.key] = .unknown(.notQueried("\(tampering); migctl queries no server named by such a plan"))
                    continue
                }
                queries[check.key] = reused?.prometheusOutcomes[check.key] ?? checks.prometheus.query(check, cancel: cancel)
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
            instances: kinds.contains("fleet") ? try instances() : [],
            zones: Self.zones(of: target.gates),
            prometheus: queries,
            verification: kinds.contains("verified") ? try verification() : nil,
            phaseIDs: kinds.contains("verified") ? try plan().phases.map(\.id) : [])
        var report = GateReport(target: target.id, irreversible: target.irreversible,
                                results: GateEvaluation.evaluate(target.gates, inputs), stateVersion: state.version, checkedAt: now)
        report.commandOutcomes = commands
        report.prometheusOutcomes = queries
        return report
    }

    /// The newest full verification run with its first mismatching keys and the phase moves
    /// since it started; nil when none ran.
    public func verification() throws(ControlStoreError) -> Verification? {
        guard let run = try jobProgress(.verify) else { return nil }
        let keys = run.mismatches > 0 ? try verifyMismatches(runStartedAt: run.startedAt, limit: Verification.keysNamed).map(\.key) : []
        let recent = try auditLog(limit: Verification.movesRead)
        let watched = Verification(run: run).watchedSince
        let since = recent.filter { $0.at >= watched }
        let complete = recent.count < Verification.movesRead || (recent.last.map { $0.at < watched } ?? true)
        let moves = since.filter { $0.fromPhase != nil && $0.toPhase != nil && $0.fromPhase != $0.toPhase }.reversed()
        return Verification(run: run, firstMismatches: keys, movesSince: Array(moves), movesComplete: complete)
    }

    /// The zones the window gates name, each read from the system tz database now (so a tz
    /// update applies at the next check).
    static func zones(of gates: [Gate]) -> [String: Result<ZoneInfo, ZoneInfo.Problem>] {
        var zones: [String: Result<ZoneInfo, ZoneInfo.Problem>] = [:]
        for gate in gates {
            guard case .window(let check) = gate.kind, zones[check.zone] == nil else { continue }
            do {
                zones[check.zone] = .success(try ZoneInfo.load(check.zone))
            } catch {
                zones[check.zone] = .failure(error)
            }
        }
        return zones
    }
}
