import Foundation

/// Turns a phase's gates and the gathered inputs into results: a pure function.
///
/// ```swift
/// let results = GateEvaluation.evaluate(target.gates, inputs)
/// GateEvaluation.blocking(results)   // what stops an advance
/// ```
public enum GateEvaluation {
    /// One result per gate, in the plan's order.
    public static func evaluate(_ gates: [Gate], _ inputs: GateInputs) -> [GateResult] {
        gates.map { evaluate($0, inputs) }
    }

    /// The results that stop an advance: every one that did not pass.
    public static func blocking(_ results: [GateResult]) -> [GateResult] {
        results.filter { $0.status != .pass }
    }

    static func evaluate(_ gate: Gate, _ inputs: GateInputs) -> GateResult {
        func result(_ label: String, _ status: GateStatus, _ observed: String, _ bound: String, _ sentence: String,
                    output: [String]? = nil) -> GateResult {
            GateResult(kind: gate.kind.name, label: label, status: status, observed: observed, bound: bound,
                       sentence: sentence, overridable: gate.overridable, output: output)
        }
        switch gate.kind {
        case .soak(let seconds):
            // A soak watches every key with the phase's behaviour: it counts from the moment the
            // phase reached 100% (its entry, for a phase that is not ramped), not from 0%.
            let label = "soak in \(inputs.state.phase)"
            let bound = "≥ \(GateFormat.duration(seconds)) at 100%"
            guard inputs.state.rollout == .full else {
                return result(label, .fail, "0s (at \(inputs.state.rollout))", bound,
                              "the soak counts once \(inputs.state.phase) is at 100%; it is at \(inputs.state.rollout)")
            }
            let clock = GateCountdown(since: inputs.state.changedAt, seconds: seconds)
            let spent = clock.elapsed(at: inputs.now)
            var soaked = spent >= seconds
                ? result(label, .pass, GateFormat.duration(spent), bound, "the phase has soaked long enough at 100%")
                : result(label, .fail, GateFormat.duration(spent), bound,
                         "\(GateFormat.duration(seconds - spent)) more in \(inputs.state.phase) at 100% before moving on")
            soaked.countdown = clock
            return soaked

        case .rollout:
            let full = inputs.state.rollout == .full
            return result("rollout of \(inputs.state.phase)", full ? .pass : .fail, "\(inputs.state.rollout)", "100%",
                          full ? "every key has the current phase's behaviour" : "ramp the current phase to 100% first")

        case .counter(let check):
            return evaluateCounter(check, inputs, result)

        case .gauge(let check):
            let label = "\(check.gauge) \(check.bounds)"
            guard let gauge = inputs.gauges[check.gauge] else {
                return result(label, .unknown, "never reported", check.bounds.description, "nothing has reported \(check.gauge) yet")
            }
            let age = Int64(inputs.now.timeIntervalSince(gauge.updatedAt))
            if Double(age) < -FleetInstance.clockSkewSeconds {
                return result(label, .unknown, "\(GateFormat.number(gauge.value)) (from the future)", check.bounds.description,
                              "\(check.gauge) was reported \(GateFormat.duration(-age)) in the future; its clock or its row is wrong")
            }
            let observed = "\(GateFormat.number(gauge.value)) (\(GateFormat.duration(max(0, age))) ago)"
            if age > check.maxAgeSeconds {
                return result(label, .unknown, observed, check.bounds.description,
                              "\(check.gauge) is stale: last reported \(GateFormat.duration(age)) ago, older than \(GateFormat.duration(check.maxAgeSeconds))")
            }
            return check.bounds.contains(gauge.value)
                ? result(label, .pass, observed, check.bounds.description, "\(check.gauge) is within bounds")
                : result(label, .fail, observed, check.bounds.description, "\(check.gauge) is \(GateFormat.number(gauge.value)), outside \(check.bounds)")

        case .checklist:
            if inputs.checklist.isEmpty {
                return result("checklist of \(inputs.state.phase)", .unknown, "no items", "all",
                              "the control database holds no checklist for \(inputs.state.phase): its runbook lists no '- [ ]' items, or the database was created without them")
            }
            let open = inputs.checklist.filter { !$0.isTicked }
            let observed = "\(inputs.checklist.count - open.count)/\(inputs.checklist.count) ticked"
            if open.isEmpty {
                return result("checklist of \(inputs.state.phase)", .pass, observed, "all", "every checklist item is ticked")
            }
            let first = open[0]
            return result("checklist of \(inputs.state.phase)", .fail, observed, "all",
                          "\(open.count) item\(open.count == 1 ? "" : "s") open, first #\(first.number): \(first.text)")

        case .command(let check):
            let label = check.argv.joined(separator: " ")
            guard let outcome = inputs.commands[check.argv] else {
                return result(label, .unknown, "not run yet", "exit 0", "the command runs when you advance or run 'migctl check'")
            }
            switch outcome.ending {
            case .exited(0):
                return result(label, .pass, "exit 0", "exit 0", "the command passed", output: outcome.lastLines)
            case .exited(let code):
                return result(label, .fail, "exit \(code)", "exit 0", "the command failed", output: outcome.lastLines)
            case .timedOut:
                return result(label, .fail, "killed after \(GateFormat.duration(check.timeoutSeconds))", "exit 0",
                              "the command did not finish within \(GateFormat.duration(check.timeoutSeconds)) and was killed", output: outcome.lastLines)
            case .couldNotStart(let why):
                return result(label, .fail, "not started", "exit 0", "the command could not start: \(why)")
            case .cancelled:
                return result(label, .unknown, "cancelled", "exit 0", "the command was cancelled before it finished", output: outcome.lastLines)
            }

        case .approval(let within):
            // Names compare as people: `Alice`, `alice` and `alice` with a zero-width space
            // written by a foreign client are one operator, who cannot approve their own advance.
            let label = "approval of \(inputs.target.id) by another operator"
            let recent = inputs.approvals.filter {
                $0.phase == inputs.target.id && !Operator.isSamePerson($0.actor, inputs.actor) && inputs.now.timeIntervalSince($0.at) <= Double(within)
                    && inputs.now.timeIntervalSince($0.at) >= -FleetInstance.clockSkewSeconds
            }
            if let approval = recent.max(by: { $0.at < $1.at }) {
                return result(label, .pass, "\(approval.actor), \(GateFormat.duration(Int64(inputs.now.timeIntervalSince(approval.at)))) ago",
                              "within \(GateFormat.duration(within))", "\(approval.actor) approved")
            }
            let own = inputs.approvals.contains { $0.phase == inputs.target.id && Operator.isSamePerson($0.actor, inputs.actor) }
            return result(label, .fail, "none", "within \(GateFormat.duration(within))",
                          own ? "your own approval does not count; another operator must run 'migctl approve \(inputs.target.id)'"
                              : "another operator must run 'migctl approve \(inputs.target.id)'")

        case .fleet(let heartbeat):
            // An instance that stopped reporting without leaving the fleet (a partition, a
            // crash) may still route by an old state: it is unknown, never absent.
            let live = inputs.instances.filter { $0.isLive(at: inputs.now, within: Double(heartbeat)) }
            let silent = inputs.instances.filter { !$0.isLive(at: inputs.now, within: Double(heartbeat)) }
            let stale = live.filter(\.stale)
            let current = live.filter { !$0.stale && $0.servingVersion == inputs.state.version }
            let observed = "\(current.count)/\(inputs.instances.count) on v\(inputs.state.version)"
            let label = "fleet on the current version"
            guard !inputs.instances.isEmpty else {
                return result(label, .unknown, observed, "all live", "no client instance has reported within \(GateFormat.duration(heartbeat))")
            }
            let laggards = live.filter { !$0.stale && $0.servingVersion != inputs.state.version }
            if !laggards.isEmpty {
                let named = laggards.prefix(3).map { "\($0.host):\($0.pid) on v\($0.servingVersion)" }.joined(separator: ", ")
                return result(label, .fail, observed, "all live", "instances still on an older state: \(named)")
            }
            if !stale.isEmpty || !silent.isEmpty {
                let named = (stale.prefix(3).map { "\($0.host):\($0.pid) cannot refresh its state (routes by v\($0.servingVersion))" }
                    + silent.prefix(3).map { "\($0.host):\($0.pid) silent since \(Timestamp.string($0.heartbeatAt))" })
                    .joined(separator: ", ")
                return result(label, .unknown, observed, "all live",
                              "cannot confirm \(stale.count + silent.count) instance(s): \(named); if one is gone for good, 'migctl fleet forget ID --reason TEXT' removes it")
            }
            return result(label, .pass, observed, "all live", "every instance serves the current state")

        case .window(let check):
            switch inputs.zones[check.zone] {
            case .success(let zone)?:
                let verdict = check.verdict(at: inputs.now, zone: zone)
                return result(check.description, verdict.isOpen ? .pass : .fail, verdict.observed, check.hours, verdict.sentence)
            case .failure(let problem)?:
                return result(check.description, .unknown, "no zone", check.hours, problem.description)
            case nil:
                return result(check.description, .unknown, "not read", check.hours, "the zone \(check.zone) was not read from the tz database")
            }

        case .prometheus(let check):
            let bound = check.bounds.description
            switch inputs.prometheus[check.key] {
            case .value(let value)?:
                let observed = PrometheusOutcome.figure(value)
                return check.bounds.contains(value)
                    ? result(check.label, .pass, observed, bound, "the query's value is within bounds")
                    : result(check.label, .fail, observed, bound, "the query's value is \(observed), outside \(bound)")
            case .unknown(let problem)?:
                return result(check.label, .unknown, problem.observed, bound, problem.reason)
            case nil:
                return result(check.label, .unknown, "not queried yet", bound, "the query runs when you advance or run 'migctl check'")
            }

        case .verified(let since):
            return evaluateVerified(since: since, inputs, result)
        }
    }

    private static func evaluateCounter(
        _ check: CounterCheck, _ inputs: GateInputs,
        _ result: (String, GateStatus, String, String, String, [String]?) -> GateResult
    ) -> GateResult {
        let seconds = check.seconds(in: inputs.state, at: inputs.now)
        func sum(_ names: [String]) -> Int64 {
            names.reduce(Int64(0)) { total, name in
                let (value, overflow) = total.addingReportingOverflow(inputs.counterSums[CounterWindow(name: name, seconds: seconds)] ?? 0)
                return overflow ? .max : value
            }
        }
        // The label stays the same while the phase ages (checklist items and guards name it);
        // the sentences say how long the phase has lasted.
        let window = check.windowLabel
        let span = check.spansPhase ? "the phase (\(GateFormat.duration(seconds)))" : window
        let top = check.numerator.joined(separator: " + ")
        let numerator = sum(check.numerator)
        guard let denominatorNames = check.denominator else {
            let label = "\(top) over \(window)"
            let observed = GateFormat.number(Double(numerator))
            if numerator < check.minSample {
                return result(label, .unknown, observed, check.bounds.description, "only \(numerator) events over \(span); need \(check.minSample) to judge", nil)
            }
            return check.bounds.contains(Double(numerator))
                ? result(label, .pass, observed, check.bounds.description, "\(top) is within bounds", nil)
                : result(label, .fail, observed, check.bounds.description, "\(top) is \(numerator) over \(span), outside \(check.bounds)", nil)
        }
        let denominator = sum(denominatorNames)
        let label = "\(top) / (\(denominatorNames.joined(separator: " + "))) over \(window)"
        if denominator == 0 || denominator < check.minSample {
            return result(label, .unknown, "\(numerator)/\(denominator)", check.bounds.description,
                          "only \(denominator) events over \(span); need \(max(1, check.minSample)) to judge", nil)
        }
        let ratio = Double(numerator) / Double(denominator)
        let observed = "\(GateFormat.number(ratio)) (\(numerator)/\(denominator))"
        return check.bounds.contains(ratio)
            ? result(label, .pass, observed, check.bounds.description, "the ratio is within bounds", nil)
            : result(label, .fail, observed, check.bounds.description, "the ratio is \(GateFormat.number(ratio)), outside \(check.bounds)", nil)
    }
}
