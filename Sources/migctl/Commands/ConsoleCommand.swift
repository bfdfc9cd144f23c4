import ArgumentParser
import Console
import Foundation
import MigrationCore
import Terminal

struct ConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Open the live console: phases, traffic chart, progress, gates, audit log and runbook.",
        discussion: """
            Keys: n advance, b roll back, +/- ramp along 0 1 5 10 25 50 100, % any rollout, w chart window, \
            l audit log, r runbook, ? help, q quit. Every change shows what it will do and asks for a reason. \
            Colours follow NO_COLOR; glyphs fall back to ASCII outside a UTF-8 locale.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions

    @Flag(name: .long, help: "Watch only: every key that would change the migration is hidden and refused.")
    var readOnly = false

    func run() throws {
        try reportingFailures {
            let opened = try store.open()
            guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
                throw ValidationError("the console needs a terminal; use 'migctl status' or 'migctl log' in scripts.")
            }
            let terminal = CursesTerminal()
            defer { terminal.close() }
            let session = ConsoleSession(
                control: MigrationControl(store: opened, signer: actor.signer), device: terminal,
                context: RenderContext(glyphs: terminal.unicode ? .unicode : .ascii), readOnly: readOnly)
            session.run()
        }
    }
}
