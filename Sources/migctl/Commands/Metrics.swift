import ArgumentParser
import Foundation
import MigrationCore
import Monitoring

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Serve the migration's state at /metrics in the Prometheus text format, until SIGTERM or SIGINT.",
        discussion: """
            Each scrape reads the control store: the phase (migctl_phase_info), the rollout ratio, the \
            state version, the seconds in the phase, every counter's total (migctl_events_total) and \
            gauge (migctl_reported_value), every gate of the next phase as pass, fail or unknown, the fleet's live, behind, \
            stale and silent instances, and the guard's lease and fired guards. Gates are previewed \
            as the console previews them: command checks are not run and Prometheus is not queried on \
            a scrape. When \
            the store cannot be read, a scrape answers migctl_store_readable 0 and nothing else, so an \
            alert fires rather than a stale figure being believed.

            It serves plain HTTP with no authentication: keep it on loopback or a private network, \
            or behind a proxy that adds TLS. On PostgreSQL, the application role is enough.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var log: LogOptions

    @Option(name: .long, help: ArgumentHelp("Where to listen: HOST:PORT with a numeric host ([::1]:9464 for IPv6, port 0 for any free port).", valueName: "host:port"))
    var listen = "127.0.0.1:9464"

    func validate() throws {
        do {
            _ = try ListenAddress(listen)
        } catch {
            throw ValidationError("--listen \(error.description).")
        }
    }

    func run() throws {
        let stop = StopRequest(parent: nil)
        try reportingFailures {
            let logger = log.bootstrap(label: "migctl.metrics")
            let opened = try store.open(lockWait: MetricsSource.lockWait)
            _ = try opened.state()   // a store that cannot be read at all is an error now, not a 0 later
            let source = MetricsSource(store: opened, actor: opened.previewActor(), logger: logger)
            let server = try MetricsServer.start(listen: try ListenAddress(listen)) { source.exposition() }
            say("migctl metrics: serving http://\(server.address)/metrics for \(opened.location.terminalSafe)")
            fflush(nil)
            if !server.address.isLoopback {
                logger.warning("listening on \(server.address), beyond this machine: /metrics has no authentication")
            }
            stop.wait(seconds: nil)
            logger.notice("stopping")
            server.stop()
        }
    }
}
