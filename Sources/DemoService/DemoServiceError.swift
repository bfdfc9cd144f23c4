/// Why the demo service stopped without serving.
public enum DemoServiceError: Error, Equatable, CustomStringConvertible {
    /// It was asked to stop while seeding the old store; the seeding was rolled back.
    case stoppedWhileSeeding(seeded: Int, of: Int)

    public var description: String {
        switch self {
        case .stoppedWhileSeeding(let seeded, let total):
            "stopped while seeding (\(seeded) of \(total) users written, rolled back): no request served, nothing to verify, the stores are as they were"
        }
    }
}
