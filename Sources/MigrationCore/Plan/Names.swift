/// The shapes of names that cross the control-database contract.
///
/// Names end up in SQL rows, JSON, file names and on operators' terminals, so they
/// are kept to a small, printable alphabet and checked before anything is written.
public enum Names {
    /// Counter and gauge names: `[a-z0-9][a-z0-9._-]{0,63}`, e.g. `write.new.error`.
    public static func isValidMetricName(_ name: String) -> Bool {
        matches(name, extra: [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-")])
    }

    /// Phase ids: `[a-z0-9][a-z0-9-]{0,63}`, e.g. `new-primary`.
    public static func isValidPhaseID(_ id: String) -> Bool {
        matches(id, extra: [UInt8(ascii: "-")])
    }

    /// Migration names, which are also the bucketing salt: `[a-z0-9][a-z0-9._-]{0,63}`.
    public static func isValidMigrationName(_ name: String) -> Bool {
        matches(name, extra: [UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-")])
    }

    private static func matches(_ text: String, extra: Set<UInt8>) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        func plain(_ b: UInt8) -> Bool { (0x61...0x7a).contains(b) || (0x30...0x39).contains(b) }
        return plain(bytes[0]) && bytes.dropFirst().allSatisfy { plain($0) || extra.contains($0) }
    }
}
