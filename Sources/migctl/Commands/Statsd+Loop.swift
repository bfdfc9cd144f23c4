import Foundation
import Logging
import MigrationCore
import Monitoring

/// The flushing side of `migctl statsd`: once a second it writes what the receiver gathered
/// (keeping what the store does not take), every report interval it logs what arrived, and on a
/// stop it reads what the kernel still holds and flushes until written or ``stopWait`` passed.
struct StatsdLoop {
    let receiver: StatsdReceiver
    let sink: StatsdStoreSink
    let logger: Logger
    /// Seconds between the log's reports.
    let reportEvery: Double
    private var flusher = StatsdFlusher()
    private var reported = StatsdTally()
    private var lastReport = ContinuousClock.now
    /// Since when the store takes no writes, and when that was last logged.
    private var trouble: (since: ContinuousClock.Instant, logged: ContinuousClock.Instant)?

    /// How long a stop keeps trying to write the last counts.
    static let stopWait: Duration = .seconds(10)
    /// How often a store that still takes no writes is logged again.
    static let troubleRepeat: Duration = .seconds(600)

    init(receiver: StatsdReceiver, sink: StatsdStoreSink, logger: Logger, reportEvery: Double) {
        self.receiver = receiver
        self.sink = sink
        self.logger = logger
        self.reportEvery = reportEvery
    }

    /// Flushes once a second until `stop`, then stops cleanly.
    /// - Throws: ``StatsdStopped`` when counts were still unwritten at the end.
    mutating func run(until stop: StopRequest) throws {
        var next = ContinuousClock.now + .seconds(1)
        while !stop.isRequested {
            stop.wait(seconds: max(0, Self.seconds(next - .now)))
            guard !stop.isRequested else { break }
            flushOnce()
            next += .seconds(1)
            if next < .now { next = .now + .seconds(1) }
            if Self.seconds(.now - lastReport) >= reportEvery { report() }
        }
        logger.notice("stopping: reading what the socket still holds, then writing the last counts")
        receiver.stop()
        receiver.drain(within: 2)
        let deadline = ContinuousClock.now + Self.stopWait
        flushOnce()
        while !flusher.kept.isEmpty, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.2)
            flushOnce()
        }
        report()
        logger.notice("stopped; since the start: \(receiver.report().total.summary())")
        if !flusher.kept.isEmpty {
            throw StatsdStopped(description: "the store took no writes in the \(Int(Self.seconds(Self.stopWait))) s after the stop: \(Self.describe(flusher.kept)) were not written; the log above says why.")
        }
    }

    private mutating func flushOnce() {
        let flush = flusher.flush(receiver.takeWrites(), to: sink)
        let now = ContinuousClock.now
        if !flush.dropped.isEmpty {
            logger.error("the store refused \(Self.describe(flush.dropped)), which were dropped: \(flush.error?.description.terminalSafe ?? "")")
        }
        if flush.kept.isEmpty {
            if let trouble {
                logger.notice("the store takes writes again after \(Durations.human(Self.seconds(now - trouble.since))); the kept counts are written")
                self.trouble = nil
            }
            return
        }
        let error = flush.error?.description.terminalSafe ?? "unknown error"
        if let trouble {
            guard now - trouble.logged >= Self.troubleRepeat else { return }
            logger.warning("the store still takes no writes (for \(Durations.human(Self.seconds(now - trouble.since)))): \(error); keeping \(Self.describe(flush.kept))")
            self.trouble?.logged = now
        } else {
            logger.warning("could not write to the store: \(error); keeping \(Self.describe(flush.kept)) for the next flush")
            trouble = (now, now)
        }
    }

    /// Logs what arrived since the last report, when anything did.
    private mutating func report() {
        let (total, examples) = receiver.report()
        let period = total.since(reported)
        reported = total
        lastReport = .now
        guard !period.isQuiet else { return }
        logger.log(level: period.hasTrouble ? .warning : .info, "\(period.summary(examples: examples))")
    }

    /// `12 counts of 3 counters and 1 gauge value`.
    static func describe(_ writes: StatsdWrites) -> String {
        func some(_ n: Int, _ what: String) -> String { "\(n) \(what)\(n == 1 ? "" : "s")" }
        return "\(writes.counts.values.saturatingSum) counts of \(some(writes.counts.count, "counter")) and \(some(writes.gauges.count, "gauge value"))"
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
