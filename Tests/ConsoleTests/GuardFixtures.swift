import Console
import Foundation
import MigrationCore

/// The console's fixture with a guard: read-new holds on an error rate, notifies on a lag, and
/// ramps 1 → 5 → 25 → 50 → 100% every 30m (at 25% since ten minutes ago, so 50% is due in 20m).
extension Fixtures {
    static let guardedPlan = Plan(phases: Plan.default.phases.map { phase in
        guard phase.id == "read-new" else { return phase }
        var phase = phase
        let errors = CounterCheck(numerator: ["write.new.error"], denominator: ["write"], windowSeconds: 300,
                                  bounds: Bounds(max: 0.01), minSample: 100)
        let lag = GaugeCheck(gauge: "replication.lag_seconds", bounds: Bounds(max: 10), maxAgeSeconds: 300)
        phase.automation = PhaseAutomation(
            guards: [PhaseGuard(name: "new-store-errors", when: Gate(.counter(errors)), action: .hold),
                     PhaseGuard(name: "replication-lag", when: Gate(.gauge(lag)), action: .notify)],
            ramp: RampSchedule(steps: [100, 500, 2500, 5000, 10_000].map { try! Rollout(basisPoints: $0) }, everySeconds: 1800))
        return phase
    })

    static let holder = "guard@db1 pid 4242 #9f2c"

    static func firing(_ name: String = "new-store-errors", action: String = "hold", id: Int64 = 1, minutesAgo: Double = 20,
                       observed: String = "0.05 (50/1000)", bound: String = "≤ 0.01") -> GuardFiring {
        GuardFiring(id: id, name: name, phase: "read-new", action: action, firedAt: now.addingTimeInterval(-minutesAgo * 60),
                    firedBy: "guard@db1", observed: observed, bound: bound, sentence: "the error rate is above its bound")
    }

    static func lease(alive: Bool = true, holder: String = Fixtures.holder, status: GuardStatus? = GuardStatus(
        intervalSeconds: 5,
        guards: [GuardStatus.Watched(name: "new-store-errors", action: "hold", status: .pass, observed: "0.001 (1/1000)", bound: "≤ 0.01"),
                 GuardStatus.Watched(name: "replication-lag", action: "notify", status: .pass, observed: "2", bound: "≤ 10")])) -> GuardLease {
        let renewed = alive ? now.addingTimeInterval(-3) : now.addingTimeInterval(-3600)
        return GuardLease(holder: holder, host: "db1", pid: 4242, epoch: 1, acquiredAt: now.addingTimeInterval(-86_400), renewedAt: renewed,
                          expiresAt: renewed.addingTimeInterval(30), status: status?.json)
    }

    /// The fixture's data with the guarded plan, `lease` and the open `firings`.
    static func guarded(lease: GuardLease? = Fixtures.lease(), firings: [GuardFiring] = [], rollout: Int = 2500) -> ConsoleData {
        var data = Fixtures.data(rollout: rollout)
        data.plan = guardedPlan
        data.guardLease = lease
        data.guardStatus = lease?.decodedStatus
        data.guardFirings = firings
        return data
    }
}
