/// The share of keys that get the current phase's behaviour, in basis points (0–10000).
///
/// Operators speak in percent with at most two decimals (`12.5`); the control
/// database stores basis points (`1250`) so every language compares integers.
/// A key is inside the rollout when its ``Bucketing`` bucket is below `basisPoints`.
///
/// ```swift
/// let r = try Rollout(percent: "12.5")   // 1250 bp
/// r.includes(bucket: 1249)               // true
/// ```
public struct Rollout: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// 0 (no key) to 10000 (every key).
    public let basisPoints: Int

    /// No key gets the current phase's behaviour.
    public static let none = Rollout(uncheckedBasisPoints: 0)
    /// Every key gets the current phase's behaviour.
    public static let full = Rollout(uncheckedBasisPoints: 10_000)

    /// A rollout from basis points.
    /// - Throws: ``RolloutError/outOfRange(_:)`` outside 0...10000.
    public init(basisPoints: Int) throws(RolloutError) {
        guard (0...10_000).contains(basisPoints) else { throw .outOfRange("\(basisPoints) bp") }
        self.basisPoints = basisPoints
    }

    init(uncheckedBasisPoints: Int) {
        self.basisPoints = uncheckedBasisPoints
    }

    /// Parses a percentage as an operator types it: `0`, `5`, `12.5`, `99.99`, `100`, optionally with `%`.
    ///
    /// Parsing is exact (no floating point), so `0.29` is 29 bp, never 28.
    /// - Throws: ``RolloutError`` for text that is not a number with at most two
    ///   decimals, or that lies outside 0–100.
    public init(percent text: String) throws(RolloutError) {
        var body = Substring(text.trimmingWhitespace())
        if body.hasSuffix("%") { body = body.dropLast() }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !whole.isEmpty, whole.count <= 3,
              whole.allSatisfy(\.isASCIIDigit), fraction.allSatisfy(\.isASCIIDigit),
              parts.count == 1 || !fraction.isEmpty
        else { throw .notAPercentage(text) }
        guard fraction.count <= 2 else { throw .tooPrecise(text) }
        let padded = fraction + String(repeating: "0", count: 2 - fraction.count)
        let basisPoints = Int(whole)! * 100 + Int(padded)!
        guard basisPoints <= 10_000 else { throw .outOfRange(text) }
        self.basisPoints = basisPoints
    }

    /// Whether a key in `bucket` gets the current phase's behaviour.
    public func includes(bucket: Int) -> Bool { bucket < basisPoints }

    /// The rollout as a number of percent, e.g. `12.5`.
    public var percent: Double { Double(basisPoints) / 100 }

    /// `12.5%`, `100%`, `0.05%`: the shortest exact form.
    public var description: String {
        let whole = basisPoints / 100, fraction = basisPoints % 100
        if fraction == 0 { return "\(whole)%" }
        if fraction % 10 == 0 { return "\(whole).\(fraction / 10)%" }
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)%"
    }

    public static func < (lhs: Rollout, rhs: Rollout) -> Bool { lhs.basisPoints < rhs.basisPoints }

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(Int.self)
        try self.init(basisPoints: value)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(basisPoints)
    }
}

extension Rollout {
    /// The ladder operators ramp along: 0, 1, 5, 10, 25, 50, 100%.
    public static let ladder: [Rollout] = [0, 100, 500, 1000, 2500, 5000, 10_000].map { Rollout(uncheckedBasisPoints: $0) }

    /// The next rung above this rollout, or nil at 100%.
    public var stepUp: Rollout? { Self.ladder.first { $0 > self } }
    /// The next rung below this rollout, or nil at 0%.
    public var stepDown: Rollout? { Self.ladder.last { $0 < self } }
}

/// Why a text or number is not a valid rollout.
public enum RolloutError: Error, Equatable, CustomStringConvertible {
    case notAPercentage(String)
    case tooPrecise(String)
    case outOfRange(String)

    public var description: String {
        switch self {
        case .notAPercentage(let text):
            "'\(text)' is not a percentage; give a number from 0 to 100, e.g. 25 or 12.5."
        case .tooPrecise(let text):
            "'\(text)' has more than two decimals; the rollout is kept in hundredths of a percent."
        case .outOfRange(let text):
            "'\(text)' is outside 0–100%; give a number from 0 to 100."
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
