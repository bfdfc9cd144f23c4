import DemoService
import Foundation
import MigrationCore
import Synchronization
import Testing

/// A demo service asked to stop while it seeds rolls the seeding back and leaves the fleet.
struct DemoRunStopTests {
    @Test(.timeLimit(.minutes(1)))
    func aStopDuringSeedingRollsBackAndLeavesNoInstance() throws {
        let fixture = try DemoFixture()
        let polls = Atomic<Int>(0)
        #expect(throws: DemoServiceError.stoppedWhileSeeding(seeded: 3000, of: 50_000)) {
            _ = try DemoRun(controlPath: fixture.control, storesFolder: fixture.folder, records: 50_000) { polls.add(1, ordering: .relaxed).newValue > 3 }
        }
        #expect(try fixture.store.instances().isEmpty, "the service left the fleet")
        #expect(try DemoStores(folder: fixture.folder).old.count() == 0, "the seeding was rolled back")
    }
}
