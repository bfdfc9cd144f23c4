import Foundation
import Yams

/// Reads a custom plan from YAML and validates it, naming the line and field of every mistake.
///
/// ```yaml
/// phases:
///   - id: old-only
///     title: Old store only
///     reads: old              # old | new-fallback-old | new
///     writes: [old]           # primary first
///     ramp: false
///     runbook: runbooks/old-only.md
///   - id: new-primary
///     reads: new-fallback-old
///     writes: [new, old]
///     irreversible: true
///     gates:
///       - kind: soak
///         duration: 7d
///       - kind: counter
///         numerator: [miss]
///         denominator: [hit, miss]
///         window: 1h
///         max: 0.05
///         min_sample: 1000
/// ```
///
/// Gate kinds: `soak` (duration), `rollout`, `counter` (numerator, denominator, window,
/// min, max, min_sample), `gauge` (gauge, min, max, max_age), `checklist`, `command`
/// (argv, timeout), `approval` (within), `fleet` (heartbeat), `window` (days, hours, tz),
/// `prometheus` (url, query, min, max, timeout), `verified` (since: a phase before the gate's
/// own); each may say `overridable: false`. Durations
/// are `90s`, `15m`, `1h`, `7d` or a number of seconds.
///
/// What the guard (`migctl guard`) does by itself: `guards` (name, `when`: a counter, gauge,
/// command or prometheus gate, `action`: notify, hold or rollback, `to: previous`), `ramp: {steps, every}` and
/// `auto_advance: true` (into this phase, never an irreversible one). What slows or pauses the
/// backfill and the verification by themselves while the phase is current: `throttle` (gauge,
/// slow_above and slow_rate, pause_above, max_age).
///
/// Unknown keys are mistakes, not ignored: a misspelt `irreversable: true` must
/// never silently make a point of no return reversible.
public enum PlanFile {
    /// The keys a phase entry may have.
    static let phaseKeys: Set<String> = ["id", "title", "reads", "writes", "irreversible", "ramp", "runbook", "gates", "guards", "auto_advance", "throttle"]
    /// The keys of a guard entry.
    static let guardKeys: Set<String> = ["name", "when", "action", "to"]

    /// The keys each gate kind takes, besides `kind` and `overridable`.
    static let gateKeys: [String: Set<String>] = [
        "soak": ["duration"], "rollout": [], "checklist": [],
        "counter": ["numerator", "denominator", "window", "min", "max", "min_sample"],
        "gauge": ["gauge", "min", "max", "max_age"],
        "command": ["argv", "timeout"],
        "approval": ["within"],
        "fleet": ["heartbeat"],
        "window": ["days", "hours", "tz"],
        "prometheus": ["url", "query", "min", "max", "timeout"],
        "verified": ["since"],
    ]

    /// Parses and validates `yaml`, within ``Limits``.
    ///
    /// - Parameters:
    ///   - yaml: the plan file's text.
    ///   - file: the name used in messages.
    ///   - paths: checks each runbook path and resolves each command gate's program; a
    ///     refusal is a problem at its line. ``PlanFolder/paths`` checks the plan's folder.
    /// - Throws: ``PlanError`` listing every problem found, each with its line.
    public static func parse(_ yaml: String, file: String, paths: PlanPaths = .unchecked) throws(PlanError) -> Plan {
        guard yaml.utf8.count <= Limits.planFileBytes else {
            throw PlanError(file: file, problems: [PlanProblem(line: nil, field: "", message: "is \(yaml.utf8.count) bytes; a plan is at most \(Limits.bytes(Limits.planFileBytes))")])
        }
        var reader = PlanReader(file: file, paths: paths)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw PlanError(file: file, problems: [PlanProblem(line: error.line, field: "", message: "is not valid YAML (\(error.shortDescription))")])
        } catch {
            throw PlanError(file: file, problems: [PlanProblem(line: nil, field: "", message: "is not valid YAML")])
        }
        let phases = reader.readPlan(root)
        guard reader.problems.isEmpty, let phases else {
            throw PlanError(file: file, problems: reader.problems)
        }
        return Plan(phases: phases)
    }
}

/// Every mistake found in a plan file.
public struct PlanError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let problems: [PlanProblem]

    public var description: String { lines.joined(separator: "\n") }

    /// The description's lines: a header, then one indented line per problem. Each is printed
    /// on its own, so a value quoted in one can never start a line of its own.
    public var lines: [String] {
        ["the plan \(file) has \(problems.count) problem\(problems.count == 1 ? "" : "s"); fix \(problems.count == 1 ? "it" : "them") and run init again:"]
            + problems.map { "  \(file)\($0.line.map { ":\($0)" } ?? ""): \($0.field.isEmpty ? "" : $0.field + " ")\($0.message)" }
    }
}

/// One mistake in a plan file: where it is and what is wrong.
public struct PlanProblem: Sendable, Equatable {
    /// 1-based line in the file, when known.
    public let line: Int?
    /// The field path, e.g. `phases[3].reads`.
    public let field: String
    public let message: String

    public init(line: Int?, field: String, message: String) {
        self.line = line
        self.field = field
        self.message = message
    }
}

private struct PlanReader {
    let file: String
    let paths: PlanPaths
    var problems: [PlanProblem] = []

    mutating func problem(_ node: Node?, _ field: String, _ message: String) {
        problems.append(PlanProblem(line: node?.mark?.line, field: field, message: message))
    }

    mutating func readPlan(_ root: Node?) -> [Phase]? {
        guard let root, case .mapping(let top) = root else {
            problem(root, "", "must be a mapping with a 'phases' list")
            return nil
        }
        for (key, _) in top where key.string != "phases" {
            problem(key, key.string ?? "?", "is not a plan field; the plan has only 'phases'")
        }
        guard let list = top["phases"] else {
            problem(root, "phases", "is missing; list the phases in order")
            return nil
        }
        guard case .sequence(let entries) = list, !entries.isEmpty else {
            problem(list, "phases", "must be a non-empty list of phases")
            return nil
        }
        guard entries.count <= Limits.phases else {
            problem(list, "phases", "lists \(entries.count) phases; a plan has at most \(Limits.phases)")
            return nil
        }
        var phases: [Phase] = []
        var seen: [String: Int] = [:]
        for (i, entry) in entries.enumerated() {
            let field = "phases[\(i + 1)]"
            guard let phase = readPhase(entry, field: field) else { continue }
            if let first = seen[phase.id] {
                problem(entry["id"], "\(field).id", "'\(phase.id)' repeats phases[\(first)]; phase ids must be unique")
            } else {
                seen[phase.id] = i + 1
            }
            phases.append(phase)
        }
        checkAutomation(phases, Array(entries))
        checkVerifiedGates(phases, Array(entries))
        return phases
    }

    /// What a phase lets the guard do, against the whole plan: unique guard names, a rollback
    /// only before the point of no return and only where there is somewhere to go, and no
    /// automatic advance into an irreversible phase (that always takes a person).
    mutating func checkAutomation(_ phases: [Phase], _ entries: [Node]) {
        let noReturn = phases.firstIndex(where: \.irreversible) ?? phases.count
        var names: [String: String] = [:]
        for (i, phase) in phases.enumerated() {
            let entry = entries.first { $0["id"]?.string == phase.id }
            let field = "phases[\(i + 1)]"
            for (g, watched) in phase.automation.guards.enumerated() {
                let node = entry?["guards"].flatMap { node -> Node? in
                    if case .sequence(let list) = node, g < list.count { return list[g] }
                    return nil
                }
                if let other = names[watched.name] {
                    problem(node?["name"], "\(field).guards[\(g + 1)].name", "'\(watched.name)' is also a guard of '\(other)'; guard names are unique in a plan")
                }
                names[watched.name] = phase.id
                guard case .rollback(let toPrevious) = watched.action else { continue }
                if i >= noReturn {
                    problem(node?["action"], "\(field).guards[\(g + 1)].action",
                            "rollback is refused in or after the irreversible phase '\(phases[noReturn].id)'; a guard there may only hold or notify")
                } else if toPrevious, i == 0 {
                    problem(node?["to"], "\(field).guards[\(g + 1)].to", "the first phase has no previous phase to roll back to")
                } else if !toPrevious, !phase.ramp {
                    problem(node?["action"], "\(field).guards[\(g + 1)].action",
                            "'\(phase.id)' is not ramped, so it has no rollout to put to 0%; use 'to: previous'")
                }
            }
            if phase.automation.ramp != nil, !phase.ramp {
                problem(entry?["ramp"], "\(field).ramp", "a ramp schedule needs a ramped phase")
            } else if phase.automation.ramp != nil, i >= noReturn {
                problem(entry?["ramp"], "\(field).ramp",
                        "the guard never ramps in or after the irreversible phase '\(phases[noReturn].id)': each step moves keys past the point of no return, which takes a person")
            }
            if phase.automation.autoAdvance {
                let approval = phase.gates.contains { if case .approval = $0.kind { true } else { false } }
                if approval {
                    problem(entry?["auto_advance"], "\(field).auto_advance",
                            "'\(phase.id)' asks for a second operator's approval: the guard cannot be the first of the two people, so a person advances into it")
                } else if phase.irreversible {
                    problem(entry?["auto_advance"], "\(field).auto_advance",
                            "the guard never enters an irreversible phase by itself; that takes a person and the typed confirmation")
                } else if i == 0 {
                    problem(entry?["auto_advance"], "\(field).auto_advance", "the first phase is where a migration starts; nothing advances into it")
                }
            }
        }
    }

    /// A `verified` gate names a phase before its own: the verification must have run while
    /// the migration was there or later, before it moves into the gate's phase.
    mutating func checkVerifiedGates(_ phases: [Phase], _ entries: [Node]) {
        for (i, phase) in phases.enumerated() {
            for (g, gate) in phase.gates.enumerated() {
                guard case .verified(let since) = gate.kind else { continue }
                let entry = entries.first { $0["id"]?.string == phase.id }
                let node = entry?["gates"].flatMap { node -> Node? in
                    if case .sequence(let list) = node, g < list.count { return list[g]["since"] }
                    return nil
                }
                let field = "phases[\(i + 1)].gates[\(g + 1)].since"
                guard let position = phases.firstIndex(where: { $0.id == since }) else {
                    problem(node, field, "'\(since)' is not a phase of this plan")
                    continue
                }
                if position >= i {
                    problem(node, field, "'\(since)' is not before '\(phase.id)'; a verified gate names a phase the migration passes through before it")
                }
            }
        }
    }

    mutating func readPhase(_ node: Node, field: String) -> Phase? {
        guard case .mapping(let map) = node else {
            problem(node, field, "must be a mapping with id, reads and writes")
            return nil
        }
        for (key, _) in map where !PlanFile.phaseKeys.contains(key.string ?? "") {
            problem(key, "\(field).\(key.string ?? "?")", "is not a phase field; use \(PlanFile.phaseKeys.sorted().joined(separator: ", "))")
        }
        let before = problems.count
        let id = requiredString(map, "id", field)
        if let id, !Names.isValidPhaseID(id) {
            problem(map["id"], "\(field).id", "'\(id)' is not a valid id; use lower-case letters, digits and '-' (at most 64)")
        }
        let title = optionalString(map, "title", field).flatMap { checkedTitle($0, map["title"], "\(field).title") } ?? id ?? ""
        let reads = requiredString(map, "reads", field).flatMap { text -> ReadMode? in
            guard let mode = ReadMode(rawValue: text) else {
                problem(map["reads"], "\(field).reads", "'\(text)' is not a read mode; use \(ReadMode.allCases.map(\.rawValue).joined(separator: ", "))")
                return nil
            }
            return mode
        }
        let writes = readWrites(map["writes"], field: "\(field).writes")
        let irreversible = optionalBool(map, "irreversible", field) ?? false
        let (ramp, schedule) = readRamp(map["ramp"], field: "\(field).ramp")
        let runbook = optionalString(map, "runbook", field)
        let gates = readGates(map["gates"], field: "\(field).gates")
        let guards = readGuards(map["guards"], field: "\(field).guards")
        let autoAdvance = optionalBool(map, "auto_advance", field) ?? false
        let throttle = readThrottle(map["throttle"], field: "\(field).throttle")
        if let runbook {
            do {
                try paths.checkRunbook(runbook)
            } catch {
                problem(map["runbook"], "\(field).runbook", error.description)
            }
        }
        if let reads, let writes {
            let read: DataStore? = reads == .old ? .old : .new
            if let read, !writes.contains(read) {
                problem(map["reads"], "\(field).reads", "reads the \(read.rawValue) store, which this phase never writes")
            }
        }
        guard problems.count == before, let id, let reads, let writes else { return nil }
        return Phase(id: id, title: title, reads: reads, writes: writes, irreversible: irreversible, ramp: ramp,
                     runbook: runbook, gates: gates, automation: PhaseAutomation(guards: guards, ramp: schedule, autoAdvance: autoAdvance, throttle: throttle))
    }

    /// `throttle: [{gauge: replication.lag_seconds, slow_above: 5, slow_rate: 200, pause_above: 30, max_age: 1m}]`.
    mutating func readThrottle(_ node: Node?, field: String) -> [JobThrottle] {
        guard let node else { return [] }
        guard case .sequence(let entries) = node, entries.count <= Limits.gatesPerPhase else {
            problem(node, field, "must be a list of at most \(Limits.gatesPerPhase) rules like {gauge: replication.lag_seconds, pause_above: 30}")
            return []
        }
        let keys: Set<String> = ["gauge", "slow_above", "slow_rate", "pause_above", "max_age"]
        return entries.enumerated().compactMap { i, entry -> JobThrottle? in
            let field = "\(field)[\(i + 1)]"
            guard case .mapping(let map) = entry else {
                problem(entry, field, "must be a mapping with gauge and slow_above/slow_rate or pause_above")
                return nil
            }
            for (key, _) in map where !keys.contains(key.string ?? "") {
                problem(key, "\(field).\(key.string ?? "?")", "is not a field of a throttle; use \(keys.sorted().joined(separator: ", "))")
            }
            let before = problems.count
            let gauge = requiredString(map, "gauge", field)
            if let gauge, !Names.isValidMetricName(gauge) { problem(map["gauge"], "\(field).gauge", "'\(gauge)' is not a valid gauge name") }
            let slowAbove = number(map, "slow_above", field), pauseAbove = number(map, "pause_above", field)
            let slowRate = wholeNumber(map, "slow_rate", field)
            let maxAge = duration(map, "max_age", field, required: false) ?? 60
            if slowAbove == nil && pauseAbove == nil {
                problem(entry, field, "says neither slow_above nor pause_above; give one or both")
            }
            if (slowAbove == nil) != (slowRate == nil) {
                problem(map["slow_above"] ?? map["slow_rate"], "\(field).slow_rate", "slow_above and slow_rate go together: above what, and how many rows a second")
            }
            if let slowRate, !(1...JobControl.rates.upperBound).contains(slowRate) {
                problem(map["slow_rate"], "\(field).slow_rate", "is 1 to \(JobControl.rates.upperBound) rows a second, not \(slowRate)")
            }
            if let slowAbove, let pauseAbove, slowAbove >= pauseAbove {
                problem(map["slow_above"], "\(field).slow_above", "\(GateFormat.number(slowAbove)) is not below pause_above \(GateFormat.number(pauseAbove))")
            }
            guard problems.count == before, let gauge else { return nil }
            return JobThrottle(gauge: gauge, slowAbove: slowAbove, slowRate: slowRate, pauseAbove: pauseAbove, maxAgeSeconds: maxAge)
        }
    }

    /// `ramp: true|false`, or `ramp: {steps: [1, 5, 25, 50, 100], every: 30m}` (a ramped phase the
    /// guard ramps by itself).
    mutating func readRamp(_ node: Node?, field: String) -> (Bool, RampSchedule?) {
        guard let node else { return (true, nil) }
        if let value = node.bool { return (value, nil) }
        guard case .mapping(let map) = node else {
            problem(node, field, "must be true, false or a schedule like {steps: [1, 5, 25, 50, 100], every: 30m}")
            return (true, nil)
        }
        for (key, _) in map where !["steps", "every"].contains(key.string ?? "") {
            problem(key, "\(field).\(key.string ?? "?")", "is not a field of a ramp schedule; use steps, every")
        }
        let every = duration(map, "every", field, required: true)
        guard case .sequence(let items)? = map["steps"], !items.isEmpty, items.count <= Limits.rampSteps else {
            problem(map["steps"], "\(field).steps", "must be a list of 1 to \(Limits.rampSteps) rollout percentages, rising, e.g. [1, 5, 25, 50, 100]")
            return (true, nil)
        }
        var steps: [Rollout] = []
        for item in items {
            guard let text = item.string, let step = try? Rollout(percent: text), step > .none else {
                problem(item, "\(field).steps", "'\(item.string ?? "?")' is not a percentage above 0 and at most 100 (two decimals)")
                return (true, nil)
            }
            if let last = steps.last, step <= last {
                problem(item, "\(field).steps", "must rise: \(step) follows \(last)")
                return (true, nil)
            }
            steps.append(step)
        }
        guard let every else { return (true, nil) }
        return (true, RampSchedule(steps: steps, everySeconds: every))
    }

    mutating func readGuards(_ node: Node?, field: String) -> [PhaseGuard] {
        guard let node else { return [] }
        guard case .sequence(let entries) = node else {
            problem(node, field, "must be a list of guards, each with a name, a 'when' condition and an action")
            return []
        }
        guard entries.count <= Limits.gatesPerPhase else {
            problem(node, field, "lists \(entries.count) guards; a phase has at most \(Limits.gatesPerPhase)")
            return []
        }
        return entries.enumerated().compactMap { i, entry in readGuard(entry, field: "\(field)[\(i + 1)]") }
    }

    mutating func readGuard(_ node: Node, field: String) -> PhaseGuard? {
        guard case .mapping(let map) = node else {
            problem(node, field, "must be a mapping with name, when and action")
            return nil
        }
        for (key, _) in map where !PlanFile.guardKeys.contains(key.string ?? "") {
            problem(key, "\(field).\(key.string ?? "?")", "is not a guard field; use \(PlanFile.guardKeys.sorted().joined(separator: ", "))")
        }
        let before = problems.count
        let name = requiredString(map, "name", field)
        if let name, !Names.isValidMetricName(name) {
            problem(map["name"], "\(field).name", "'\(name)' is not a valid guard name; use [a-z0-9][a-z0-9._-]{0,63}")
        }
        var condition: Gate?
        if let when = map["when"] {
            condition = readGate(when, field: "\(field).when")
            if let kind = condition?.kind.name, !PhaseGuard.conditionKinds.contains(kind) {
                problem(when, "\(field).when.kind", "'\(kind)' cannot be a guard's condition; use \(PhaseGuard.conditionKinds.sorted().joined(separator: ", "))")
            }
        } else {
            problem(nil, "\(field).when", "is missing; give the condition as a gate, e.g. {kind: counter, ...}")
        }
        let word = requiredString(map, "action", field)
        let to = optionalString(map, "to", field)
        var action: GuardAction?
        switch word {
        case "notify": action = .notify
        case "hold": action = .hold
        case "rollback": action = .rollback(toPrevious: to == "previous")
        case nil: break
        case let other?: problem(map["action"], "\(field).action", "'\(other)' is not an action; use notify, hold or rollback")
        }
        if let to, word != "rollback" || to != "previous" {
            problem(map["to"], "\(field).to", word == "rollback" ? "'\(to)' is not a target; a rollback goes to 0% (leave 'to' out) or to: previous"
                                                                  : "only a rollback has a target (to: previous)")
        }
        guard problems.count == before, let name, let condition, let action else { return nil }
        return PhaseGuard(name: name, when: condition, action: action)
    }

    mutating func readGates(_ node: Node?, field: String) -> [Gate] {
        guard let node else { return [] }
        guard case .sequence(let entries) = node else {
            problem(node, field, "must be a list of gates")
            return []
        }
        guard entries.count <= Limits.gatesPerPhase else {
            problem(node, field, "lists \(entries.count) gates; a phase has at most \(Limits.gatesPerPhase)")
            return []
        }
        return entries.enumerated().compactMap { i, entry in readGate(entry, field: "\(field)[\(i + 1)]") }
    }

    mutating func readGate(_ node: Node, field: String) -> Gate? {
        guard case .mapping(let map) = node, let kind = map["kind"]?.string else {
            problem(node, field, "must be a mapping with a 'kind' (\(PlanFile.gateKeys.keys.sorted().joined(separator: ", ")))")
            return nil
        }
        guard let allowed = PlanFile.gateKeys[kind] else {
            problem(map["kind"], "\(field).kind", "'\(kind)' is not a gate kind; use \(PlanFile.gateKeys.keys.sorted().joined(separator: ", "))")
            return nil
        }
        for (key, _) in map where !(allowed.contains(key.string ?? "") || ["kind", "overridable"].contains(key.string ?? "")) {
            problem(key, "\(field).\(key.string ?? "?")", "is not a field of a \(kind) gate; use \((allowed.sorted() + ["overridable"]).joined(separator: ", "))")
        }
        let before = problems.count
        let overridable = optionalBool(map, "overridable", field) ?? true
        let gateKind: GateKind?
        switch kind {
        case "soak": gateKind = duration(map, "duration", field, required: true).map { .soak(seconds: $0) }
        case "rollout": gateKind = .rollout
        case "checklist": gateKind = .checklist
        case "counter":
            let numerator = names(map["numerator"], "\(field).numerator", required: true)
            let denominator = map["denominator"] == nil ? nil : names(map["denominator"], "\(field).denominator", required: true)
            // `window: phase` counts since the current phase began; the rolling-window field then
            // holds a day, unused, so older readers of the stored plan still find a number.
            let spansPhase = map["window"]?.string == "phase"
            let window = spansPhase ? 86_400 : duration(map, "window", field, required: true)
            let bounds = readBounds(map, field, nonNegative: true)
            let minSample = wholeNumber(map, "min_sample", field) ?? 0
            if let numerator, let window, let bounds {
                gateKind = .counter(CounterCheck(numerator: numerator, denominator: denominator, windowSeconds: window,
                                                 bounds: bounds, minSample: minSample, spansPhase: spansPhase))
            } else {
                gateKind = nil
            }
        case "gauge":
            let name = requiredString(map, "gauge", field)
            if let name, !Names.isValidMetricName(name) {
                problem(map["gauge"], "\(field).gauge", "'\(name)' is not a valid gauge name")
            }
            let bounds = readBounds(map, field)
            let maxAge = duration(map, "max_age", field, required: false) ?? 3600
            gateKind = name.flatMap { name in bounds.map { .gauge(GaugeCheck(gauge: name, bounds: $0, maxAgeSeconds: maxAge)) } }
        case "command":
            let argv = readArgv(map["argv"] ?? node, present: map["argv"] != nil, field: "\(field).argv")
            let timeout = duration(map, "timeout", field, required: false) ?? 30
            gateKind = argv.map { .command(CommandCheck(argv: $0, timeoutSeconds: timeout)) }
        case "approval": gateKind = .approval(withinSeconds: duration(map, "within", field, required: false) ?? 86_400)
        case "window": gateKind = readWindow(map, field)
        case "prometheus": gateKind = readPrometheus(map, field)
        case "verified": gateKind = requiredString(map, "since", field).map { .verified(since: $0) }
        default: gateKind = .fleet(heartbeatSeconds: duration(map, "heartbeat", field, required: false) ?? 60)
        }
        guard problems.count == before, let gateKind else { return nil }
        return Gate(gateKind, overridable: overridable)
    }

    /// A window gate: `days: [mon, tue]`, `hours: "09:00-16:00"`, `tz: Europe/Berlin`, the zone
    /// found in this host's tz database.
    mutating func readWindow(_ map: Node.Mapping, _ field: String) -> GateKind? {
        var days: [String] = []
        if case .sequence(let items)? = map["days"] { days = items.map { $0.string ?? "?" } }
        guard !days.isEmpty else {
            problem(map["days"], "\(field).days", "must list the days the window opens, e.g. [mon, tue, wed, thu]")
            return nil
        }
        guard let hours = requiredString(map, "hours", field), let tz = requiredString(map, "tz", field) else { return nil }
        do {
            let check = try WindowCheck(days: days, hours: hours, tz: tz)
            // Names whose meaning depends on the host, or that name no place: every host must read the same window.
            if ["localtime", "posixrules", "Factory"].contains(check.zone) || check.zone.hasPrefix("posix/") {
                problem(map["tz"], "\(field).tz", "'\(check.zone)' means something else on each host; name the zone, e.g. Europe/Berlin or UTC")
                return nil
            }
            _ = try ZoneInfo.load(check.zone)
            return .window(check)
        } catch let problem as WindowCheck.Problem {
            self.problem(map[problem.field], "\(field).\(problem.field)", problem.description)
        } catch let problem as ZoneInfo.Problem {
            self.problem(map["tz"], "\(field).tz", problem.description)
        } catch {
            self.problem(map["tz"], "\(field).tz", "\(error)")
        }
        return nil
    }

    /// A prometheus gate: the server's `url` (http or https, a host, maybe a port and a path
    /// prefix), a PromQL `query`, bounds and a `timeout` of at most
    /// ``PrometheusCheck/maximumTimeoutSeconds``.
    mutating func readPrometheus(_ map: Node.Mapping, _ field: String) -> GateKind? {
        let url = requiredString(map, "url", field).flatMap { checkedPrometheusURL($0, map["url"], "\(field).url") }
        var query = requiredString(map, "query", field)
        if let text = query {
            if text.allSatisfy(\.isWhitespace) {
                problem(map["query"], "\(field).query", "is blank; give a PromQL expression that yields one number")
                query = nil
            } else if !Limits.fits(text, Limits.promQLScalars) {
                problem(map["query"], "\(field).query", "is \(Limits.length(text)) characters; a query has at most \(Limits.promQLScalars)")
                query = nil
            } else if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }) {
                problem(map["query"], "\(field).query", "holds a control character; PromQL is text (newlines and tabs are fine)")
                query = nil
            }
        }
        let bounds = readBounds(map, field)
        let timeout = duration(map, "timeout", field, required: false) ?? PrometheusCheck.defaultTimeoutSeconds
        if timeout > PrometheusCheck.maximumTimeoutSeconds {
            problem(map["timeout"], "\(field).timeout",
                    "\(GateFormat.duration(timeout)) is too long; a query may take at most \(GateFormat.duration(PrometheusCheck.maximumTimeoutSeconds))")
            return nil
        }
        guard let url, let query, let bounds else { return nil }
        return .prometheus(PrometheusCheck(url: url, query: query, bounds: bounds, timeoutSeconds: timeout))
    }

    /// A Prometheus server's base URL, or nil with a problem that quotes at most its scheme: an
    /// http or https URL with a host and a port in range, and nothing a plan must not hold (user
    /// info: the plan is stored in the control database and shown to every operator) or that
    /// would be lost (a query or fragment: the API's path is added to the URL's).
    mutating func checkedPrometheusURL(_ text: String, _ node: Node?, _ field: String) -> String? {
        let why: String? = {
            guard Limits.fits(text, Limits.urlScalars) else { return "is \(Limits.length(text)) characters; a URL has at most \(Limits.urlScalars)" }
            guard text.terminalSafe == text, !text.contains(where: \.isWhitespace) else { return "holds a space or a control character" }
            guard let parts = URLComponents(string: text), parts.url != nil else { return "cannot be parsed as a URL" }
            guard let scheme = parts.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
                return parts.scheme.map { "has the scheme '\(String($0.prefix(20)))'; use http:// or https://" } ?? "has no scheme; use http:// or https://"
            }
            guard let host = parts.host, !host.isEmpty else { return "has no host" }
            if let port = parts.port, !(1...65535).contains(port) { return "has a port that is not between 1 and 65535" }
            if parts.user != nil || parts.password != nil {
                return "holds user info; a plan is stored in the control database and shown to operators, so it carries no credentials"
            }
            if parts.percentEncodedQuery != nil || parts.percentEncodedFragment != nil {
                return "has a query or a fragment; give the server's base URL (a path prefix is fine) and the PromQL in 'query'"
            }
            return nil
        }()
        guard let why else { return text }
        problem(node, field, why)
        return nil
    }

    /// A command gate's argv, within ``Limits``, its program resolved by ``PlanPaths/resolveProgram``.
    mutating func readArgv(_ node: Node, present: Bool, field: String) -> [String]? {
        var argv: [String] = []
        if present, case .sequence(let items) = node { argv = items.compactMap(\.string) }
        guard let program = argv.first, !program.isEmpty else {
            problem(node, field, "must be a non-empty list: the program and its arguments (no shell)")
            return nil
        }
        guard argv.count <= Limits.argumentCount else {
            problem(node, field, "has \(argv.count) items; a command takes at most \(Limits.argumentCount)")
            return nil
        }
        guard argv.allSatisfy({ Limits.fits($0, Limits.argumentScalars) }) else {
            problem(node, field, "has an item longer than \(Limits.argumentScalars) characters")
            return nil
        }
        do {
            argv[0] = try paths.resolveProgram(program)
        } catch {
            problem(node, field, error.description)
            return nil
        }
        return argv
    }

    /// A title within ``Limits/titleScalars`` and free of control characters, or nil with a problem.
    mutating func checkedTitle(_ title: String, _ node: Node?, _ field: String) -> String? {
        guard Limits.fits(title, Limits.titleScalars) else {
            problem(node, field, "is \(Limits.length(title)) characters; a title has at most \(Limits.titleScalars)")
            return nil
        }
        guard title.terminalSafe == title else {
            problem(node, field, "holds a control character; a title is one line of plain text")
            return nil
        }
        return title
    }

    /// `min` and `max`: finite numbers, at least one given, `min` ≤ `max`, and neither below
    /// zero when `nonNegative` (counts and ratios of counts never are).
    mutating func readBounds(_ map: Node.Mapping, _ field: String, nonNegative: Bool = false) -> Bounds? {
        guard map["min"] != nil || map["max"] != nil else {
            problem(nil, "\(field).max", "is missing; give max, min or both")
            return nil
        }
        let before = problems.count
        let bounds = Bounds(min: number(map, "min", field), max: number(map, "max", field))
        for (key, value) in [("min", bounds.min), ("max", bounds.max)] {
            if nonNegative, let value, value < 0 {
                problem(map[key], "\(field).\(key)", "\(GateFormat.number(value)) is below zero, and a count never is")
            }
        }
        if let low = bounds.min, let high = bounds.max, low > high {
            problem(map["min"], "\(field).min", "\(GateFormat.number(low)) is above max \(GateFormat.number(high))")
        }
        return problems.count == before ? bounds : nil
    }

    /// A whole number from 0 to 10^15, e.g. a minimum sample.
    mutating func wholeNumber(_ map: Node.Mapping, _ key: String, _ field: String) -> Int64? {
        guard let node = map[key] else { return nil }
        guard let text = node.string, let value = Int64(text), (0...1_000_000_000_000_000).contains(value) else {
            problem(node, "\(field).\(key)", "'\(node.string ?? "?")' must be a whole number from 0 to 1000000000000000")
            return nil
        }
        return value
    }

    mutating func number(_ map: Node.Mapping, _ key: String, _ field: String) -> Double? {
        guard let node = map[key] else { return nil }
        guard let text = node.string, let value = Double(text), value.isFinite, abs(value) <= 1e15 else {
            problem(node, "\(field).\(key)", "'\(node.string ?? "?")' must be a finite number of at most 10^15 in size")
            return nil
        }
        return value
    }

    mutating func names(_ node: Node?, _ field: String, required: Bool) -> [String]? {
        guard let node else {
            if required { problem(nil, field, "is missing; list counter names, e.g. [miss]") }
            return nil
        }
        let items: [Node]
        switch node {
        case .sequence(let sequence): items = Array(sequence)
        default: items = [node]
        }
        let names = items.compactMap(\.string)
        guard !names.isEmpty, names.count == items.count, names.allSatisfy(Names.isValidMetricName) else {
            problem(node, field, "must list valid counter names, e.g. [hit, miss]")
            return nil
        }
        return names
    }

    mutating func duration(_ map: Node.Mapping, _ key: String, _ field: String, required: Bool) -> Int64? {
        guard let node = map[key] else {
            if required { problem(nil, "\(field).\(key)", "is missing; give a duration like 90s, 15m, 1h or 7d\(key == "window" ? ", or phase" : "")") }
            return nil
        }
        guard let text = node.string, let seconds = Durations.seconds(text) else {
            problem(node, "\(field).\(key)", "'\(node.string ?? "?")' is not a positive duration; use 90s, 15m, 1h, 7d or seconds, at most 3650d\(key == "window" ? ", or phase (since the phase began)" : "")")
            return nil
        }
        return seconds
    }

    mutating func readWrites(_ node: Node?, field: String) -> [DataStore]? {
        guard let node else {
            problem(nil, field, "is missing; list the stores written, primary first, e.g. [old, new]")
            return nil
        }
        let items: [Node]
        switch node {
        case .sequence(let sequence): items = Array(sequence)
        case .scalar: items = [node]
        default: items = []
        }
        var stores: [DataStore] = []
        for item in items {
            guard let text = item.string, let store = DataStore(rawValue: text) else {
                problem(item, field, "'\(item.string ?? "?")' is not a store; use old or new")
                return nil
            }
            guard !stores.contains(store) else {
                problem(item, field, "names '\(text)' twice")
                return nil
            }
            stores.append(store)
        }
        guard !stores.isEmpty else {
            problem(node, field, "must name at least one store, primary first, e.g. [old, new]")
            return nil
        }
        return stores
    }

    mutating func requiredString(_ map: Node.Mapping, _ key: String, _ field: String) -> String? {
        guard let node = map[key] else {
            problem(nil, "\(field).\(key)", "is missing")
            return nil
        }
        return scalarString(node, "\(field).\(key)")
    }

    mutating func optionalString(_ map: Node.Mapping, _ key: String, _ field: String) -> String? {
        map[key].flatMap { scalarString($0, "\(field).\(key)") }
    }

    mutating func scalarString(_ node: Node, _ field: String) -> String? {
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
            problem(node, field, "must be a non-empty text")
            return nil
        }
        return scalar.string
    }

    mutating func optionalBool(_ map: Node.Mapping, _ key: String, _ field: String) -> Bool? {
        guard let node = map[key] else { return nil }
        guard let value = node.bool else {
            problem(node, "\(field).\(key)", "'\(node.string ?? "?")' must be true or false")
            return nil
        }
        return value
    }
}

private extension YamlError {
    var line: Int? {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            mark.line
        default:
            nil
        }
    }

    var shortDescription: String {
        switch self {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            problem
        default:
            "\(self)".split(separator: "\n").first.map(String.init) ?? "syntax error"
        }
    }
}
