import Foundation
import MigrationCore

extension Plan {
    /// The default plan's phases without their gates, for tests of the phase machine, the
    /// session and the client; gates have tests of their own.
    public static let ungated = Plan(phases: Plan.default.phases.map { phase in
        var phase = phase
        phase.gates = []
        return phase
    })

    /// ``ungated`` as a YAML plan file, for tests that drive `migctl init --plan`: the file
    /// `ungated-plan.yaml` beside this one, which the Python client's tests read too.
    public static let ungatedYAML: String = {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "ungated-plan.yaml")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { fatalError("cannot read \(file.path)") }
        return text
    }()
}

extension Plan {
    /// A two-phase YAML plan whose second phase is gated by one command, for tests of command gates.
    public static func commandGatedYAML(program: String, timeout: String) -> String {
        """
        phases:
          - {id: a, reads: old, writes: [old], ramp: false}
          - id: b
            reads: old
            writes: [old, new]
            ramp: false
            gates:
              - {kind: command, argv: [\(program)], timeout: \(timeout)}
        """
    }
}
