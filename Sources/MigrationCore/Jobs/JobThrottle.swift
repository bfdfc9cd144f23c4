import Foundation

/// A phase's health rule for the long jobs (the backfill and the verification), as gh-ost
/// throttles on replica lag: while the gauge is above `slowAbove` a job copies at most
/// `slowRate` rows a second, and above `pauseAbove` it stops; it goes back to full speed by
/// itself when the gauge recovers.
///
/// ```yaml
/// throttle:
///   - {gauge: replication.lag_seconds, slow_above: 5, slow_rate: 200, pause_above: 30, max_age: 1m}
/// ```
///
/// A gauge that is missing, stale (older than `maxAgeSeconds`) or from the future pauses the
/// jobs: when the plan asks to watch the database's health and nobody reports it, the heaviest
/// load of the migration does not run blind.
public struct JobThrottle: Sendable, Equatable, Codable {
    public var gauge: String
    public var slowAbove: Double?
    /// Rows a second at most while the gauge is above ``slowAbove``.
    public var slowRate: Int64?
    public var pauseAbove: Double?
    public var maxAgeSeconds: Int64

    public init(gauge: String, slowAbove: Double? = nil, slowRate: Int64? = nil, pauseAbove: Double? = nil, maxAgeSeconds: Int64 = 60) {
        self.gauge = gauge
        self.slowAbove = slowAbove
        self.slowRate = slowRate
        self.pauseAbove = pauseAbove
        self.maxAgeSeconds = maxAgeSeconds
    }

    /// `replication.lag_seconds: slow to 200/s above 5, pause above 30`.
    public var summary: String {
        var parts: [String] = []
        if let slowAbove, let slowRate { parts.append("slow to \(slowRate)/s above \(GateFormat.number(slowAbove))") }
        if let pauseAbove { parts.append("pause above \(GateFormat.number(pauseAbove))") }
        return "\(gauge): " + parts.joined(separator: ", ")
    }
}

/// What a phase's throttles ask of a job now: a pure function of the gauges and the clock.
public enum ThrottleDecision: Sendable, Equatable {
    case fullSpeed
    /// At most `rate` rows a second, because of `reason`.
    case slow(rate: Int64, reason: String)
    case pause(reason: String)

    /// The sentence a job records (`job_progress.throttled`) and the console shows; nil at full speed.
    public var reason: String? {
        switch self {
        case .fullSpeed: nil
        case .slow(_, let reason), .pause(let reason): reason
        }
    }

    /// The strictest of `rules` against `gauges` at `now`: any pause wins, else the lowest slow rate.
    public static func decide(_ rules: [JobThrottle], gauges: [String: Gauge], now: Date) -> ThrottleDecision {
        var decision = ThrottleDecision.fullSpeed
        for rule in rules {
            switch judge(rule, gauges[rule.gauge], now: now) {
            case .pause(let reason): return .pause(reason: reason)
            case .slow(let rate, let reason):
                if case .slow(let slower, _) = decision, slower <= rate { continue }
                decision = .slow(rate: rate, reason: reason)
            case .fullSpeed: continue
            }
        }
        return decision
    }

    private static func judge(_ rule: JobThrottle, _ gauge: Gauge?, now: Date) -> ThrottleDecision {
        guard let gauge else {
            return .pause(reason: "paused: \(rule.gauge) has never been reported, and the plan throttles on it")
        }
        let age = now.timeIntervalSince(gauge.updatedAt)
        if age > Double(rule.maxAgeSeconds) {
            return .pause(reason: "paused: \(rule.gauge) was last reported \(GateFormat.duration(Int64(clamping: age))) ago, older than \(GateFormat.duration(rule.maxAgeSeconds))")
        }
        if age < -FleetInstance.clockSkewSeconds {
            return .pause(reason: "paused: \(rule.gauge) was reported in the future; its clock or its row is wrong")
        }
        let value = GateFormat.number(gauge.value)
        if let limit = rule.pauseAbove, !(gauge.value <= limit) {
            return .pause(reason: "paused: \(rule.gauge) is \(value), above \(GateFormat.number(limit))")
        }
        if let limit = rule.slowAbove, let rate = rule.slowRate, !(gauge.value <= limit) {
            // A rate the plan file never allows (a row written behind migctl's back) must not
            // read as "no limit" while the job reports itself slowed.
            guard JobControl.rates.contains(rate), rate > 0 else {
                return .pause(reason: "paused: the throttle on \(rule.gauge) has a slow rate of \(rate), not 1 to \(JobControl.rates.upperBound) rows a second")
            }
            return .slow(rate: rate, reason: "slowed to \(rate) rows a second: \(rule.gauge) is \(value), above \(GateFormat.number(limit))")
        }
        return .fullSpeed
    }
}
