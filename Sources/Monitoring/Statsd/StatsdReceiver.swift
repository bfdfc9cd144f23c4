import Foundation
import Synchronization

/// The receiving side of `migctl statsd`: a thread that reads datagrams from a
/// ``StatsdListener`` and adds them to a ``StatsdBatch``, which the flushing thread takes from.
///
/// ```swift
/// let receiver = StatsdReceiver(listener: listener, rules: rules)
/// receiver.start()
/// every second: flusher.flush(receiver.takeWrites(), to: sink)
/// receiver.stop(); receiver.drain(within: 2)    // what the kernel still holds, then a last flush
/// ```
public final class StatsdReceiver: Sendable {
    /// The socket it reads.
    public let listener: StatsdListener
    /// How it judges each line.
    public let rules: StatsdRules
    private let batch: Mutex<StatsdBatch>
    private let running = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)
    /// The kernel's drop count at the last take, so each take adds only the new drops.
    private let dropsSeen = Mutex<Int64>(0)

    public init(listener: StatsdListener, rules: StatsdRules) {
        self.listener = listener
        self.rules = rules
        batch = Mutex(StatsdBatch(rules: rules))
        dropsSeen.withLock { $0 = listener.kernelDrops() ?? 0 }
    }

    /// Starts the receiving thread.
    public func start() {
        running.store(true, ordering: .relaxed)
        let thread = Thread { [self] in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: StatsdListener.datagramCapacity, alignment: 8)
            defer {
                buffer.deallocate()
                stopped.signal()
            }
            while running.load(ordering: .relaxed) {
                guard let length = listener.receive(into: buffer, waiting: true) else { continue }
                ingest(UnsafeRawBufferPointer(rebasing: buffer[..<length]))
            }
        }
        thread.name = "statsd-receive"
        thread.start()
    }

    /// Stops the receiving thread and waits for it (at most ``StatsdListener/wait`` and one datagram).
    public func stop() {
        guard running.exchange(false, ordering: .relaxed) else { return }
        stopped.wait()
    }

    /// Reads what the kernel still holds for the socket, without waiting for more, for at most
    /// `seconds`; after ``stop()``, so nothing the senders sent before the stop is left behind.
    /// - Returns: how many datagrams it read.
    @discardableResult
    public func drain(within seconds: Double) -> Int {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: StatsdListener.datagramCapacity, alignment: 8)
        defer { buffer.deallocate() }
        let deadline = Date().addingTimeInterval(seconds)
        var read = 0
        while Date() < deadline, let length = listener.receive(into: buffer, waiting: false) {
            ingest(UnsafeRawBufferPointer(rebasing: buffer[..<length]))
            read += 1
        }
        return read
    }

    /// Adds one datagram, as the receiving thread does.
    public func ingest(_ packet: UnsafeRawBufferPointer) {
        batch.withLock { $0.ingest(packet: packet) }
    }

    /// What to write now: whole counts, gauges and the `statsd.*` counters since the last take,
    /// the kernel's new drops among them.
    public func takeWrites() -> StatsdWrites {
        var drops: Int64 = 0
        if let now = listener.kernelDrops() {
            drops = dropsSeen.withLock { (seen: inout Int64) -> Int64 in
                defer { seen = max(seen, now) }
                return now - seen
            }
        }
        return batch.withLock { batch in
            batch.addKernelDrops(drops)
            return batch.takeWrites()
        }
    }

    /// Every packet and line since the start, and the first of each kind not taken since the last call.
    public func report() -> (total: StatsdTally, examples: StatsdExamples) {
        batch.withLock { ($0.total, $0.takeExamples()) }
    }
}
