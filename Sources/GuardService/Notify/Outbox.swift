import Foundation
import Logging
import MigrationCore

/// One target's queue and delivery thread: events in order, retries on the schedule, the
/// counts behind ``NotifierStats``.
final class Outbox: @unchecked Sendable {
    private let target: any NotificationTarget
    private let retry: RetrySchedule
    private let capacity: Int
    private let logger: Logger

    /// Guards everything below; its wait releases it while the thread sleeps.
    private let condition = NSCondition()
    private var queue: [GuardEvent] = []
    private var counts: NotifierStats
    /// Whether the thread is delivering an event (taken off the queue, still pending).
    private var delivering = false
    /// Set by ``requestStop()``: the thread ends as soon as it can.
    private var stopping = false
    /// Set by the thread as it ends.
    private var stopped = false
    /// Cancels the attempt under way, when stopping.
    private var attemptCancel: CancelFlag?
    /// Whether a drop was logged since the last delivery (drops are logged once per run of them).
    private var dropTold = false

    init(target: any NotificationTarget, retry: RetrySchedule, capacity: Int, logger: Logger) {
        self.target = target
        self.retry = retry
        self.capacity = capacity
        var logger = logger
        logger[metadataKey: "notify.target"] = "\(target.name)"
        self.logger = logger
        counts = NotifierStats(target: target.name)
        let thread = Thread { [self] in run() }
        thread.name = "migctl-notify"
        thread.start()
    }

    var stats: NotifierStats {
        withLock {
            var stats = counts
            stats.pending = queue.count + (delivering ? 1 : 0)
            return stats
        }
    }

    func enqueue(_ event: GuardEvent) {
        let firstDrop: Bool = withLock {
            guard !stopping else {
                counts.failed += 1
                return false
            }
            var told = false
            if queue.count >= capacity {
                queue.removeFirst()
                counts.dropped += 1
                told = !dropTold
                dropTold = true
            }
            queue.append(event)
            condition.broadcast()
            return told
        }
        if firstDrop {
            logger.warning("\(target.name): \(capacity) events are waiting, so the oldest are dropped (and counted) until it delivers again")
        }
    }

    /// Waits until nothing is queued or being delivered, or until `deadline`.
    /// - Returns: whether it became idle.
    func waitUntilIdle(deadline: ContinuousClock.Instant) -> Bool {
        withLock {
            while !queue.isEmpty || delivering, !stopped {
                guard wait(until: deadline) else { break }
            }
            return queue.isEmpty && !delivering
        }
    }

    /// Ends the thread: cancels the attempt under way and counts what is queued as failed.
    func requestStop() {
        let abandoned: Int = withLock {
            guard !stopping else { return 0 }
            stopping = true
            attemptCancel?.set()
            let abandoned = queue.count + (delivering ? 1 : 0)
            counts.failed += Int64(queue.count)
            queue.removeAll()
            condition.broadcast()
            return abandoned
        }
        if abandoned > 0 {
            logger.error("\(target.name): gave up \(abandoned) undelivered event\(abandoned == 1 ? "" : "s") at shutdown")
        }
    }

    /// Waits for the thread to end, at most until `deadline` (a target that ignores its
    /// cancel flag is left behind, its event still pending).
    func waitUntilStopped(deadline: ContinuousClock.Instant) {
        withLock {
            while !stopped {
                guard wait(until: deadline) else { return }
            }
        }
    }

    // MARK: The delivery thread

    private func run() {
        while let event = next() {
            let settled = deliver(event)
            withLock {
                delivering = false
                if !settled { counts.failed += 1 }
                condition.broadcast()
            }
        }
        withLock {
            stopped = true
            condition.broadcast()
        }
    }

    /// The next event to deliver, waiting for one; nil once stopping.
    private func next() -> GuardEvent? {
        withLock {
            while queue.isEmpty, !stopping { condition.wait() }
            guard !stopping else { return nil }
            delivering = true
            return queue.removeFirst()
        }
    }

    /// Tries `event` on the retry schedule and counts it delivered or failed. Returns false
    /// only when it was abandoned because the outbox is stopping: the caller counts it.
    private func deliver(_ event: GuardEvent) -> Bool {
        var recovering = false
        for attempt in 1...retry.attempts {
            let cancel = CancelFlag()
            let go: Bool = withLock {
                guard !stopping else { return false }
                attemptCancel = cancel
                if attempt > 1 { counts.retries += 1 }
                return true
            }
            guard go else { return false }
            let failure: NotifyError?
            do throws(NotifyError) {
                try target.deliver(event, cancel: cancel)
                failure = nil
            } catch {
                failure = error
            }
            let now = Date()
            guard let failure else {
                withLock {
                    attemptCancel = nil
                    recovering = counts.failing
                    counts.delivered += 1
                    counts.failing = false
                    counts.lastSuccessAt = now
                    dropTold = false
                }
                if recovering { logger.info("\(target.name): delivering again") }
                return true
            }
            let shuttingDown = withLock {
                attemptCancel = nil
                if stopping { return true }
                counts.failing = true
                counts.lastError = failure.description
                counts.lastErrorAt = now
                return false
            }
            if shuttingDown { return false }
            let metadata: Logger.Metadata = ["event": "\(event.kind.rawValue)", "attempt": "\(attempt)"]
            if attempt == retry.attempts {
                withLock { counts.failed += 1 }
                logger.error("\(target.name): gave up on a \(event.kind.rawValue) event after \(attempt) attempt\(attempt == 1 ? "" : "s"): \(failure)",
                             metadata: metadata)
                return true
            }
            let delay = retry.delay(afterAttempt: attempt)
            logger.warning("\(target.name): attempt \(attempt) of \(retry.attempts) for a \(event.kind.rawValue) event failed, next in \(Self.spoken(delay)): \(failure)",
                           metadata: metadata)
            let until = ContinuousClock.now + delay
            let stoppedWaiting = withLock {
                while !stopping, wait(until: until) {}
                return stopping
            }
            if stoppedWaiting { return false }
        }
        return true
    }

    // MARK: Locking

    private func withLock<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    /// Waits on the condition (lock held) until signalled or `deadline`; false once it passed.
    private func wait(until deadline: ContinuousClock.Instant) -> Bool {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return false }
        _ = condition.wait(until: Date(timeIntervalSinceNow: left.asTimeInterval))
        return ContinuousClock.now < deadline
    }

    /// "250 ms", "2 s", "1.5 s".
    static func spoken(_ duration: Duration) -> String {
        let milliseconds = duration.wholeMilliseconds
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : String(format: "%.1f s", Double(milliseconds) / 1000)
    }
}
