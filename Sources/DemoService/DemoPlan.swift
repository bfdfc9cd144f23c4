import MigrationCore

extension Plan {
    /// The default plan with gates measured in seconds, so the demo walks every phase in minutes;
    /// as strict as the built-in plan (the same gates may not be overridden, safety counters
    /// count over the whole phase).
    /// - Parameter soak: seconds each soak gate asks for.
    public static func demo(soak: Int64 = 5) -> Plan {
        let sample: Int64 = 50
        /// A ratio gate; a safety one (`overIsPhase`) counts over the whole phase, like the built-in plan's.
        func rate(_ numerator: String, _ denominator: [String], max: Double, overridable: Bool = true, overIsPhase: Bool = false) -> Gate {
            Gate(.counter(CounterCheck(numerator: [numerator], denominator: denominator, windowSeconds: 60, bounds: Bounds(max: max),
                                       minSample: sample, spansPhase: overIsPhase)), overridable: overridable)
        }
        let errors = rate(CounterName.writeNewError, [CounterName.write], max: 0.001, overIsPhase: true)
        let approval = Gate(.approval(withinSeconds: 3600), overridable: false)
        let fleet = Gate(.fleet(heartbeatSeconds: 10), overridable: false)
        let gates: [String: [Gate]] = [
            "dual-write": [Gate(.checklist)],
            "read-new": [Gate(.soak(seconds: soak)), errors, Gate(.checklist)],
            "new-primary": [Gate(.soak(seconds: soak)), rate(CounterName.miss, [CounterName.hit, CounterName.miss], max: 0.5),
                            rate(CounterName.verifyMismatch, [CounterName.verifyMatch, CounterName.verifyMismatch], max: 0, overridable: false, overIsPhase: true),
                            errors, Gate(.checklist), approval, fleet],
            "new-only": [Gate(.soak(seconds: soak)), errors, Gate(.checklist), fleet],
            "backfill": [Gate(.checklist)],
            "cleanup": [Gate(.gauge(GaugeCheck(gauge: CounterName.backfillRemaining, bounds: Bounds(max: 0), maxAgeSeconds: 60)), overridable: false),
                        Gate(.verified(since: "backfill"), overridable: false), Gate(.checklist), fleet],
            "complete": [Gate(.soak(seconds: soak)), Gate(.checklist), approval],
        ]
        return Plan(phases: Plan.default.phases.map { phase in
            var phase = phase
            phase.gates = gates[phase.id] ?? []
            return phase
        })
    }
}
