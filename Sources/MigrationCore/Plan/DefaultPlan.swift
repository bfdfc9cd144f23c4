extension Plan {
    /// The built-in dual-write / lazy-migration / backfill plan of eight phases.
    ///
    /// `new-primary` is the point of no return: from there on the old store misses
    /// writes, so it and `new-only` are irreversible, and entering either needs a week
    /// (or a day) of soak, healthy counters, the runbook's checklist, the whole fleet on
    /// the current state and, for `new-primary`, a second operator's approval. Mismatch and
    /// error rates count over the whole current phase (`window: phase`), so they do not forget;
    /// the checks that keep data safe (mismatches, the fleet, approvals, the backfill and the
    /// verification) cannot be overridden.
    public static let `default` = Plan(phases: [
        Phase(id: "old-only", title: "Old store only", reads: .old, writes: [.old],
              ramp: false, runbook: "01-old-only.md"),
        Phase(id: "dual-write", title: "Write both, read old", reads: .old, writes: [.old, .new],
              runbook: "02-dual-write.md", gates: [Gate(.checklist)]),
        Phase(id: "read-new", title: "Read new, fall back to old", reads: .newFallbackOld, writes: [.old, .new],
              runbook: "03-read-new.md", gates: [
                  Gate(.soak(seconds: 86_400)),
                  Gate(.counter(CounterCheck(numerator: [CounterName.writeNewError], denominator: [CounterName.write], windowSeconds: 3600,
                                             bounds: Bounds(max: 0.001), minSample: 1000, spansPhase: true))),
                  Gate(.checklist),
              ]),
        Phase(id: "new-primary", title: "New store is primary", reads: .newFallbackOld, writes: [.new, .old],
              irreversible: true, runbook: "04-new-primary.md", gates: [
                  Gate(.soak(seconds: 7 * 86_400)),
                  Gate(.counter(CounterCheck(numerator: [CounterName.miss], denominator: [CounterName.hit, CounterName.miss], windowSeconds: 3600,
                                             bounds: Bounds(max: 0.05), minSample: 1000))),
                  Gate(.counter(CounterCheck(numerator: [CounterName.verifyMismatch], denominator: [CounterName.verifyMatch, CounterName.verifyMismatch],
                                             windowSeconds: 86_400, bounds: Bounds(max: 0), minSample: 100, spansPhase: true)), overridable: false),
                  Gate(.counter(CounterCheck(numerator: [CounterName.writeNewError], denominator: [CounterName.write], windowSeconds: 3600,
                                             bounds: Bounds(max: 0.001), minSample: 1000, spansPhase: true))),
                  Gate(.checklist),
                  Gate(.approval(withinSeconds: 86_400), overridable: false),
                  Gate(.fleet(heartbeatSeconds: 60), overridable: false),
              ]),
        Phase(id: "new-only", title: "Write new only", reads: .newFallbackOld, writes: [.new],
              irreversible: true, runbook: "05-new-only.md", gates: [
                  Gate(.soak(seconds: 86_400)),
                  Gate(.counter(CounterCheck(numerator: [CounterName.writeNewError], denominator: [CounterName.write], windowSeconds: 3600,
                                             bounds: Bounds(max: 0.001), minSample: 1000, spansPhase: true))),
                  Gate(.checklist),
                  Gate(.fleet(heartbeatSeconds: 60), overridable: false),
              ]),
        Phase(id: "backfill", title: "Backfill the rest", reads: .newFallbackOld, writes: [.new],
              ramp: false, runbook: "06-backfill.md", gates: [Gate(.checklist)]),
        Phase(id: "cleanup", title: "Verify and clean up", reads: .new, writes: [.new],
              ramp: false, runbook: "07-cleanup.md", gates: [
                  Gate(.gauge(GaugeCheck(gauge: CounterName.backfillRemaining, bounds: Bounds(max: 0), maxAgeSeconds: 3600)), overridable: false),
                  Gate(.verified(since: "backfill"), overridable: false),
                  Gate(.checklist),
              ]),
        Phase(id: "complete", title: "Old store retired", reads: .new, writes: [.new],
              ramp: false, runbook: "08-complete.md", gates: [
                  Gate(.soak(seconds: 7 * 86_400)),
                  Gate(.checklist),
                  Gate(.approval(withinSeconds: 86_400), overridable: false),
              ]),
    ])
}
