/// Which keys the workload touches and which worker owns each of them.
///
/// Key `user-N` belongs to worker `N % workers`. A worker only ever touches keys it owns,
/// the seeded ones it picks and the fresh ones it inserts, so every key's operations happen
/// in one order and that worker's reference model of the key is exact.
///
/// ```swift
/// let keys = KeySpace(seededKeys: 5000, workers: 3)
/// var random = SystemRandomNumberGenerator()
/// let index = keys.pick(for: 1, using: &random)   // a seeded key owned by worker 1
/// ```
public struct KeySpace: Sendable, Equatable {
    public let seededKeys: Int
    public let workers: Int

    public init(seededKeys: Int, workers: Int) {
        self.seededKeys = seededKeys
        self.workers = max(1, workers)
    }

    /// The worker that owns key index `index`.
    public func owner(of index: Int) -> Int { index % workers }

    /// The worker that owns `key` (`user-N`).
    public func owner(of key: String) -> Int { owner(of: Int(key.drop { !$0.isNumber }) ?? 0) }

    /// The first index `worker` inserts: the first one past the seeded keys that it owns. It
    /// then inserts every `workers`-th index after it, so no two workers ever insert one key.
    public func firstInsert(by worker: Int) -> Int {
        let index = seededKeys - seededKeys % workers + worker
        return index >= seededKeys ? index : index + workers
    }

    /// A seeded key for `worker` to read, update or delete, skewed so a few hot keys take most requests.
    public func pick(for worker: Int, using generator: inout some RandomNumberGenerator) -> Int {
        // Skewed choice: cubing a uniform number crowds indexes near 0 (the hot keys).
        let u = Double.random(in: 0..<1, using: &generator)
        return owned(near: Int(u * u * u * Double(seededKeys)), by: worker)
    }

    /// The seeded index nearest `index` (a seeded one) that `worker` owns: in the same row of
    /// `workers` indexes, or the row below when the seeded keys end inside this one. A worker
    /// that owns no seeded key at all gets its first insert.
    func owned(near index: Int, by worker: Int) -> Int {
        let owned = index - index % workers + worker
        return owned >= seededKeys && owned >= workers ? owned - workers : owned
    }
}
