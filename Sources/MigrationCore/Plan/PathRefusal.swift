/// Why a path named by a plan (a runbook, a command gate's program) is not used.
public struct PathRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path as the plan (or the built-in plan) names it.
    public let path: String
    /// Why it is refused, completing the sentence "'path' …".
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "'\(path.terminalSafe)' \(reason)" }

    /// The reason a runbook that is not there is refused.
    public static let missingRunbook = "does not exist; write the runbook or fix the path (relative to the plan file)"
}

/// How a plan's paths are checked while it is parsed.
///
/// ``PlanFile/parse(_:file:paths:)`` asks it about every runbook and every command gate's
/// program, and records a refusal as a problem at that line. ``PlanFolder/paths`` checks
/// against the file system; ``unchecked`` takes every path as written (for plans that are
/// only validated, e.g. by the fuzzer).
public struct PlanPaths: Sendable {
    /// Throws why a runbook path may not be read.
    public var checkRunbook: @Sendable (String) throws(PathRefusal) -> Void
    /// The program a command gate should run for `argv[0]`, or why it is refused.
    public var resolveProgram: @Sendable (String) throws(PathRefusal) -> String

    public init(
        checkRunbook: @escaping @Sendable (String) throws(PathRefusal) -> Void,
        resolveProgram: @escaping @Sendable (String) throws(PathRefusal) -> String = { $0 }
    ) {
        self.checkRunbook = checkRunbook
        self.resolveProgram = resolveProgram
    }

    /// Every path taken as written.
    public static let unchecked = PlanPaths(checkRunbook: { _ in })
}
