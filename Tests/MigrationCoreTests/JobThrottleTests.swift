import Foundation
import MigrationCore
import Testing

/// The health throttle: a pure decision from the gauges and the clock, and its plan syntax.
struct JobThrottleTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let lag = JobThrottle(gauge: "replication.lag_seconds", slowAbove: 5, slowRate: 200, pauseAbove: 30, maxAgeSeconds: 60)

    func gauges(_ values: [String: (Double, TimeInterval)]) -> [String: Gauge] {
        values.reduce(into: [:]) { $0[$1.key] = Gauge(name: $1.key, value: $1.value.0, updatedAt: now.addingTimeInterval(-$1.value.1)) }
    }

    @Test func theGaugeDecidesFullSpeedSlowOrPause() {
        #expect(ThrottleDecision.decide([lag], gauges: gauges(["replication.lag_seconds": (2, 5)]), now: now) == .fullSpeed)
        #expect(ThrottleDecision.decide([lag], gauges: gauges(["replication.lag_seconds": (5, 5)]), now: now) == .fullSpeed, "bounds are inclusive")
        let slow = ThrottleDecision.decide([lag], gauges: gauges(["replication.lag_seconds": (12, 5)]), now: now)
        #expect(slow == .slow(rate: 200, reason: "slowed to 200 rows a second: replication.lag_seconds is 12, above 5"))
        let pause = ThrottleDecision.decide([lag], gauges: gauges(["replication.lag_seconds": (31, 5)]), now: now)
        #expect(pause == .pause(reason: "paused: replication.lag_seconds is 31, above 30"))
        #expect(ThrottleDecision.decide([lag], gauges: gauges(["replication.lag_seconds": (.nan, 5)]), now: now).reason?.hasPrefix("paused") == true,
                "a gauge that is not a number is not healthy")
    }

    /// A slow rate the plan file refuses, written into the stored plan behind migctl's back,
    /// pauses instead of reading as "no limit" while the job says it is slowed.
    @Test func aTamperedSlowRatePauses() {
        let tampered = JobThrottle(gauge: "replication.lag_seconds", slowAbove: 5, slowRate: 0)
        #expect(ThrottleDecision.decide([tampered], gauges: gauges(["replication.lag_seconds": (9, 1)]), now: now).reason
            == "paused: the throttle on replication.lag_seconds has a slow rate of 0, not 1 to 1000000000 rows a second")
    }

    @Test func aMissingStaleOrFutureGaugePauses() {
        #expect(ThrottleDecision.decide([lag], gauges: [:], now: now).reason == "paused: replication.lag_seconds has never been reported, and the plan throttles on it")
        #expect(ThrottleDecision.decide([lag], gauges: gauges(["replication.lag_seconds": (1, 120)]), now: now).reason?.contains("older than 1m") == true)
        #expect(ThrottleDecision.decide([lag], gauges: gauges(["replication.lag_seconds": (1, -3600)]), now: now).reason?.contains("future") == true)
    }

    @Test func theStrictestRuleWins() {
        let cpu = JobThrottle(gauge: "db.cpu", slowAbove: 0.5, slowRate: 50)
        let both = gauges(["replication.lag_seconds": (10, 1), "db.cpu": (0.9, 1)])
        #expect(ThrottleDecision.decide([lag, cpu], gauges: both, now: now) == .slow(rate: 50, reason: "slowed to 50 rows a second: db.cpu is 0.9, above 0.5"))
        let paused = gauges(["replication.lag_seconds": (40, 1), "db.cpu": (0.9, 1)])
        #expect(ThrottleDecision.decide([cpu, lag], gauges: paused, now: now).reason?.hasPrefix("paused") == true)
    }

    @Test func thePlanFileReadsAndChecksThrottles() throws {
        func plan(_ throttle: String) -> String {
            """
            phases:
              - {id: old-only, reads: old, writes: [old]}
              - id: backfill
                reads: new-fallback-old
                writes: [new]
                throttle: \(throttle)
            """
        }
        let parsed = try PlanFile.parse(plan("[{gauge: replication.lag_seconds, slow_above: 5, slow_rate: 200, pause_above: 30, max_age: 2m}]"), file: "p.yaml")
        #expect(parsed.phase("backfill")?.automation.throttle == [JobThrottle(gauge: "replication.lag_seconds", slowAbove: 5, slowRate: 200,
                                                                               pauseAbove: 30, maxAgeSeconds: 120)])
        for (bad, complaint) in [
            ("[{gauge: lag}]", "neither slow_above nor pause_above"),
            ("[{gauge: lag, slow_above: 5}]", "slow_above and slow_rate go together"),
            ("[{gauge: lag, slow_above: 50, slow_rate: 10, pause_above: 30}]", "is not below pause_above"),
            ("[{gauge: lag, pause_above: 30, speed: fast}]", "is not a field of a throttle"),
            ("[{gauge: 'Lag!', pause_above: 30}]", "is not a valid gauge name"),
            ("[{gauge: lag, slow_above: 1, slow_rate: 0}]", "is 1 to 1000000000 rows a second"),
        ] {
            #expect(throws: PlanError.self, "\(bad)") { try PlanFile.parse(plan(bad), file: "p.yaml") }
            do { _ = try PlanFile.parse(plan(bad), file: "p.yaml") } catch { #expect(error.description.contains(complaint), "\(error.description)") }
        }
    }

    @Test func aPlanWithoutThrottlesIsStoredAsBefore() throws {
        let automation = PhaseAutomation(autoAdvance: true)
        #expect(automation.storedText?.contains("throttle") == false, "the stored text (and the plan's hash) of older plans is unchanged")
        let decoded = try JSONDecoder().decode(PhaseAutomation.self, from: Data(#"{"autoAdvance":true,"guards":[]}"#.utf8))
        #expect(decoded == automation)
        let throttled = PhaseAutomation(throttle: [lag])
        #expect(try JSONDecoder().decode(PhaseAutomation.self, from: Data(throttled.storedText!.utf8)) == throttled)
    }
}
