extension Plan {
    /// The built-in dual-write / lazy-migration / backfill plan of eight phases.
    ///
    /// `new-primary` is the point of no return: from there on the old store misses
    /// writes, so it and `new-only` are irreversible.
    public static let `default` = Plan(phases: [
        Phase(id: "old-only", title: "Old store only", reads: .old, writes: [.old],
              ramp: false, runbook: "01-old-only.md"),
        Phase(id: "dual-write", title: "Write both, read old", reads: .old, writes: [.old, .new],
              runbook: "02-dual-write.md"),
        Phase(id: "read-new", title: "Read new, fall back to old", reads: .newFallbackOld, writes: [.old, .new],
              runbook: "03-read-new.md"),
        Phase(id: "new-primary", title: "New store is primary", reads: .newFallbackOld, writes: [.new, .old],
              irreversible: true, runbook: "04-new-primary.md"),
        Phase(id: "new-only", title: "Write new only", reads: .newFallbackOld, writes: [.new],
              irreversible: true, runbook: "05-new-only.md"),
        Phase(id: "backfill", title: "Backfill the rest", reads: .newFallbackOld, writes: [.new],
              ramp: false, runbook: "06-backfill.md"),
        Phase(id: "cleanup", title: "Verify and clean up", reads: .new, writes: [.new],
              ramp: false, runbook: "07-cleanup.md"),
        Phase(id: "complete", title: "Old store retired", reads: .new, writes: [.new],
              ramp: false, runbook: "08-complete.md"),
    ])
}
