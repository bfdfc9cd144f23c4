import MigrationCore

/// What one key's requests do right now: where they read, which stores they write, and
/// the state version that decided it.
///
/// A plain value with no references, so routing a request shares nothing between threads.
/// `MigrationClient.phase(for:)` gives the whole ``Phase`` when you need its id or title.
public struct Route: Sendable, Equatable {
    /// The position (0-based) in the plan of the phase the key gets: the current one inside
    /// the rollout, the previous one outside it.
    public let phaseIndex: Int
    /// Where reads go.
    public let reads: ReadMode
    /// The store whose write must succeed.
    public let primary: DataStore
    /// The store written best effort after the primary, if any.
    public let secondary: DataStore?
    /// The state version this route was computed from.
    public let version: Int64

    public init(phaseIndex: Int, phase: Phase, version: Int64) {
        self.phaseIndex = phaseIndex
        reads = phase.reads
        primary = phase.primary
        secondary = phase.writes.count > 1 ? phase.writes[1] : nil
        self.version = version
    }

    init(packed: Int, version: Int64) {
        phaseIndex = packed >> 8
        reads = ReadMode.allCases[packed & 0b11]
        primary = (packed >> 2) & 1 == 0 ? .old : .new
        secondary = switch (packed >> 3) & 0b11 {
        case 1: .old
        case 2: .new
        default: nil
        }
        self.version = version
    }

    /// This route's fields in one integer, so it can live in an atomic.
    var packed: Int {
        let readBits = ReadMode.allCases.firstIndex(of: reads)!
        let secondaryBits = secondary.map { $0 == .old ? 1 : 2 } ?? 0
        return phaseIndex << 8 | secondaryBits << 3 | (primary == .new ? 1 : 0) << 2 | readBits
    }

    /// The stores written, primary first.
    public var writes: [DataStore] { [primary] + (secondary.map { [$0] } ?? []) }
    /// Deletes leave tombstones in the new store (``Phase/deletesLeaveTombstones(primary:reads:)``).
    public var deletesLeaveTombstones: Bool { Phase.deletesLeaveTombstones(primary: primary, reads: reads) }
    /// While the old store is authoritative and the new one is read, reads compare them.
    public var verifiesReads: Bool { primary == .old && reads != .old }
}
