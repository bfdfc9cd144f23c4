import Foundation

extension Duration {
    /// The duration in seconds, for the APIs that take a `TimeInterval`.
    var asTimeInterval: TimeInterval { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
