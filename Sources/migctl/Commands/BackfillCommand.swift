import ArgumentParser

/// `migctl backfill`: steer the backfill while it runs (its `job_control` row, each change
/// audited) and see where it is.
struct BackfillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Pause, resume, rate-limit or resize the backfill's batches while it runs, or show where it is.",
        discussion: """
            The backfill reads these settings before each batch, so a change takes effect within one \
            batch. Each change is recorded in the audit log; on PostgreSQL it takes the operator role.
            """,
        subcommands: [JobPause<BackfillJob>.self, JobResume<BackfillJob>.self, JobRate<BackfillJob>.self, JobBatch<BackfillJob>.self,
                      JobStatus<BackfillJob>.self],
        defaultSubcommand: JobStatus<BackfillJob>.self
    )
}
