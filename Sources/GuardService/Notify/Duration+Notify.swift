import Foundation

extension Duration {
    /// The duration in seconds, for the APIs that take a `TimeInterval`.
    var asTimeInterval: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// Whole seconds, rounded up, for sentences ("within 10 s") and whole-second timeouts.
    var roundedUpSeconds: Int64 { components.seconds + (components.attoseconds > 0 ? 1 : 0) }
}
