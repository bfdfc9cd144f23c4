/// Arithmetic that cannot trap on values read from the control database.
///
/// Counters saturate at `Int64.max` and a foreign writer can store any number in a gauge,
/// so sums and conversions on their values clamp instead of crashing the reader.
extension Int64 {
    /// `self + other`, clamped to `Int64.min…Int64.max`.
    public func saturatingAdding(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// Division rounding towards negative infinity, for calendar arithmetic before 1970.
    public func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    /// The remainder that goes with ``floorDivided(by:)``: `0..<divisor` for a positive divisor.
    public func floorModulo(_ divisor: Int64) -> Int64 { self - floorDivided(by: divisor) * divisor }

    /// `value` rounded towards zero and clamped to the range of `Int64`; NaN is 0.
    public init(clamping value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9_223_372_036_854_775_807.0 {
            self = .max
        } else if value <= -9_223_372_036_854_775_808.0 {
            self = .min
        } else {
            self = Int64(value)
        }
    }
}

extension Int {
    /// `value` rounded towards zero and clamped to the range of `Int`; NaN is 0.
    public init(clamping value: Double) {
        self = Int(Int64(clamping: value))
    }
}

extension Sequence<Int64> {
    /// The sum of the elements, clamped instead of overflowing.
    public var saturatingSum: Int64 { reduce(0) { $0.saturatingAdding($1) } }
}
