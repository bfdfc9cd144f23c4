import Foundation
import MigrationCore
import Synchronization

/// What the backfill and the verifier share: the operators' brake and throttle. Before each
/// batch a job asks ``nextBatch(size:)``, which reads the job's `job_control` row, says nil while
/// it is paused (here or by an operator), and otherwise waits as long as the rate limit asks and
/// gives the batch size to use. If the row cannot be read, the last settings read stay in force.
final class JobSteering: Sendable {
    let job: Job
    private let client: MigrationClient
    private let paused = Atomic<Bool>(false)
    private let limiter = Mutex(RateLimiter())
    private let lastControl = Mutex<JobControl?>(nil)

    init(_ job: Job, client: MigrationClient) {
        self.job = job
        self.client = client
    }

    var isPaused: Bool { paused.load(ordering: .relaxed) }
    func pause() { paused.store(true, ordering: .relaxed) }
    func resume() { paused.store(false, ordering: .relaxed) }

    /// The operators' settings as last read (``JobControl/standard`` until one is read).
    var control: JobControl { lastControl.withLock { $0 } ?? .standard }

    /// How many rows the next batch takes, after waiting for the rate limit; nil while paused.
    /// - Parameter size: the application's batch size, used until an operator sets one.
    func nextBatch(size: Int) -> Int? {
        guard !isPaused else { return nil }
        let control = refreshControl()
        guard !control.paused else { return nil }
        let rows = control.changedAt == nil ? size : control.batch
        let wait = limiter.withLock { $0.delay(rows: rows, rate: control.rate, now: .now) }
        if wait > .zero { Thread.sleep(forTimeInterval: wait.seconds) }
        return rows
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
}
