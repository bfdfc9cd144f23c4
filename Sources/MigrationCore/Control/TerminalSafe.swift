extension String {
    /// The text with every control character, escape sequence introducer and bidirectional
    /// override replaced by `?`, so text read from the control database or a runbook can
    /// be printed to a terminal without steering it.
    public var terminalSafe: String {
        var scalars = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            scalars.append(Self.isUnsafeOnTerminal(scalar) ? "?" : scalar)
        }
        return String(scalars)
    }

    static func isUnsafeOnTerminal(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true          // C0 and C1 controls, ESC and CSI among them
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true  // bidi marks (the Arabic letter mark too) and overrides
        case 0x2028, 0x2029: true                     // line and paragraph separators
        default: false
        }
    }
}
