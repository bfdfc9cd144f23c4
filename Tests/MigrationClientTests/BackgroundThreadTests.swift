import Foundation
import MigrationClient
import MigrationCore
import Testing
import TestSupport

/// The client's threads wake when there is something to do, and routing never waits for counting.
struct BackgroundThreadTests {
    @Test func shutdownReturnsPromptlyWhateverTheIntervals() throws {
        let fixture = try ControlFixture()
        let client = try MigrationClient(store: fixture.store, refreshInterval: .seconds(10), flushInterval: .seconds(10))
        client.count("hit")
        let done = DispatchSemaphore(value: 0)
        let started = ContinuousClock.now
        Thread {
            client.shutdown()
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 3) == .success, "shutdown waited for a sleeping thread")
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(try fixture.store.counterTotals()["hit"] == 1)
    }

    @Test func aFlushWaitingForTheWriteLockDoesNotHoldBackTheStateRefresh() throws {
        let fixture = try ControlFixture()
        let client = try MigrationClient(databasePath: fixture.store.location, refreshInterval: .seconds(60), flushInterval: .seconds(60))
        defer { client.shutdown() }
        try fixture.move(to: "dual-write")
        let version = try fixture.store.state().version

        let lock = try WriteLock(path: fixture.store.location)
        defer { lock.release() }
        client.count("hit")
        let flushing = DispatchSemaphore(value: 0), flushed = DispatchSemaphore(value: 0)
        Thread {
            flushing.signal()
            client.flush()         // waits for the lock (busy timeout)
            flushed.signal()
        }.start()
        flushing.wait()
        Thread.sleep(forTimeInterval: 0.1)   // lets the flush reach the lock first; the test holds either way

        let refreshed = DispatchSemaphore(value: 0)
        Thread {
            client.refresh()
            refreshed.signal()
        }.start()
        #expect(refreshed.wait(timeout: .now() + 3) == .success, "the refresh waited behind the flush")
        #expect(client.current.state.version == version)
        lock.release()
        #expect(flushed.wait(timeout: .now() + 15) == .success)
        #expect(try fixture.store.counterTotals()["hit"] == 1)
    }
}
