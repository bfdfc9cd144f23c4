import ArgumentParser
import Foundation

struct Completions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a shell completion script for bash, zsh or fish.",
        discussion: """
            Install it where the shell looks for completions:
              bash  migctl completions bash > ~/.local/share/bash-completion/completions/migctl
              zsh   migctl completions zsh > ~/.zfunc/_migctl   (with fpath+=~/.zfunc before compinit in ~/.zshrc)
              fish  migctl completions fish > ~/.config/fish/completions/migctl.fish

            Commands, options and flags complete from migctl's own help. Phase ids (advance --to and \
            --confirm, rollback --to, check --to, approve PHASE, checklist --phase) complete from the \
            plan in the control database the command line names (--db, else $MIGCTL_DB, else \
            ./migctl.db), opened read-only; nothing is offered when it cannot be read.
            """
    )

    /// The shells argument-parser writes scripts for.
    enum Shell: String, CaseIterable, ExpressibleByArgument {
        case bash, zsh, fish
    }

    @Argument(help: "The shell: bash, zsh or fish.")
    var shell: Shell

    func run() throws {
        guard let target = CompletionShell(rawValue: shell.rawValue) else { throw ValidationError("unknown shell \(shell.rawValue)") }
        say(Migctl.completionScript(for: target))
    }
}

/// What a shell's completion function sends to `migctl ---completion …`, argument-parser's
/// entry point for completions computed by migctl (phase ids): `---completion SUBCOMMAND… --
/// ARGUMENT INDEX CURSOR WORD…`.
enum CompletionRequest {
    /// Whether `arguments` are a completion request. Its errors are never printed: its stderr
    /// is the terminal the person is typing on.
    static func isRequest(_ arguments: [String]) -> Bool { arguments.first == "---completion" }

    /// `arguments` with what fish before 4 leaves out put back.
    ///
    /// argument-parser 1.8.2's fish script asks `commandline -tC` for the cursor's place in the
    /// word being completed, which fish 3 (Debian 12's) does not answer during a completion, and
    /// stands for an empty word with the two characters `''`. migctl then receives
    /// `… -- ARGUMENT INDEX WORD…` without CURSOR, which argument-parser refuses. Put back: the
    /// word at INDEX (empty for `''`), and the cursor at its end, where fish completes.
    static func repaired(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        guard isRequest(arguments), environment["SAP_SHELL"] == "fish", let dashes = arguments.firstIndex(of: "--"),
              arguments.count > dashes + 3, let index = Int(arguments[dashes + 2]), Int(arguments[dashes + 3]) == nil else { return arguments }
        var words = Array(arguments[(dashes + 3)...])
        guard words.indices.contains(index) else { return arguments }
        if words[index] == "''" { words[index] = "" }
        return Array(arguments[...(dashes + 2)]) + [String(words[index].count)] + words
    }
}
