/// Asks Prometheus a gate's query. MigrationCore names the question only; migctl injects the
/// real asker (the `Monitoring` target's, over HTTP), so that MigrationCore, and what
/// applications link, carry no networking.
///
/// ```swift
/// let outcome = querier.query(check, cancel: flag)   // .value(0.004), or .unknown(.noSeries)
/// ```
public protocol PrometheusQuerying: Sendable {
    /// Runs `check`'s instant query and waits at most its timeout; `cancel` stops it at once.
    /// Never throws: every failure is an ``PrometheusOutcome/unknown(_:)`` with its reason.
    func query(_ check: PrometheusCheck, cancel: CancelFlag?) -> PrometheusOutcome
}

/// The asker of a process that cannot ask Prometheus (a library user, a test): every query
/// is unknown, and says so.
public struct NoPrometheus: PrometheusQuerying {
    public init() {}

    public func query(_ check: PrometheusCheck, cancel: CancelFlag?) -> PrometheusOutcome {
        .unknown(.notQueried("this process cannot query Prometheus; 'migctl check' can"))
    }
}

/// The probes outside the control store that gates run: programs (command gates) and
/// Prometheus queries (prometheus gates). Both run only when a decision is made (an advance,
/// `migctl check`, a dry run with `--run-commands`, each guard interval), never for a preview.
///
/// ```swift
/// let control = MigrationControl(store: store, signer: signer, checks: ExternalChecks(prometheus: PrometheusQuerier()))
/// ```
public struct ExternalChecks: Sendable {
    public var commands: CommandRunner
    public var prometheus: any PrometheusQuerying

    public init(commands: CommandRunner = CommandRunner(), prometheus: any PrometheusQuerying = NoPrometheus()) {
        self.commands = commands
        self.prometheus = prometheus
    }
}
