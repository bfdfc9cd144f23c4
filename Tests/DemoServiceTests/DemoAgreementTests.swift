import DemoService
import MigrationCore
import Testing

/// The demo's plan, its workload and the autopilot's patience agree: with the service's
/// defaults (100,000 users, 400 requests/s, 4 workers), and at half that pace as on a busy
/// 2-core machine, the workload brings the miss ratio under `new-primary`'s gate well
/// within the time the autopilot waits for it.
///
/// A model, not a run: it replays the workload's key choices against the store contents
/// that reads and writes leave (a key is in the new store once a new-reading read copied it
/// or a dual write put it there), through the autopilot's ramp, and evaluates the counter
/// gates of `new-primary` second by second over their windows.
struct DemoAgreementTests {
    @Test(arguments: [400.0, 200.0])
    func theMissGateOfTheDemoPlanPassesWithinTheAutopilotsPatience(rate: Double) throws {
        let plan = Plan.demo()
        let target = try #require(plan.phase("new-primary"))
        let miss = try #require(target.gates.lazy.compactMap { gate -> CounterCheck? in
            if case .counter(let check) = gate.kind, check.numerator == ["miss"] { check } else { nil }
        }.first)
        let soak = try #require(target.gates.lazy.compactMap { gate -> Int64? in
            if case .soak(let seconds) = gate.kind { seconds } else { nil }
        }.first)
        let patience = Autopilot.patience(for: target)
        let passedAfter = MissModel(keys: KeySpace(seededKeys: 100_000, workers: 4), rate: rate)
            .secondsUntilPassing(miss, soak: Int(soak), rampPause: 1, giveUpAfter: patience * 2)
        let seconds = try #require(passedAfter, "the miss gate never passed at \(rate)/s")
        #expect(Double(seconds) <= patience / 2, "at \(rate)/s the miss gate passed after \(seconds) s; the autopilot waits \(patience) s")
    }

    @Test func theAutopilotsPatienceFollowsFromThePlan() throws {
        let demo = try #require(Plan.demo().phase("new-primary"))
        #expect(Autopilot.patience(for: demo) == 2 * 60 + 60, "a 60 s counter window, waited for twice, and a minute")
        let longSoak = try #require(Plan.demo(soak: 300).phase("new-primary"))
        #expect(Autopilot.patience(for: longSoak) == 2 * 300 + 60)
        let real = try #require(Plan.default.phase("new-primary"))
        #expect(Autopilot.patience(for: real) == 2 * 7 * 86_400 + 60)
        let ungated = try #require(Plan.demo().phase("backfill"))
        #expect(Autopilot.patience(for: ungated) == 60)
    }
}

/// Replays the workload's choice of keys and operations in memory.
struct MissModel {
    let keys: KeySpace
    let rate: Double
    let hasher = Bucketing.hasher(salt: "demo-users")

    /// Seconds from `read-new` at 100% until `check` passes (and the soak is over), or nil.
    func secondsUntilPassing(_ check: CounterCheck, soak: Int, rampPause: Int, giveUpAfter limit: Double) -> Int? {
        var random = SplitMix64(state: 42)
        var inNew = Set<Int>()
        var hits: [Int] = [], misses: [Int] = []   // per second since read-new was entered
        let ladder = Rollout.ladder.dropFirst().map(\.basisPoints)
        let perSecond = Int(rate)
        let rampSeconds = ladder.count * rampPause
        // dual-write, ramped: writes of keys inside the rollout reach the new store.
        for second in 0..<rampSeconds {
            let rollout = ladder[second / rampPause]
            for op in 0..<perSecond {
                let (index, roll) = choose(op, &random)
                if roll >= 70, bucket(index) < rollout { inNew.insert(index) }
            }
        }
        // read-new, ramped, then held at 100% while the autopilot waits for new-primary's gates.
        for second in 0..<(rampSeconds + Int(limit)) {
            let rollout = ladder[min(second / rampPause, ladder.count - 1)]
            var hit = 0, miss = 0
            for op in 0..<perSecond {
                let (index, roll) = choose(op, &random)
                guard bucket(index) < rollout else { continue }
                if roll < 70 {
                    if inNew.insert(index).inserted { miss += 1 } else { hit += 1 }
                } else {
                    inNew.insert(index)
                }
            }
            hits.append(hit)
            misses.append(miss)
            let window = max(0, hits.count - Int(check.windowSeconds))
            let h = hits[window...].reduce(0, +), m = misses[window...].reduce(0, +)
            let waited = second + 1 - rampSeconds
            if waited >= 0, second + 1 >= soak, Int64(h + m) >= check.minSample,
               check.bounds.contains(Double(m) / Double(h + m)) {
                return waited
            }
        }
        return nil
    }

    private func choose(_ op: Int, _ random: inout SplitMix64) -> (index: Int, roll: Int) {
        (keys.pick(for: op % keys.workers, using: &random), Int.random(in: 0..<100, using: &random))
    }

    private func bucket(_ index: Int) -> Int { hasher.bucket(DemoStores.key(index)) }
}
