import Synchronization

/// The few numbers routing needs, readable from any number of threads without a lock or a
/// reference count: a sequence lock over plain atomics. One writer at a time (the caller
/// serialises `publish`); readers retry in the rare case they overlap a publish.
final class PublishedRoutes: Sendable {
    private let sequence = Atomic<UInt64>(0)
    private let rollout = Atomic<Int>(0)
    private let version = Atomic<Int64>(0)
    private let current = Atomic<Int>(0)
    private let previous = Atomic<Int>(0)
    private let retried = Atomic<Int>(0)

    init(rollout: Int, version: Int64, current: Route, previous: Route) {
        publish(rollout: rollout, version: version, current: current, previous: previous)
    }

    func publish(rollout: Int, version: Int64, current: Route, previous: Route) {
        let start = sequence.load(ordering: .relaxed)
        sequence.store(start &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        self.rollout.store(rollout, ordering: .relaxed)
        self.version.store(version, ordering: .relaxed)
        self.current.store(current.packed, ordering: .relaxed)
        self.previous.store(previous.packed, ordering: .relaxed)
        sequence.store(start &+ 2, ordering: .releasing)
    }

    /// How many times a reader overlapped a publish and read again; touched only then, so the
    /// common path stays as it is.
    var retries: Int { retried.load(ordering: .relaxed) }

    /// The route of a key in `bucket`.
    @inline(__always)
    func route(bucket: Int) -> Route {
        while true {
            let before = sequence.load(ordering: .acquiring)
            let rollout = rollout.load(ordering: .relaxed)
            let version = version.load(ordering: .relaxed)
            let current = current.load(ordering: .relaxed)
            let previous = previous.load(ordering: .relaxed)
            atomicMemoryFence(ordering: .acquiring)
            if before & 1 == 0, sequence.load(ordering: .relaxed) == before {
                return Route(packed: bucket < rollout ? current : previous, version: version)
            }
            retried.add(1, ordering: .relaxed)
        }
    }
}
