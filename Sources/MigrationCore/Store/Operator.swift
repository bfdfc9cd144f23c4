import Foundation

/// Who makes a change: recorded with every audit event.
///
/// Names are normalised before they are stored or compared (see ``normalisedName(_:)``), so
/// `alice`, `Alice` and `ALICE` are one person to the two-person rule. On a shared SQLite file
/// the name is still self-declared: whoever can write the file can claim any name.
public struct Operator: Sendable, Equatable, Codable {
    /// The operator's name: `--actor`, else `$MIGCTL_ACTOR`, else the login name.
    public var name: String
    /// The host the change was made from.
    public var host: String

    public init(name: String, host: String) {
        self.name = name
        self.host = host
    }

    /// The operator running this process: `explicit` if given, else `$MIGCTL_ACTOR`, else
    /// `$USER`, else `$LOGNAME`, else the login name, on this host; the first one that is not
    /// blank is normalised by ``normalisedName(_:)``.
    ///
    /// ```swift
    /// try Operator.current(explicit: " Alice ").name   // "alice"
    /// ```
    ///
    /// - Throws: ``ActorNameError`` naming the source (`--actor`, `MIGCTL_ACTOR`, `USER`, …)
    ///   when the chosen name is refused; a refused name never falls through to the next source.
    public static func current(
        explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ActorNameError) -> Operator {
        let sources: [(String, String?)] = [("--actor", explicit), ("MIGCTL_ACTOR", environment["MIGCTL_ACTOR"]),
                                            ("USER", environment["USER"]), ("LOGNAME", environment["LOGNAME"]),
                                            ("the login name", ProcessInfo.processInfo.userName)]
        for (source, value) in sources {
            guard let value, !value.trimmingWhitespace().isEmpty else { continue }
            do {
                return Operator(name: try normalisedName(value), host: ProcessInfo.processInfo.hostName)
            } catch {
                throw ActorNameError(source: source, problem: error.problem)
            }
        }
        throw ActorNameError(source: "--actor", problem: .empty)
    }

    /// The name as it is stored and compared: NFKC, case-folded, leading and trailing
    /// whitespace trimmed.
    ///
    /// Refused: an empty name, one longer than ``Limits/actorScalars`` Unicode scalars,
    /// invisible characters (control and format characters, zero-width spaces and joiners,
    /// bidirectional controls, other default-ignorable code points), and letters of
    /// confusable scripts mixed in one name (Latin with Cyrillic or Greek, as in a Cyrillic
    /// `а` in `аlice`).
    ///
    /// ```swift
    /// try Operator.normalisedName("ＡＬＩＣＥ ")       // "alice"
    /// try Operator.normalisedName("alice\u{200B}")   // throws: invisible U+200B
    /// ```
    ///
    /// - Throws: ``ActorNameError`` with source `the name`; ``current(explicit:environment:)``
    ///   names the real source.
    public static func normalisedName(_ raw: String) throws(ActorNameError) -> String {
        func refuse(_ problem: ActorNameError.Problem) -> ActorNameError { ActorNameError(source: "the name", problem: problem) }
        let trimmed = raw.trimmingWhitespace()
        guard Limits.fits(trimmed, Limits.actorScalars) else { throw refuse(.tooLong(Limits.length(trimmed))) }
        if let invisible = trimmed.unicodeScalars.first(where: ActorNames.isInvisible) { throw refuse(.invisible(invisible)) }
        let name = ActorNames.fold(trimmed).trimmingWhitespace()
        guard !name.isEmpty else { throw refuse(.empty) }
        guard Limits.fits(name, Limits.actorScalars) else { throw refuse(.tooLong(Limits.length(name))) }
        if let invisible = name.unicodeScalars.first(where: ActorNames.isInvisible) { throw refuse(.invisible(invisible)) }
        if let scripts = ActorNames.mixedScripts(name) { throw refuse(.mixedScripts(scripts)) }
        return name
    }

    /// Whether two stored names are one person: equal once folded, stripped of invisible
    /// characters and with look-alike Cyrillic and Greek letters read as Latin. Used for
    /// names read back from the database, which a foreign writer may not have normalised.
    public static func isSamePerson(_ one: String, _ other: String) -> Bool {
        ActorNames.skeleton(one) == ActorNames.skeleton(other)
    }
}

/// Why an actor name is refused, naming where it came from.
public struct ActorNameError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the name.
    public enum Problem: Sendable, Equatable {
        case empty
        case tooLong(Int)
        case invisible(Unicode.Scalar)
        case mixedScripts([String])
    }

    /// Where the name came from: `--actor`, `MIGCTL_ACTOR`, `USER`, `LOGNAME`, the login name.
    public let source: String
    public let problem: Problem

    public init(source: String, problem: Problem) {
        self.source = source
        self.problem = problem
    }

    public var description: String {
        let what = switch problem {
        case .empty: "is empty; give a name"
        case .tooLong(let count): "is \(count) characters long; a name has at most \(Limits.actorScalars) (Unicode scalars)"
        case .invisible(let scalar):
            "holds the invisible character U+\(String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)); type the name plainly"
        case .mixedScripts(let scripts):
            "mixes \(scripts.joined(separator: " and ")) letters, which can pass for one another; use one script"
        }
        return "the actor name from \(source) \(what)."
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: Swift.max(0, width - count)) + self }
}

extension ControlStore {
    /// Who a gate preview takes to be advancing (an approval gate looks for someone else), for
    /// every view that previews without acting (`status --watch`, `migctl metrics`): the login
    /// on a server, else whoever `migctl check` would act as here, else nobody.
    public func previewActor() -> String {
        if let login = try? login() { return login }
        return (try? Operator.current())?.name ?? ""
    }
}
