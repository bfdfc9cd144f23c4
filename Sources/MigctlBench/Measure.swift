import Foundation

/// Timing helpers: every figure is a median over batches, measured beside its baseline in the same run.
enum Measure {
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
    }

    /// Nanoseconds per call of `body(i)`, median over `batches` batches of `perBatch` calls,
    /// on `threads` threads at once (all batches of all threads pooled).
    static func nsPerCall(threads: Int, batches: Int, perBatch: Int, _ body: @escaping @Sendable (Int) -> Void) -> Double {
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var local: [Double] = []
            var i = thread * batches * perBatch
            for _ in 0..<batches {
                let start = now()
                for _ in 0..<perBatch {
                    body(i)
                    i &+= 1
                }
                local.append(Double(now() - start) / Double(perBatch))
            }
            results.append(local)
        }
        return median(results.values)
    }

    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [Double] = []
        func append(_ more: [Double]) {
            lock.lock()
            values += more
            lock.unlock()
        }
    }

    /// Wall time of a command, median of `runs`, in milliseconds.
    static func commandMilliseconds(_ argv: [String], runs: Int) -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = now()
            Figures.spawnAndWait(argv)
            times.append(Double(now() - start) / 1e6)
        }
        return median(times)
    }
}

/// One row of the table.
struct Figure: Encodable {
    let name: String
    let measured: String
    let baseline: String
    let ratio: String
    let target: String
    let met: Bool
    let values: [String: Double]
}
