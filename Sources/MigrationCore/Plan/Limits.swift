/// The sizes migctl accepts for what people and files hand it, in one place.
///
/// Every text limit counts Unicode scalars, never grapheme clusters: one `e` followed by
/// 60,000 combining accents is one character on screen but 60,001 scalars, and is refused.
/// File limits count bytes.
///
/// ```swift
/// Limits.fits(reason, Limits.reasonScalars)     // false for a 2,001-scalar reason
/// Limits.reasonProblem(reason)                  // the sentence to show, or nil
/// ```
public enum Limits {
    /// A plan file: 1 MiB.
    public static let planFileBytes = 1 << 20
    /// A runbook file: 256 KiB.
    public static let runbookBytes = 256 << 10
    /// Phases in a plan.
    public static let phases = 64
    /// Gates in one phase.
    public static let gatesPerPhase = 32
    /// Steps of an automatic ramp schedule.
    public static let rampSteps = 100
    /// A phase's title.
    public static let titleScalars = 200
    /// A path named by a plan (a runbook).
    public static let pathScalars = 1024
    /// Items in a command gate's argv.
    public static let argumentCount = 64
    /// One item of a command gate's argv.
    public static let argumentScalars = 4096
    /// A prometheus gate's server URL.
    public static let urlScalars = 2048
    /// A prometheus gate's PromQL query.
    public static let promQLScalars = 4096
    /// A reason recorded in the audit log (`--reason`, an approval's reason).
    public static let reasonScalars = 2000
    /// An actor's name (`--actor`, `$MIGCTL_ACTOR`, the login name).
    public static let actorScalars = 128

    /// How every text limit counts: the number of Unicode scalars.
    public static func length(_ text: some StringProtocol) -> Int {
        text.unicodeScalars.count
    }

    /// Whether `text` is at most `limit` Unicode scalars long.
    public static func fits(_ text: some StringProtocol, _ limit: Int) -> Bool {
        // Stops counting past the limit, so a huge text costs no more than a small one.
        var count = 0
        for _ in text.unicodeScalars {
            count += 1
            if count > limit { return false }
        }
        return true
    }

    /// Why a reason is refused, as a sentence, or nil when it may be recorded.
    public static func reasonProblem(_ reason: String?) -> String? {
        guard let reason, !fits(reason, reasonScalars) else { return nil }
        return "a reason is limited to \(reasonScalars) characters (Unicode scalars; combining marks count), and this one has \(length(reason))."
    }

    /// `1 MiB`, `256 KiB`: a byte limit for people.
    public static func bytes(_ count: Int) -> String {
        count % (1 << 20) == 0 ? "\(count >> 20) MiB" : count % 1024 == 0 ? "\(count >> 10) KiB" : "\(count) bytes"
    }
}
