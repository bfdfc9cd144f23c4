import MigrationCore

/// Why a notification target was refused, or why one delivery failed. Each case reads as one
/// sentence; none contains a webhook's path or query, which may carry a token.
///
/// ```swift
/// do { _ = try WebhookTarget(url: flag, format: .slack) }
/// catch .badWebhookURL { throw ValidationError(String(describing: error)) }
/// ```
public enum NotifyError: Error, Sendable, Equatable, CustomStringConvertible {
    // Refusals of a target, when the guard starts.

    /// A `--webhook` value that is not an http or https URL with a host; says which part is wrong.
    case badWebhookURL(String)
    /// An `--exec` value with no program in it.
    case emptyCommand
    /// An https webhook's trust roots cannot be loaded: the system has no CA bundle, or the
    /// extra roots given are not PEM certificates; says which.
    case badTrustRoots(String)

    // Failures of one delivery, each retried until the target's attempts run out.

    /// The webhook answered, with a status outside 200–299.
    case httpStatus(Int)
    /// The webhook could not be reached or did not answer: no connection, no host, TLS, timeout.
    /// A webhook's sentence is built from the error's type and code, never from its text.
    case unreachable(String)
    /// The program ran longer than its timeout and was killed with its process group.
    case timedOut(seconds: Int64)
    /// The program could not be started (not found, not executable).
    case couldNotStart(String)
    /// The program exited with another status than 0; `lastLine` is the last line it printed.
    case exited(status: Int32, lastLine: String?)
    /// The delivery was stopped because the notifier stopped (shutdown).
    case cancelled

    public var description: String {
        switch self {
        case .badWebhookURL(let why):
            "\(why); a webhook must be an http:// or https:// URL with a host."
        case .emptyCommand:
            "--exec needs a program to run (the command is split on whitespace, no shell)."
        case .badTrustRoots(let why):
            "\(why); an https webhook needs trust roots to verify its server."
        case .httpStatus(let status):
            "the webhook answered HTTP \(status)."
        case .unreachable(let why):
            "\(why)."
        case .timedOut(let seconds):
            "the program did not finish within \(seconds) s and was killed."
        case .couldNotStart(let why):
            "could not start the program: \(why.terminalSafe)."
        case .exited(let status, let lastLine?):
            "the program exited with status \(status): \(lastLine.terminalSafe)"
        case .exited(let status, nil):
            "the program exited with status \(status)."
        case .cancelled:
            "stopped at shutdown before it finished."
        }
    }
}
