import Foundation
import MigrationCore
import Monitoring
import Synchronization

extension Figures {
    /// `migctl statsd` on loopback: the highest rate of one-line packets (`hit:1|c`) it takes
    /// with none lost, found on a ladder of rates, each held for a few seconds; beside a bare
    /// `recv` loop in this process on the same ladder (what the kernel and a thread that only
    /// reads can do on this machine, without parsing or counting). Then the same for packets of
    /// 20 lines, which one sending thread cannot send fast enough to stop a reader that only
    /// reads, so that parsing and counting show.
    ///
    /// Loss is read, never inferred: the kernel's `drops` for the port (`/proc/net/udp`), and the
    /// store's total against what was sent. A step loses nothing when the kernel dropped none and
    /// the store's total grew by exactly what was sent. After the ladder the listener is stopped
    /// with SIGTERM and the store must hold everything the kernel let through.
    func statsd() throws -> Figure {
        let fixture = try BenchFixture(name: "statsd")
        defer { fixture.remove() }
        let rates = smoke ? [20_000] : [25_000, 50_000, 100_000, 150_000, 200_000, 300_000, 400_000, 600_000]
        let seconds = smoke ? 0.5 : 4.0
        let oneLine = Array("hit:1|c".utf8)
        // 20 lines a packet, as a client that batches sends them: what parsing and counting cost.
        let lines = 20
        let batched = Array(Array(repeating: "hit:1|c", count: lines).joined(separator: "\n").utf8)
        let batchedRates = smoke ? [2_000] : [10_000, 20_000, 40_000, 60_000, 80_000, 120_000, 160_000, 240_000]

        let bare = try BareUDPReceiver()
        defer { bare.stop() }
        let baseline = try ladder(rates: rates, seconds: seconds, port: bare.port, packet: oneLine) { bare.received }

        let daemon = try StatsdChild(migctl: binaryFolder.appending(path: "migctl").path, db: fixture.path, folder: fixture.folder)
        defer { daemon.kill() }
        let store = fixture.store
        func hits() -> Int64 { (try? store.counterTotals()["hit"]) ?? 0 }
        let measured = try ladder(rates: rates, seconds: seconds, port: daemon.port, packet: oneLine) { hits() }
        let base = hits()
        let many = try ladder(rates: batchedRates, seconds: seconds, port: daemon.port, packet: batched) { (hits() - base) / Int64(lines) }
        let stopped = daemon.stop()
        let final = hits()
        let expected = measured.sent - measured.drops + Int64(lines) * (many.sent - many.drops)
        let kept = final == expected
        func rate(_ best: Double?) -> String { best.map { String(format: "%.0f packets/s", $0) } ?? "no rate" }
        let lineRate = many.best.map { String(format: " (%.2fM lines/s)", $0 * Double(lines) / 1e6) } ?? ""
        return Figure(
            name: "statsd ingest (SQLite)",
            measured: "\(rate(measured.best)) of one line with 0 lost (\(measured.describe(seconds: seconds))); "
                + "\(rate(many.best)) of \(lines) lines\(lineRate) with 0 lost (\(many.describe(seconds: seconds))); "
                + "after SIGTERM the store held \(final) of the \(expected) counts the kernel let through "
                + "(kernel drops \(measured.drops + many.drops) packets in all)",
            baseline: "bare recv loop: \(rate(baseline.best)) with 0 lost (\(baseline.describe(seconds: seconds)))",
            ratio: measured.best.flatMap { m in baseline.best.map { String(format: "%.2fx the bare loop", m / $0) } } ?? "—",
            target: "0 lost at the rates given; every datagram past the kernel counted",
            met: measured.best != nil && many.best != nil && kept && stopped,
            values: ["lossless_pps": measured.best ?? 0, "lossless_20_line_pps": many.best ?? 0, "bare_lossless_pps": baseline.best ?? 0,
                     "sent": Double(measured.sent + many.sent), "kernel_drops": Double(measured.drops + many.drops),
                     "stored": Double(final), "expected": Double(expected)])
    }

    /// Sends `rate` packets a second for `seconds` at each rate, in order, while nothing is lost;
    /// after the first step that loses, `refinements` steps halve the gap between the last
    /// lossless rate and the lowest losing one. The losing step with the lowest rate is reported.
    /// `received` is the receiver's running total; each step waits for it to account for every
    /// packet sent.
    func ladder(rates: [Int], seconds: Double, port: Int, packet: [UInt8], refinements: Int = 2,
                received: () throws -> Int64) throws -> Ladder {
        let sender = try UDPSender(port: port)
        var ladder = Ladder()
        var queue = rates
        var refined = 0
        while !queue.isEmpty {
            let rate = queue.removeFirst()
            let dropsBefore = UDPDrops.drops(port: UInt16(port)) ?? 0
            let before = try received()
            let (sent, elapsed) = sender.send(packet, rate: rate, seconds: seconds)
            let drops = (UDPDrops.drops(port: UInt16(port)) ?? 0) - dropsBefore
            // Wait until the receiver has read and accounted for what the kernel let through.
            let deadline = Date().addingTimeInterval(10)
            var got = try received() - before
            while got < sent - drops, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.05)
                got = try received() - before
            }
            let step = Ladder.Step(rate: rate, achieved: Double(sent) / elapsed, sent: sent, drops: drops, unaccounted: sent - drops - got)
            ladder.steps.append(step)
            ladder.sent += sent
            ladder.drops += drops
            guard let losing = ladder.steps.filter({ !$0.lossless }).map(\.rate).min() else { continue }
            queue = []
            let good = ladder.steps.filter(\.lossless).map(\.rate).max() ?? 0
            if refined < refinements, losing - good > losing / 20 {
                refined += 1
                queue = [(good + losing) / 2]
            }
        }
        return ladder
    }

    /// The steps of one ladder and what they add up to.
    struct Ladder {
        struct Step {
            let rate: Int
            /// Packets a second the sender reached (it may fall short of `rate`).
            let achieved: Double
            let sent: Int64
            let drops: Int64
            /// Sent, not dropped by the kernel, and still not counted after 10 s: lost inside the receiver.
            let unaccounted: Int64
            var lossless: Bool { drops == 0 && unaccounted == 0 }
        }

        var steps: [Step] = []
        var sent: Int64 = 0
        var drops: Int64 = 0

        /// The highest rate reached with nothing lost.
        var best: Double? { steps.filter(\.lossless).map(\.achieved).max() }

        func describe(seconds: Double) -> String {
            let held = String(format: "%g s a step", seconds)
            guard let last = steps.filter({ !$0.lossless }).min(by: { $0.rate < $1.rate }) else {
                let top = steps.map(\.rate).max() ?? 0, reached = steps.map(\.achieved).max() ?? 0
                return reached < 0.95 * Double(top)
                    ? "\(held); nothing lost up to the sender's ceiling: asked up to \(top)/s, it reached at most \(Int(reached))/s"
                    : "\(held); nothing lost up to the ladder's top"
            }
            let lost = Double(last.drops + last.unaccounted) / Double(max(last.sent, 1)) * 100
            return String(format: "%@; at %.0f packets/s: %lld dropped by the kernel, %lld uncounted (%.2f%%)",
                          held, last.achieved, last.drops, last.unaccounted, lost)
        }
    }
}

/// A connected UDP socket on loopback that sends a packet at a steady rate.
final class UDPSender {
    private let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, connected == 0 else { throw BenchError("could not open a UDP socket to port \(port)") }
    }

    deinit { close(fd) }

    /// Sends `packet` for `seconds`, keeping to `rate` packets a second (sleeping when ahead).
    /// - Returns: how many were sent and over how many seconds.
    func send(_ packet: [UInt8], rate: Int, seconds: Double) -> (Int64, Double) {
        let start = Measure.now()
        let duration = UInt64(seconds * 1e9)
        var sent: Int64 = 0
        packet.withUnsafeBytes { bytes in
            while true {
                let elapsed = Measure.now() - start
                guard elapsed < duration else { break }
                let due = Int64(Double(elapsed) / 1e9 * Double(rate))
                if sent >= due {
                    usleep(100)
                    continue
                }
                for _ in 0..<min(64, due - sent) where Glibc.send(fd, bytes.baseAddress, bytes.count, 0) == bytes.count {
                    sent += 1
                }
            }
        }
        return (sent, Double(Measure.now() - start) / 1e9)
    }
}

/// The baseline's receiver: a thread in this process that only reads datagrams and counts them.
final class BareUDPReceiver: Sendable {
    let port: Int
    private let listener: StatsdListener
    private let count = Atomic<Int64>(0)
    private let running = Atomic<Bool>(true)
    private let done = DispatchSemaphore(value: 0)

    init() throws {
        listener = try StatsdListener(ListenAddress("127.0.0.1:0"), receiveBuffer: 8 << 20)
        port = listener.address.port
        Thread { [self] in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: StatsdListener.datagramCapacity, alignment: 8)
            defer {
                buffer.deallocate()
                done.signal()
            }
            while running.load(ordering: .relaxed) {
                if listener.receive(into: buffer, waiting: true) != nil { count.add(1, ordering: .relaxed) }
            }
        }.start()
    }

    var received: Int64 { count.load(ordering: .relaxed) }

    func stop() {
        guard running.exchange(false, ordering: .relaxed) else { return }
        done.wait()
    }
}

/// `migctl statsd` as a child process on a free port, its log in the fixture's folder.
final class StatsdChild {
    let process = Process()
    let port: Int
    let logPath: String

    init(migctl: String, db: String, folder: String) throws {
        logPath = folder + "/statsd.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: migctl)
        process.arguments = ["statsd", "--db", db, "--listen", "127.0.0.1:0"]
        process.standardError = log
        process.standardOutput = log
        try process.run()
        try log.close()
        var found: Int?
        for _ in 0..<200 where found == nil {
            Thread.sleep(forTimeInterval: 0.05)
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening for statsd on UDP 127.0.0.1:") {
                found = Int(text[range.upperBound...].prefix { $0.isNumber })
            }
        }
        guard let found else {
            process.terminate()
            throw BenchError("migctl statsd did not start: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
        }
        port = found
    }

    /// SIGTERM, and whether it exited 0 within 30 s.
    func stop() -> Bool {
        process.terminate()
        for _ in 0..<600 where process.isRunning { Thread.sleep(forTimeInterval: 0.05) }
        guard !process.isRunning else { return false }
        return process.terminationReason == .exit && process.terminationStatus == 0
    }

    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
