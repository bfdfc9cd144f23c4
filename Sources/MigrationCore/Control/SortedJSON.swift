import Foundation

/// The one way migctl writes JSON it stores or sends: keys sorted (so equal values give equal
/// text, and hashes and diffs stay stable) and slashes unescaped (`0.05 (50/1000)` stays readable).
public enum SortedJSON {
    /// `value` as JSON text, or nil when it cannot be encoded (a non-finite number).
    public static func text(_ value: some Encodable) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }
}
