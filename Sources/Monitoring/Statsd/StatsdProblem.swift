/// Why a line of a statsd packet is invalid. Each reads as a short phrase for the log, and none
/// carries the line's bytes (the log shows a sanitised excerpt beside it, never the raw text).
public enum StatsdProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// A datagram with no metric line in it at all.
    case emptyPacket
    /// Nothing before the `:`.
    case noName
    /// No `:value` after the name.
    case noValue
    /// No `|type` after the value.
    case noType
    /// A type other than c, g, ms, h, d and s.
    case badType
    /// A counter's or gauge's value that is not a finite decimal number (`nan`, `inf`, `0x10`, `1,5`).
    case badValue
    /// A count above 2^53 (the value divided by its sample rate): more than any sender counts in a
    /// second, and past the integers a Double holds exactly.
    case tooLarge
    /// A `|@rate` that is not a number above 0 and at most 1.
    case badRate
    /// A field that is none of `@rate`, `#tags`, `c:container`, `T<timestamp>` or another DogStatsD `key:value`.
    case badField
    /// The same field twice (`|@0.5|@0.1`).
    case repeatedField
    /// A name (after the prefix) outside migctl's alphabet, `[a-z0-9][a-z0-9._-]{0,63}`.
    case badName

    public var description: String {
        switch self {
        case .emptyPacket: "an empty packet"
        case .noName: "no name before ':'"
        case .noValue: "no ':' and value after the name"
        case .noType: "no '|' and type after the value"
        case .badType: "a type other than c, g, ms, h, d or s"
        case .badValue: "a value that is not a finite decimal number"
        case .tooLarge: "a count above 2^53 (value / sample rate)"
        case .badRate: "a sample rate that is not a number above 0 and at most 1"
        case .badField: "an unknown field"
        case .repeatedField: "a field given twice"
        case .badName: "a name outside [a-z0-9][a-z0-9._-]{0,63} (after the prefix)"
        }
    }
}
