import DemoService
import Testing

/// A seeded generator, so a failing draw can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct KeySpaceTests {
    /// Record and worker counts that do not divide, and some that do.
    static let shapes: [(records: Int, workers: Int)] = [(5000, 3), (100, 7), (101, 2), (1000, 64), (999, 4), (5000, 4)]

    @Test(arguments: shapes.indices)
    func everyInsertedKeyBelongsToTheWorkerThatInsertsIt(shape: Int) {
        let (records, workers) = Self.shapes[shape]
        let keys = KeySpace(seededKeys: records, workers: workers)
        var inserted: [Int: Int] = [:]
        for worker in 0..<workers {
            let first = keys.firstInsert(by: worker)
            for index in stride(from: first, to: first + 50 * workers, by: workers) {
                #expect(index >= records, "insert \(index) overwrites a seeded key")
                #expect(keys.owner(of: index) == worker, "worker \(worker) inserts \(index), owned by \(keys.owner(of: index))")
                #expect(inserted.updateValue(worker, forKey: index) == nil, "two workers insert \(index)")
            }
        }
    }

    @Test(arguments: shapes.indices)
    func everyPickedKeyIsASeededKeyOfTheWorkerThatPicksIt(shape: Int) {
        let (records, workers) = Self.shapes[shape]
        let keys = KeySpace(seededKeys: records, workers: workers)
        var random = SplitMix64(state: UInt64(shape))
        for worker in 0..<workers {
            for _ in 0..<20_000 {
                let index = keys.pick(for: worker, using: &random)
                #expect((0..<records).contains(index), "worker \(worker) picked \(index), not one of the \(records) seeded keys")
                #expect(keys.owner(of: index) == worker)
            }
        }
    }

    @Test func theOwnerOfAKeyIsTheOwnerOfItsIndex() {
        let keys = KeySpace(seededKeys: 5000, workers: 3)
        for index in [0, 1, 2, 4999, 5000, 5001, 12_345] {
            #expect(keys.owner(of: DemoStores.key(index)) == keys.owner(of: index))
        }
    }
}
