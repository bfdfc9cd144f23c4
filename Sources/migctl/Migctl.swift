import ArgumentParser
import Foundation

@main
struct Migctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migctl",
        abstract: "Run a zero-downtime data-store migration: watch it, step it through its phases, ramp it, and keep its audit trail.",
        discussion: """
            Every command works on one control database (--db, else $MIGCTL_DB, else ./migctl.db), \
            which only 'migctl init' creates.

            Exit codes: \(ExitStatus.summary).
            """,
        version: VersionLine.text,
        subcommands: [
            Init.self, Status.self, Check.self, Advance.self, Rollback.self, RolloutCommand.self, Approve.self, Checklist.self, Log.self,
            ConsoleCommand.self, Guard.self, Fleet.self, Demo.self, Simulate.self, Count.self, GaugeCommand.self, Bucket.self, Upgrade.self,
            MetricsCommand.self, StatsdCommand.self, Completions.self, BackfillCommand.self, VerifyCommand.self,
        ]
    )

    /// Parses and runs a command. A usage error is one `migctl:` sentence on stderr that says
    /// where the help is, with exit code 64, like every other error; `--help` prints the help.
    /// A shell's completion request (`---completion`) prints its list and never an error, which
    /// would land on the person's prompt. An argument that is not valid UTF-8 is refused before
    /// parsing (``ArgumentText``).
    static func main() {
        if let refusal = ArgumentText.refusal() {
            printError(refusal)
            Foundation.exit(ExitStatus.usage.rawValue)
        }
        let arguments = CompletionRequest.repaired(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            let code = exitCode(for: error)
            guard code != .success else {
                say(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = self.message(for: error)
            if !message.isEmpty, !CompletionRequest.isRequest(arguments) {
                let help = "migctl " + (helpPath(arguments) + ["--help"]).joined(separator: " ")
                printError(code.rawValue == ExitStatus.usage.rawValue ? "\(message) (see '\(help)')" : message)
            }
            Foundation.exit(code.rawValue)
        }
    }

    /// The (sub)command names `arguments` start with, as deep as they go: `["guard", "clear"]`
    /// for `guard clear NAME`, so a usage error points at the help of the command that refused it.
    static func helpPath(_ arguments: [String]) -> [String] {
        var path: [String] = []
        var commands = configuration.subcommands
        for argument in arguments where !argument.hasPrefix("-") {
            guard let command = commands.first(where: { $0._commandName == argument }) else { break }
            path.append(argument)
            commands = command.configuration.subcommands
        }
        return path
    }
}
