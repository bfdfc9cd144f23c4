/// Which keys the workload touches and which worker owns each of them.
///
/// Like a real service's, most traffic touches a small working set: four requests in five
/// go to the ``hotKeys`` (skewed again within them), the rest to any seeded key. So lazy
/// migration brings the miss ratio down within seconds whatever the number of records,
/// while the cold rest is left for the backfill.
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
    /// The working set: the keys `0..<hotKeys` take ``hotShare`` of the requests.
    public let hotKeys: Int
    public let hotShare: Double

    public init(seededKeys: Int, workers: Int, hotKeys: Int = 1000, hotShare: Double = 0.8) {
        self.seededKeys = seededKeys
        self.workers = max(1, workers)
        self.hotKeys = max(1, min(hotKeys, seededKeys))
        self.hotShare = hotShare
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

    /// A seeded key for `worker` to read, update or delete: a hot one ``hotShare`` of the
    /// time, where cubing a uniform number crowds picks near index 0, else any seeded key.
    public func pick(for worker: Int, using generator: inout some RandomNumberGenerator) -> Int {
        let u = Double.random(in: 0..<1, using: &generator)
        let index = Double.random(in: 0..<1, using: &generator) < hotShare
            ? Int(u * u * u * Double(hotKeys))
            : Int(u * Double(seededKeys))
        return owned(near: index, by: worker)
    }

    /// The seeded index nearest `index` (a seeded one) that `worker` owns: in the same row of
    /// `workers` indexes, or the row below when the seeded keys end inside this one. A worker
    /// that owns no seeded key at all gets its first insert.
    func owned(near index: Int, by worker: Int) -> Int {
        let owned = index - index % workers + worker
        return owned >= seededKeys && owned >= workers ? owned - workers : owned
    }
}
