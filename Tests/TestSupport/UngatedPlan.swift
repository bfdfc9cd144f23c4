import MigrationCore

extension Plan {
    /// The default plan's phases without their gates, for tests of the phase machine, the
    /// session and the client; gates have tests of their own.
    public static let ungated = Plan(phases: Plan.default.phases.map { phase in
        var phase = phase
        phase.gates = []
        return phase
    })

    /// ``ungated`` as a YAML plan file, for tests that drive `migctl init --plan`.
    public static let ungatedYAML = """
        phases:
          - {id: old-only, reads: old, writes: [old], ramp: false}
          - {id: dual-write, reads: old, writes: [old, new]}
          - {id: read-new, reads: new-fallback-old, writes: [old, new]}
          - {id: new-primary, reads: new-fallback-old, writes: [new, old], irreversible: true}
          - {id: new-only, reads: new-fallback-old, writes: [new], irreversible: true}
          - {id: backfill, reads: new-fallback-old, writes: [new], ramp: false}
          - {id: cleanup, reads: new, writes: [new], ramp: false}
          - {id: complete, reads: new, writes: [new], ramp: false}
        """
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
