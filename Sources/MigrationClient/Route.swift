import MigrationCore

/// What one key's requests do right now: the phase whose behaviour the key gets and
/// what that means for reads, writes and deletes.
public struct Route: Sendable, Equatable {
    /// The phase the key gets: the current one inside the rollout, the previous one outside it.
    public let phase: Phase
    /// The state version this route was computed from.
    public let version: Int64

    /// Where reads go.
    public var reads: ReadMode { phase.reads }
    /// The stores written, primary first.
    public var writes: [DataStore] { phase.writes }
    /// Deletes leave tombstones in the new store once it is primary and reads can still
    /// fall back to the old store: otherwise a fallback read or the backfill would bring
    /// the deleted record back.
    public var deletesLeaveTombstones: Bool { phase.primary == .new && phase.reads == .newFallbackOld }
    /// While the old store is authoritative and the new one is read, reads compare them.
    public var verifiesReads: Bool { phase.primary == .old && phase.reads != .old }
}
