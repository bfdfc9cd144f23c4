import Foundation
import MigrationClient
import Synchronization

/// Old and new stores in memory, with switches to make writes fail.
final class InMemoryStores: Sendable {
    let oldRecords = Mutex<[String: String]>([:])
    let newRecords = Mutex<[String: (Stored<String>, CopyOrigin)]>([:])
    let failNewWrites = Atomic<Bool>(false)
    let failOldWrites = Atomic<Bool>(false)
    /// Runs between the backfill's read of the old store and its write to the new one.
    let betweenScanAndCopy = Mutex<(@Sendable () -> Void)?>(nil)

    struct Refused: Error {}

    var old: OldStore<String> {
        OldStore(
            get: { key in self.oldRecords.withLock { $0[key] } },
            put: { key, value in
                if self.failOldWrites.load(ordering: .relaxed) { throw Refused() }
                self.oldRecords.withLock { $0[key] = value }
            },
            delete: { key in
                if self.failOldWrites.load(ordering: .relaxed) { throw Refused() }
                self.oldRecords.withLock { $0[key] = nil }
            },
            scan: { after, limit in
                let batch = self.oldRecords.withLock { records in
                    records.filter { $0.key > (after ?? "") }.sorted { $0.key < $1.key }.prefix(limit).map { (key: $0.key, value: $0.value) }
                }
                self.betweenScanAndCopy.withLock { $0 }?()
                return batch
            },
            count: { self.oldRecords.withLock { $0.count } })
    }

    var new: NewStore<String> {
        NewStore(
            get: { key in self.newRecords.withLock { $0[key]?.0 } },
            put: { key, stored, origin in
                if self.failNewWrites.load(ordering: .relaxed) { throw Refused() }
                self.newRecords.withLock { $0[key] = (stored, $0[key]?.1 ?? origin) }
            },
            putIfAbsent: { key, value, origin in
                self.newRecords.withLock { records in
                    guard records[key] == nil else { return false }
                    records[key] = (.value(value), origin)
                    return true
                }
            },
            delete: { key in self.newRecords.withLock { $0[key] = nil } },
            purgeTombstones: {
                self.newRecords.withLock { records in
                    let dead = records.filter { $0.value.0 == .tombstone }.map(\.key)
                    dead.forEach { records[$0] = nil }
                    return dead.count
                }
            })
    }

    func newValue(_ key: String) -> Stored<String>? { newRecords.withLock { $0[key]?.0 } }
}
