import MigrationCore

/// A program run for each event (`--exec CMD`), the event's JSON on its stdin.
///
/// `CMD` is split on whitespace into the program and its arguments; no shell reads it, so
/// quotes, `$VAR`, pipes and redirections are passed literally (write a script for those).
/// The program gets ``GuardEvent/json`` and a newline on stdin, then end of file, and
/// `MIGCTL_EVENT` (the event's kind, e.g. `guard-fired`) in its environment. It runs in a
/// process group of its own, killed whole at the timeout. Exit status 0 is a delivery;
/// anything else, the timeout, or a program that cannot start is a failure. A program need
/// not read its stdin.
///
/// ```swift
/// let pager = try ExecTarget(command: "/usr/local/bin/page-oncall --team db")
/// pager.name   // "exec /usr/local/bin/page-oncall"
/// ```
public struct ExecTarget: NotificationTarget {
    /// The program and its arguments.
    public let argv: [String]
    /// How long the program may run, in whole seconds.
    public let timeoutSeconds: Int64
    /// The program only: arguments may carry tokens.
    public let name: String
    private let runner: CommandRunner

    /// - Throws: ``NotifyError/emptyCommand`` when `command` holds no program.
    public init(command: String, timeout: Duration = .seconds(10), runner: CommandRunner = CommandRunner()) throws(NotifyError) {
        argv = command.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let program = argv.first else { throw .emptyCommand }
        timeoutSeconds = max(1, timeout.roundedUpSeconds)
        name = "exec \(program.terminalSafe)"
        self.runner = runner
    }

    public func deliver(_ event: GuardEvent, cancel: CancelFlag) throws(NotifyError) {
        let outcome = runner.run(CommandCheck(argv: argv, timeoutSeconds: timeoutSeconds), environment: ["MIGCTL_EVENT": event.kind.rawValue],
                                 cancel: cancel, stdin: Array((event.json + "\n").utf8))
        switch outcome.ending {
        case .exited(0): return
        case .exited(let status): throw .exited(status: status, lastLine: outcome.lastLines.last.map { String($0.prefix(200)) })
        case .timedOut: throw .timedOut(seconds: timeoutSeconds)
        case .couldNotStart(let why): throw .couldNotStart(why)
        case .cancelled: throw .cancelled
        }
    }
}
