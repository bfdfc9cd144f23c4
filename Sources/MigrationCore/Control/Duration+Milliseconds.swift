extension Duration {
    /// The duration in whole milliseconds, rounded down and clamped to `Int`'s range.
    public var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds > 0 ? .max : .min }
        return Int(millis.saturatingAdding(attoseconds / 1_000_000_000_000_000))
    }

    /// Whole seconds, rounded up, for sentences ("within 10 s") and whole-second timeouts.
    public var roundedUpSeconds: Int64 { components.seconds + (components.attoseconds > 0 ? 1 : 0) }
}
