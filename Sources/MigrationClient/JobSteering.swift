import Foundation
import MigrationCore
import Synchronization

/// What the backfill and the verifier share: the operators' brake and throttle, and the
/// plan's health throttle. Before each batch a job asks ``nextBatch(size:)``, which reads the
/// job's `job_control` row, says nil while it is paused (here, by an operator, or by a
/// ``JobThrottle`` of the current phase), and otherwise waits as long as the rate limit (the
/// operator's, or the throttle's if lower) asks, and gives the batch size to use. If the store
/// cannot be read, the last settings read stay in force. It also measures the job's recent rate
/// (``RecentRate``: paused time left out) and publishes it after each batch.
final class JobSteering: Sendable {
    let job: Job
    private let client: MigrationClient
    private let paused = Atomic<Bool>(false)
    private let limiter = Mutex(RateLimiter())
    private let lastControl = Mutex<JobControl?>(nil)
    /// The throttle in force and whether the job has recorded it since it changed.
    private let throttle = Mutex<(decision: ThrottleDecision, recorded: Bool)>((.fullSpeed, true))
    private let recent = Mutex(RecentRate())

    init(_ job: Job, client: MigrationClient) {
        self.job = job
        self.client = client
    }

    var isPaused: Bool { paused.load(ordering: .relaxed) }
    func pause() {
        paused.store(true, ordering: .relaxed)
        recent.withLock { $0.pause() }
    }

    func resume() {
        paused.store(false, ordering: .relaxed)
        recent.withLock { $0.pause() }   // measured again from the next batch, not from the pause
    }

    /// The operators' settings as last read (``JobControl/standard`` until one is read).
    var control: JobControl { lastControl.withLock { $0 } ?? .standard }

    /// Why the plan's health throttle slows or pauses the job now, or nil at full speed.
    var throttled: String? { throttle.withLock { $0.decision.reason } }

    /// The throttle's sentence while the job has not recorded it since it changed (`.some(nil)`
    /// when it lifted); nil once recorded.
    var unrecordedThrottle: String?? {
        throttle.withLock { $0.recorded ? nil : .some($0.decision.reason) }
    }

    /// The job saved its progress with `reason`: recorded, unless the throttle changed meanwhile.
    func recorded(_ reason: String?) {
        throttle.withLock { state in
            if state.decision.reason == reason { state.recorded = true }
        }
    }

    /// How many rows the next batch takes, after waiting for the rate limit; nil while paused.
    /// - Parameter size: the application's batch size, used until an operator sets one.
    func nextBatch(size: Int) -> Int? {
        guard let rows = steer(size: size) else {
            recent.withLock { $0.pause() }
            return nil
        }
        return rows
    }

    /// ``nextBatch(size:)``, which also stops measuring the pace when this says nil.
    private func steer(size: Int) -> Int? {
        guard !isPaused else { return nil }
        let control = refreshControl()
        guard !control.paused else { return nil }
        var rate = control.rate
        switch refreshThrottle() {
        case .pause: return nil
        case .slow(let slow, _): rate = rate == 0 ? slow : min(rate, slow)
        case .fullSpeed: break
        }
        let rows = control.changedAt == nil ? size : control.batch
        recent.withLock { $0.resume(at: .now) }   // the rate limit's wait is part of the pace
        let wait = limiter.withLock { $0.delay(rows: rows, rate: rate, now: .now) }
        if wait > .zero { Thread.sleep(forTimeInterval: wait.seconds) }
        return rows
    }

    /// The job walked `rows` since the last batch: publishes its recent rate in ``Job/rateGauge``
    /// (0 once `finished`; nothing during the first second, when it says little yet).
    func publishRate(walked rows: Int, finished: Bool) throws(ControlStoreError) {
        let rate = recent.withLock { recent in
            recent.walked(rows, at: .now)
            return recent.rowsPerSecond
        }
        if let published = finished ? 0 : rate { try client.gauge(job.rateGauge, published) }
    }

    /// A new run starts: the rate measured so far was the last run's.
    func restartRate() {
        recent.withLock { $0.reset() }
    }

    /// The operators' settings read from the store now, or the last ones read when it cannot say.
    func refreshControl() -> JobControl {
        do {
            let control = try client.store.jobControl(job)
            lastControl.withLock { $0 = control }
            return control
        } catch {
            return self.control
        }
    }

    /// The current phase's throttles against the gauges now; the last decision when the
    /// gauges cannot be read.
    private func refreshThrottle() -> ThrottleDecision {
        let snapshot = client.current
        let rules = snapshot.plan.phase(snapshot.state.phase)?.automation.throttle ?? []
        let decision: ThrottleDecision
        if rules.isEmpty {
            decision = .fullSpeed
        } else if let gauges = try? client.store.gauges() {
            decision = ThrottleDecision.decide(rules, gauges: Dictionary(gauges.map { ($0.name, $0) }) { $1 }, now: client.store.now())
        } else {
            return throttle.withLock { $0.decision }
        }
        throttle.withLock { state in
            if state.decision != decision { state = (decision, false) }
        }
        return decision
    }
}
