import MigrationCore
import Monitoring

extension ExternalChecks {
    /// What migctl's commands check gates with: the plan's programs, and Prometheus over
    /// HTTP (MigrationCore alone cannot query it; an application linking it never does).
    static let migctl = ExternalChecks(prometheus: PrometheusQuerier())
}
