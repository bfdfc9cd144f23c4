import Foundation
import MigrationCore
import Prometheus

/// Renders a ``MetricsSnapshot`` in the Prometheus text exposition format (version 0.0.4).
///
/// A pure function of the snapshot: every scrape fills a fresh swift-prometheus registry, so a
/// phase, gate or guard that is gone leaves no stale series behind, and the library does the
/// format's escaping. Label values from the store are untrusted: control characters are
/// replaced and each value is cut to ``labelLimit`` characters.
public enum PrometheusExposition {
    /// The Content-Type of the text format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    /// The longest label value emitted, in Unicode scalars (so a name of combining marks cannot grow it).
    public static let labelLimit = 200
    /// The most counters, and the most gauges, one scrape exposes (the first by name); the rest
    /// are counted in `migctl_series_omitted`. A store of tens of thousands of names (any client
    /// may create them) would otherwise make each scrape take seconds, and Prometheus's
    /// cardinality with it.
    public static let seriesLimit = 500

    /// The exposition of `snapshot`, or of an unreadable store when it is nil.
    public static func text(_ snapshot: MetricsSnapshot?) -> String {
        String(decoding: bytes(snapshot), as: UTF8.self)
    }

    /// The exposition as bytes, ready for the response body.
    public static func bytes(_ snapshot: MetricsSnapshot?) -> [UInt8] {
        let registry = PrometheusCollectorRegistry()
        let readable = gauge(registry, .storeReadable)
        if let snapshot {
            readable.set(to: 1)
            fill(registry, from: snapshot)
        } else {
            readable.set(to: 0)
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    private static func fill(_ registry: PrometheusCollectorRegistry, from snapshot: MetricsSnapshot) {
        let state = snapshot.state, plan = snapshot.plan
        gauge(registry, .migrationInfo, ["migration": snapshot.migration.name]).set(to: 1)
        if let index = plan.index(of: state.phase) {
            let phase = plan.phases[index]
            gauge(registry, .phaseInfo, ["id": phase.id, "position": String(index + 1), "irreversible": String(phase.irreversible)]).set(to: 1)
        }
        gauge(registry, .phaseCount).set(to: Double(plan.phases.count))
        gauge(registry, .rolloutRatio).set(to: state.rollout.percent / 100)
        gauge(registry, .stateVersion).set(to: Double(state.version))
        gauge(registry, .phaseSeconds).set(to: max(0, snapshot.now.timeIntervalSince(state.phaseSince)).rounded(.down))
        gauge(registry, .phaseStarted).set(to: state.phaseSince.timeIntervalSince1970)

        let counters = snapshot.counterTotals.sorted { $0.key < $1.key }
        for (name, total) in counters.prefix(seriesLimit) {
            counter(registry, .eventsTotal, ["counter": name]).increment(by: max(0, total))
        }
        let readings = snapshot.gauges.filter(\.value.isFinite).sorted { $0.name < $1.name }
        for reading in readings.prefix(seriesLimit) {
            gauge(registry, .reported, ["gauge": reading.name]).set(to: reading.value)
            gauge(registry, .reportedAt, ["gauge": reading.name]).set(to: reading.updatedAt.timeIntervalSince1970)
        }
        gauge(registry, .seriesOmitted, ["family": MetricName.eventsTotal.rawValue]).set(to: Double(max(0, counters.count - seriesLimit)))
        gauge(registry, .seriesOmitted, ["family": MetricName.reported.rawValue]).set(to: Double(max(0, readings.count - seriesLimit)))

        if let gates = snapshot.gates {
            for (index, result) in gates.results.enumerated() {
                let labels = ["target": gates.target, "index": String(index + 1), "kind": result.kind, "gate": result.label,
                              "overridable": String(result.overridable)]
                for status in [GateStatus.pass, .fail, .unknown] {
                    gauge(registry, .nextGate, labels.merging(["status": status.rawValue]) { $1 }).set(to: result.status == status ? 1 : 0)
                }
            }
            gauge(registry, .nextGatesPassing).set(to: Double(gates.results.count - gates.blocking.count))
            gauge(registry, .nextGates).set(to: Double(gates.results.count))
        }

        for (standing, count) in snapshot.fleet.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            gauge(registry, .instances, ["state": standing.rawValue]).set(to: Double(count))
        }

        let lease = snapshot.guardLease
        gauge(registry, .guardLeaseAlive).set(to: lease?.isAlive(at: snapshot.now) == true ? 1 : 0)
        if let lease { gauge(registry, .guardLeaseEpoch).set(to: Double(lease.epoch)) }
        for firing in snapshot.guardFirings where firing.isOpen {
            gauge(registry, .guardFiring, ["guard": firing.name, "phase": firing.phase, "action": firing.action]).set(to: 1)
        }
        gauge(registry, .guardHolds).set(to: Double(snapshot.guardFirings.filter(\.blocks).count))
    }

    private static func gauge(_ registry: PrometheusCollectorRegistry, _ name: MetricName, _ labels: [String: String] = [:]) -> Prometheus.Gauge {
        labels.isEmpty ? registry.makeGauge(descriptor: name.descriptor) : registry.makeGauge(descriptor: name.descriptor, labels: safe(labels))
    }

    private static func counter(_ registry: PrometheusCollectorRegistry, _ name: MetricName, _ labels: [String: String]) -> Prometheus.Counter {
        registry.makeCounter(descriptor: name.descriptor, labels: safe(labels))
    }

    /// Labels in a fixed order, their values made printable and cut.
    private static func safe(_ labels: [String: String]) -> [(String, String)] {
        labels.sorted { $0.key < $1.key }.map { ($0.key, String(String.UnicodeScalarView($0.value.terminalSafe.unicodeScalars.prefix(labelLimit)))) }
    }
}

extension MetricName {
    /// The name and help line as swift-prometheus takes them.
    var descriptor: MetricNameDescriptor { MetricNameDescriptor(metricName: rawValue, unitName: "", helpText: help) }
}
