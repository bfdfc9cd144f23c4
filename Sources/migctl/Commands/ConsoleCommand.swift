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
            l audit log, r runbook, G clear a fired guard, ? help, q quit. Every change shows what it will do and asks for a reason. \
            In the log: arrows or j/k select, PgUp/PgDn page, Enter shows the event's every field and recorded gates, \
            / searches, n/N jump between matches (n never advances there). \
            Colours follow NO_COLOR; glyphs fall back to ASCII outside a UTF-8 locale.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions

    @Flag(name: .long, help: "Watch only: every key that would change the migration is hidden and refused.")
    var readOnly = false

    func run() throws {
        Self.disableInteractiveBacktraces()
        try reportingFailures {
            let opened = try store.open()
            guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
                throw ValidationError("the console needs a terminal; use 'migctl status' or 'migctl log' in scripts.")
            }
            let terminal = CursesTerminal()
            defer { terminal.close() }
            let session = ConsoleSession(
                control: MigrationControl(store: opened, signer: try actor.signer(for: opened), checks: .migctl), device: terminal,
                context: RenderContext(glyphs: terminal.unicode ? .unicode : .ascii), readOnly: readOnly)
            session.run()
        }
    }

    /// On a crash, Swift's backtracer asks "press space" for 30 s when it sees a terminal; the
    /// console's terminal is restored first and the report should follow at once. The runtime
    /// reads `SWIFT_BACKTRACE` only at start-up, so set it and start again (once).
    static func disableInteractiveBacktraces() {
        let current = ProcessInfo.processInfo.environment["SWIFT_BACKTRACE"] ?? ""
        guard !current.contains("interactive") else { return }
        setenv("SWIFT_BACKTRACE", current.isEmpty ? "interactive=no" : current + ",interactive=no", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached if the re-exec failed: carry on with the prompt left as it is.
    }
}
