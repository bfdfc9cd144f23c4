import Foundation
import MigrationCore
import TestSupport
import Testing

struct GateEvaluationTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let target = Phase(id: "new-primary", title: "", reads: .newFallbackOld, writes: [.new, .old], irreversible: true)

    /// `atFullFor`: how long ago the last change (the ramp to 100%) was; the phase's entry by default.
    func inputs(phaseFor seconds: Double = 3600, atFullFor: Double? = nil, rollout: Rollout = .full, version: Int64 = 9,
                sums: [String: Int64] = [:], window: Int64 = 3600,
                gauges: [Gauge] = [], checklist: [ChecklistItem] = [], commands: [[String]: CommandOutcome] = [:],
                approvals: [Approval] = [], instances: [FleetInstance] = []) -> GateInputs {
        let state = MigrationState(phase: "read-new", rollout: rollout, version: version, phaseSince: now.addingTimeInterval(-seconds),
                                   changedAt: now.addingTimeInterval(-(atFullFor ?? seconds)), changedBy: "ana")
        return GateInputs(now: now, state: state, target: target, actor: "ana",
                          counterSums: Dictionary(uniqueKeysWithValues: sums.map { (CounterWindow(name: $0.key, seconds: window), $0.value) }),
                          gauges: Dictionary(uniqueKeysWithValues: gauges.map { ($0.name, $0) }), checklist: checklist, commands: commands,
                          approvals: approvals, instances: instances)
    }

    func status(_ kind: GateKind, _ inputs: GateInputs) -> GateResult {
        GateEvaluation.evaluate([Gate(kind)], inputs)[0]
    }

    @Test func soak() {
        #expect(status(.soak(seconds: 3600), inputs(phaseFor: 3600)).status == .pass)
        let short = status(.soak(seconds: 7 * 86_400), inputs(phaseFor: 86_400))
        #expect(short.status == .fail && short.observed == "1d" && short.bound == "≥ 7d at 100%" && short.sentence.contains("6d more"))
        #expect(short.countdown == GateCountdown(since: now.addingTimeInterval(-86_400), seconds: 7 * 86_400))
        let left = short.countdown.map { $0.left(at: now) }
        #expect(left == Int64(6 * 86_400))
    }

    @Test func aSoakCountsFromReachingFullNotFromEnteringAtZero() {
        // A day in the phase, ramped to 100% ten minutes ago: ten minutes soaked.
        let ramped = status(.soak(seconds: 3600), inputs(phaseFor: 86_400, atFullFor: 600))
        #expect(ramped.status == .fail && ramped.observed == "10m" && ramped.sentence.contains("50m more"))
        let partial = status(.soak(seconds: 60), inputs(phaseFor: 86_400, rollout: .none))
        #expect(partial.status == .fail && partial.countdown == nil && partial.sentence.contains("once read-new is at 100%"))
        // A clock running behind the stored change counts nothing, never a negative time.
        let future = status(.soak(seconds: 60), inputs(phaseFor: -30, atFullFor: -30))
        #expect(future.status == .fail && future.observed == "0s")
    }

    @Test func aPhaseWindowCountsSinceThePhaseBeganAndDoesNotForget() {
        let mismatches = GateKind.counter(CounterCheck(numerator: ["verify.mismatch"], windowSeconds: 60, bounds: Bounds(max: 0), spansPhase: true))
        // 25 mismatches in a phase entered two hours ago, none in the last minute: still a failure.
        let failed = status(mismatches, inputs(phaseFor: 7200, sums: ["verify.mismatch": 25], window: 7200))
        #expect(failed.status == .fail && failed.label == "verify.mismatch over the phase" && failed.sentence.contains("the phase (2h)"))
        #expect(status(mismatches, inputs(phaseFor: 7200, sums: [:], window: 7200)).status == .pass)
        // A phase stamped in the future counts one second.
        let state = MigrationState(phase: "x", rollout: .full, version: 1, phaseSince: now.addingTimeInterval(3600), changedAt: now, changedBy: "a")
        #expect(state.secondsInPhase(at: now) == 1)
    }

    @Test func aPhaseWindowKeepsOlderPlansEncodedAsTheyWere() throws {
        let rolling = CounterCheck(numerator: ["miss"], windowSeconds: 3600, bounds: Bounds(max: 1))
        let encoded = String(decoding: try JSONEncoder().encode(rolling), as: UTF8.self)
        #expect(!encoded.contains("spansPhase"))
        let phase = CounterCheck(numerator: ["miss"], windowSeconds: 3600, bounds: Bounds(max: 1), spansPhase: true)
        #expect(try JSONDecoder().decode(CounterCheck.self, from: JSONEncoder().encode(phase)) == phase)
        #expect(try JSONDecoder().decode(CounterCheck.self, from: Data(encoded.utf8)) == rolling)
    }

    @Test func rollout() {
        #expect(status(.rollout, inputs()).status == .pass)
        #expect(status(.rollout, inputs(rollout: .none)).status == .fail)
    }

    let missRate = GateKind.counter(CounterCheck(numerator: ["miss"], denominator: ["hit", "miss"], windowSeconds: 3600,
                                                 bounds: Bounds(max: 0.05), minSample: 1000))

    @Test func counterRatio() {
        let pass = status(missRate, inputs(sums: ["hit": 980, "miss": 20]))
        #expect(pass.status == .pass && pass.observed == "0.02 (20/1000)" && pass.bound == "≤ 0.05")
        #expect(status(missRate, inputs(sums: ["hit": 900, "miss": 100])).status == .fail)
    }

    @Test func counterBelowTheMinimumSampleIsUnknownNotPass() {
        let small = status(missRate, inputs(sums: ["hit": 10, "miss": 0]))
        #expect(small.status == .unknown && small.sentence.contains("need 1000"))
        #expect(status(missRate, inputs()).status == .unknown, "no traffic at all proves nothing")
    }

    @Test func counterCountWithoutDenominator() {
        let mismatches = GateKind.counter(CounterCheck(numerator: ["verify.mismatch"], windowSeconds: 86_400, bounds: Bounds(max: 0)))
        #expect(status(mismatches, inputs(sums: [:], window: 86_400)).status == .pass)
        #expect(status(mismatches, inputs(sums: ["verify.mismatch": 1], window: 86_400)).status == .fail)
    }

    @Test func counterSumsSaturateInsteadOfOverflowing() {
        let kind = GateKind.counter(CounterCheck(numerator: ["a", "b"], windowSeconds: 3600, bounds: Bounds(min: 1)))
        #expect(status(kind, inputs(sums: ["a": .max, "b": .max])).status == .pass)
    }

    let remaining = GateKind.gauge(GaugeCheck(gauge: "backfill.remaining", bounds: Bounds(max: 0), maxAgeSeconds: 600))

    @Test func gaugeFreshStaleAndMissing() {
        #expect(status(remaining, inputs(gauges: [Gauge(name: "backfill.remaining", value: 0, updatedAt: now.addingTimeInterval(-60))])).status == .pass)
        #expect(status(remaining, inputs(gauges: [Gauge(name: "backfill.remaining", value: 12, updatedAt: now)])).status == .fail)
        let stale = status(remaining, inputs(gauges: [Gauge(name: "backfill.remaining", value: 0, updatedAt: now.addingTimeInterval(-3600))]))
        #expect(stale.status == .unknown && stale.sentence.contains("stale"))
        #expect(status(remaining, inputs()).status == .unknown)
    }

    @Test func checklist() {
        let open = [ChecklistItem(number: 1, text: "a", tickedBy: "bo", tickedAt: now), ChecklistItem(number: 2, text: "backups tested")]
        let result = status(.checklist, inputs(checklist: open))
        #expect(result.status == .fail && result.observed == "1/2 ticked" && result.sentence.contains("#2: backups tested"))
        #expect(status(.checklist, inputs(checklist: [open[0]])).status == .pass)
    }

    @Test func commandOutcomes() {
        let check = CommandCheck(argv: ["lag-check"], timeoutSeconds: 5)
        func run(_ ending: CommandOutcome.Ending) -> GateResult {
            status(.command(check), inputs(commands: [["lag-check"]: CommandOutcome(ending: ending, lastLines: ["lag 2s"])]))
        }
        #expect(run(.exited(0)).status == .pass && run(.exited(0)).output == ["lag 2s"])
        #expect(run(.exited(2)).status == .fail)
        #expect(run(.timedOut).status == .fail && run(.timedOut).observed == "killed after 5s")
        #expect(run(.couldNotStart("no such file")).status == .fail)
        #expect(status(.command(check), inputs()).status == .unknown)
    }

    @Test func approvalMustComeFromSomeoneElseRecently() {
        let kind = GateKind.approval(withinSeconds: 3600)
        #expect(status(kind, inputs(approvals: [Approval(phase: "new-primary", actor: "bo", at: now.addingTimeInterval(-60))])).status == .pass)
        let own = status(kind, inputs(approvals: [Approval(phase: "new-primary", actor: "ana", at: now)]))
        #expect(own.status == .fail && own.sentence.contains("your own approval"))
        #expect(status(kind, inputs(approvals: [Approval(phase: "new-primary", actor: "bo", at: now.addingTimeInterval(-7200))])).status == .fail)
        #expect(status(kind, inputs(approvals: [Approval(phase: "new-only", actor: "bo", at: now)])).status == .fail)
    }

    @Test func anApprovalUnderAnotherSpellingOfTheSameNameIsOwn() {
        let kind = GateKind.approval(withinSeconds: 3600)
        for spelling in ["Ana", "ANA", "ana\u{200B}", " ana", "\u{0430}na", "ａｎａ"] {
            let result = status(kind, inputs(approvals: [Approval(phase: "new-primary", actor: spelling, at: now)]))
            #expect(result.status == .fail && result.sentence.contains("your own approval"), "\(spelling)")
        }
    }

    @Test func fleetMustServeTheCurrentVersion() {
        func instance(_ pid: Int64, version: Int64, ago: Double = 5) -> FleetInstance {
            FleetInstance(id: "i\(pid)", host: "web", pid: pid, servingVersion: version, heartbeatAt: now.addingTimeInterval(-ago), startedAt: now)
        }
        let kind = GateKind.fleet(heartbeatSeconds: 30)
        #expect(status(kind, inputs(instances: [instance(1, version: 9), instance(2, version: 9)])).status == .pass)
        let lagging = status(kind, inputs(instances: [instance(1, version: 9), instance(2, version: 8)]))
        #expect(lagging.status == .fail && lagging.observed == "1/2 on v9" && lagging.sentence.contains("web:2 on v8"))
        let silent = status(kind, inputs(instances: [instance(1, version: 9), instance(2, version: 3, ago: 300)]))
        #expect(silent.status == .unknown && silent.sentence.contains("web:2 silent since"),
                "an instance that stopped reporting without leaving may still route by v3: unknown, never absent")
        var stale = instance(2, version: 9)
        stale.stale = true
        let leaseExpired = status(kind, inputs(instances: [instance(1, version: 9), stale]))
        #expect(leaseExpired.status == .unknown && leaseExpired.sentence.contains("web:2 cannot refresh its state"))
        #expect(status(kind, inputs(instances: [instance(1, version: 8), stale])).status == .fail, "a laggard still fails")
        #expect(status(kind, inputs()).status == .unknown)
    }
}

struct CommandRunnerTests {
    @Test func passesTheEnvironmentAndKeepsTheLastLines() {
        let outcome = CommandRunner().run(CommandCheck(argv: ["sh", "-c", "seq 1 9; echo $MIGCTL_NEXT"]), environment: ["MIGCTL_NEXT": "new-primary"])
        #expect(outcome.ending == .exited(0))
        #expect(outcome.lastLines == ["6", "7", "8", "9", "new-primary"])
    }

    @Test func aHangIsKilledAtTheTimeout() {
        let start = Date()
        let outcome = CommandRunner().run(CommandCheck(argv: ["sleep", "30"], timeoutSeconds: 1), environment: [:])
        #expect(outcome.ending == .timedOut)
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test func aMissingProgramCannotStart() {
        let outcome = CommandRunner().run(CommandCheck(argv: ["/nonexistent/check"]), environment: [:])
        guard case .couldNotStart = outcome.ending else { Issue.record("\(outcome)"); return }
    }
}

struct ChecklistGateTests {
    @Test func aChecklistGateWithNoStoredItemsIsUnknownNotPassed() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let state = MigrationState(phase: "read-new", rollout: .full, version: 3, phaseSince: now, changedAt: now, changedBy: "ana")
        let target = Phase(id: "new-primary", title: "", reads: .newFallbackOld, writes: [.new, .old])
        let inputs = GateInputs(now: now, state: state, target: target, actor: "ana", checklist: [])
        let result = GateEvaluation.evaluate([Gate(.checklist)], inputs)[0]
        #expect(result.status == .unknown && result.sentence.contains("holds no checklist for read-new"))
    }
}

struct FutureInstantTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func inputs(gauges: [Gauge] = [], approvals: [Approval] = [], instances: [FleetInstance] = []) -> GateInputs {
        let state = MigrationState(phase: "read-new", rollout: .full, version: 9, phaseSince: now, changedAt: now, changedBy: "ana")
        return GateInputs(now: now, state: state, target: Phase(id: "new-primary", title: "", reads: .newFallbackOld, writes: [.new, .old]),
                          actor: "ana", gauges: Dictionary(uniqueKeysWithValues: gauges.map { ($0.name, $0) }),
                          approvals: approvals, instances: instances)
    }

    @Test func instantsFromTheFutureSatisfyNoGate() {
        let future = Date(timeIntervalSince1970: 4_070_908_800)  // 2099
        let gauge = GateEvaluation.evaluate([Gate(.gauge(GaugeCheck(gauge: "lag", bounds: Bounds(max: 5), maxAgeSeconds: 60)))],
                                            inputs(gauges: [Gauge(name: "lag", value: 1, updatedAt: future)]))[0]
        #expect(gauge.status == .unknown && gauge.sentence.contains("in the future"))
        let approval = GateEvaluation.evaluate([Gate(.approval(withinSeconds: 3600))],
                                               inputs(approvals: [Approval(phase: "new-primary", actor: "bo", at: future, reason: nil)]))[0]
        #expect(approval.status == .fail)
        let ghost = FleetInstance(id: "g", host: "h", pid: 1, servingVersion: 1, heartbeatAt: future, startedAt: now)
        let fleet = GateEvaluation.evaluate([Gate(.fleet(heartbeatSeconds: 60))], inputs(instances: [ghost]))[0]
        #expect(fleet.status == .unknown, "a heartbeat from 2099 is not a live instance")
        #expect(!ghost.isLive(at: now, within: 60) && FleetInstance(id: "a", host: "h", pid: 2, servingVersion: 9, heartbeatAt: now.addingTimeInterval(30),
                                                                        startedAt: now).isLive(at: now, within: 60), "a little clock skew is fine")
    }
}

/// Figures and bounds as gates print them: a bound of 0.00005 must not read as 0.0001 or `0.`.
struct GateFormatTests {
    @Test(arguments: [
        (0.05, "0.05"), (12.0, "12"), (1.5, "1.5"), (0.001, "0.001"), (0.0082, "0.0082"), (0.00005, "5e-05"),
        (0.00001, "1e-05"), (-0.25, "-0.25"), (2.5e20, "2.5e+20"), (Double.nan, "NaN"), (Double.infinity, "+Inf"),
        (-Double.infinity, "-Inf"), (0.99999, "1"), (123.45678, "123.4568"),
    ])
    func numbersKeepTheirMagnitude(_ value: Double, _ text: String) {
        #expect(GateFormat.number(value) == text)
    }

    @Test func boundsOfSmallRatiosReadAsWritten() {
        #expect(Bounds(max: 0.00005).description == "≤ 5e-05")
        #expect(Bounds(min: 0.001, max: 0.01).description == "0.001–0.01")
    }
}
