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
/// ```
///
/// Unknown keys are mistakes, not ignored: a misspelt `irreversable: true` must
/// never silently make a point of no return reversible.
public enum PlanFile {
    /// The keys a phase entry may have.
    static let phaseKeys: Set<String> = ["id", "title", "reads", "writes", "irreversible", "ramp", "runbook"]

    /// Parses and validates `yaml`.
    ///
    /// - Parameters:
    ///   - yaml: the plan file's text.
    ///   - file: the name used in messages.
    ///   - runbookExists: answers whether a runbook path named by a phase exists.
    /// - Throws: ``PlanError`` listing every problem found, each with its line.
    public static func parse(
        _ yaml: String, file: String, runbookExists: (String) -> Bool = { _ in true }
    ) throws(PlanError) -> Plan {
        var reader = PlanReader(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw PlanError(file: file, problems: [PlanProblem(line: error.line, field: "", message: "is not valid YAML (\(error.shortDescription))")])
        } catch {
            throw PlanError(file: file, problems: [PlanProblem(line: nil, field: "", message: "is not valid YAML")])
        }
        let phases = reader.readPlan(root, runbookExists: runbookExists)
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

    public var description: String {
        let lines = problems.map { "  \(file)\($0.line.map { ":\($0)" } ?? ""): \($0.field.isEmpty ? "" : $0.field + " ")\($0.message)" }
        return "the plan \(file) has \(problems.count) problem\(problems.count == 1 ? "" : "s"); fix \(problems.count == 1 ? "it" : "them") and run init again:\n"
            + lines.joined(separator: "\n")
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
    var problems: [PlanProblem] = []

    mutating func problem(_ node: Node?, _ field: String, _ message: String) {
        problems.append(PlanProblem(line: node?.mark?.line, field: field, message: message))
    }

    mutating func readPlan(_ root: Node?, runbookExists: (String) -> Bool) -> [Phase]? {
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
        var phases: [Phase] = []
        var seen: [String: Int] = [:]
        for (i, entry) in entries.enumerated() {
            let field = "phases[\(i + 1)]"
            guard let phase = readPhase(entry, field: field, runbookExists: runbookExists) else { continue }
            if let first = seen[phase.id] {
                problem(entry["id"], "\(field).id", "'\(phase.id)' repeats phases[\(first)]; phase ids must be unique")
            } else {
                seen[phase.id] = i + 1
            }
            phases.append(phase)
        }
        return phases
    }

    mutating func readPhase(_ node: Node, field: String, runbookExists: (String) -> Bool) -> Phase? {
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
        let title = optionalString(map, "title", field) ?? id ?? ""
        let reads = requiredString(map, "reads", field).flatMap { text -> ReadMode? in
            guard let mode = ReadMode(rawValue: text) else {
                problem(map["reads"], "\(field).reads", "'\(text)' is not a read mode; use \(ReadMode.allCases.map(\.rawValue).joined(separator: ", "))")
                return nil
            }
            return mode
        }
        let writes = readWrites(map["writes"], field: "\(field).writes")
        let irreversible = optionalBool(map, "irreversible", field) ?? false
        let ramp = optionalBool(map, "ramp", field) ?? true
        let runbook = optionalString(map, "runbook", field)
        if let runbook, !runbookExists(runbook) {
            problem(map["runbook"], "\(field).runbook", "'\(runbook)' does not exist; write the runbook or fix the path (relative to the plan file)")
        }
        if let reads, let writes {
            let read: DataStore? = reads == .old ? .old : .new
            if let read, !writes.contains(read) {
                problem(map["reads"], "\(field).reads", "reads the \(read.rawValue) store, which this phase never writes")
            }
        }
        guard problems.count == before, let id, let reads, let writes else { return nil }
        return Phase(id: id, title: title, reads: reads, writes: writes, irreversible: irreversible, ramp: ramp, runbook: runbook)
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
