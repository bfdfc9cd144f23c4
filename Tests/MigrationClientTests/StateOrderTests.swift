import Foundation
@testable import MigrationClient
import MigrationCore
import Synchronization
import Testing

/// The state a client routes by only moves forward, however refreshes interleave.
struct StateOrderTests {
    /// What one reader thread saw: the version and phase of each route it got.
    struct Sighting: Sendable {
        let version: Int64
        let bucket: Int
        let phaseIndex: Int
    }

    @Test func versionsNeverGoBackwardsAndPhaseAlwaysMatchesVersion() throws {
        let fixture = try ControlFixture()
        try fixture.move(to: "read-new", percent: "50")
        let plan = try fixture.store.plan()
        // A refresh that is slow to return what it read is what lets another one overtake it.
        let store = FaultyStore(fixture.store)
        store.afterStateRead.withLock { $0 = { Thread.sleep(forTimeInterval: Double.random(in: 0...0.002)) } }
        let client = try MigrationClient(store: store, refreshInterval: .milliseconds(1))
        defer { client.shutdown() }
        let committed = Mutex<[Int64: MigrationState]>([try fixture.store.state().version: try fixture.store.state()])
        let done = Atomic<Bool>(false)
        let problems = Mutex<[String]>([])

        let control = fixture.control
        let writer = Thread { [store = fixture.store] in
            defer { done.store(true, ordering: .relaxed) }
            for step in 0..<200 {
                do {
                    let state = try store.state()
                    let request: PhaseRequest = switch (state.phase, step % 3) {
                    case ("read-new", 0): .rollback()
                    case ("read-new", _): .setRollout(try Rollout(basisPoints: 1000 + step * 29 % 8000))
                    case (_, _) where state.rollout != .full: .setRollout(.full)
                    default: .advance(rollout: try Rollout(basisPoints: 2000 + step * 31 % 6000))
                    }
                    let change = try control.perform(request)
                    committed.withLock { $0[change.after.version] = change.after }
                } catch {
                    problems.withLock { $0.append("writer: \(error)") }
                    return
                }
            }
        }
        writer.start()

        let sightings = Mutex<[[Sighting]]>([])
        onThreads(5) { thread in
            var seen: [Sighting] = []
            var i = 0
            while !done.load(ordering: .relaxed) {
                i += 1
                if thread >= 3 {
                    client.refresh()       // two threads refresh as callers do
                    let snapshot = client.current
                    seen.append(Sighting(version: snapshot.state.version, bucket: -1,
                                         phaseIndex: plan.index(of: snapshot.state.phase) ?? -1))
                } else {
                    let key = "key-\(i % 1000)"
                    let route = client.route(for: key)
                    seen.append(Sighting(version: route.version, bucket: Bucketing.bucket(salt: "users-v2", key: key),
                                         phaseIndex: route.phaseIndex))
                }
            }
            sightings.withLock { $0.append(seen) }
        }
        #expect(problems.withLock { $0 }.isEmpty)

        let states = committed.withLock { $0 }
        for seen in sightings.withLock({ $0 }) {
            var last: Int64 = 0
            for sighting in seen {
                #expect(sighting.version >= last, "version \(sighting.version) seen after \(last)")
                if sighting.version < last { return }
                last = sighting.version
                guard let state = states[sighting.version], let positions = state.phasePositions(in: plan) else {
                    Issue.record("version \(sighting.version) was never committed")
                    return
                }
                let expected = sighting.bucket < 0 ? positions.inside
                    : (state.rollout.includes(bucket: sighting.bucket) ? positions.inside : positions.outside)
                #expect(sighting.phaseIndex == expected, "version \(sighting.version) routed as phase \(sighting.phaseIndex)")
                if sighting.phaseIndex != expected { return }
            }
        }
        #expect(states.count > 100)
    }

    @Test func readersOverlappingAPublishRetryAndNeverSeeAHalfWrittenRoute() {
        let plan = Plan.default
        @Sendable func route(_ version: Int64) -> Route {
            let index = Int(version % Int64(plan.phases.count))
            return Route(phaseIndex: index, phase: plan.phases[index], version: version)
        }
        let routes = PublishedRoutes(rollout: 0, version: 0, current: route(0), previous: route(1))
        let done = Atomic<Bool>(false)
        let torn = Atomic<Int>(0)
        let publisher = Thread {
            var version: Int64 = 0
            while !done.load(ordering: .relaxed) {
                version += 1
                routes.publish(rollout: Int(version % 10_001), version: version, current: route(version), previous: route(version + 1))
            }
        }
        publisher.start()
        onThreads(2) { _ in
            let deadline = ContinuousClock.now + .seconds(10)
            while routes.retries == 0, ContinuousClock.now < deadline {
                for bucket in [0, 5000, 10_000] {
                    let seen = routes.route(bucket: bucket)
                    let rollout = Int(seen.version % 10_001)
                    let expected = route(bucket < rollout ? seen.version : seen.version + 1)
                    if seen.phaseIndex != expected.phaseIndex || seen.reads != expected.reads || seen.writes != expected.writes {
                        torn.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        done.store(true, ordering: .relaxed)
        #expect(routes.retries > 0, "a reader overlapped a publish and retried")
        #expect(torn.load(ordering: .relaxed) == 0)
    }
}
