import Foundation
import MigrationCore
import TestSupport
import Testing

/// Every program migctl or its tests start begins with no signal blocked and every signal at
/// its default action, whatever its starter blocked or ignored, and every tmux server a test
/// starts ends with it. A test runs on a libdispatch worker thread, which blocks nearly every
/// signal already; these block more on purpose, and start migctl under `env --block-signal
/// --ignore-signal` as a supervisor or nohup might, so that inheriting anything shows.
@Suite(.serialized)
struct ChildSignalsTests {
    let folder = TemporaryDirectory()

    /// What the test's own thread blocks before starting something.
    static let blockedHere: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGWINCH, SIGUSR1, SIGALRM]
    /// How migctl is started where a starter's mask and dispositions must not reach its children.
    static let hostileStarter = ["/usr/bin/env", "--block-signal=TERM", "--block-signal=CHLD", "--block-signal=WINCH",
                                 "--block-signal=USR1", "--ignore-signal=USR2", "--ignore-signal=PIPE"]
    /// A shell line that prints its own `SigBlk` and `SigIgn` lines, tabs as spaces.
    static let report = "grep -E '^Sig(Blk|Ign)' /proc/self/status | tr '\\t' ' '"

    // MARK: - Started in this process

    @Test func aChildProcessStartsWithNothingBlockedWhateverItsThreadBlocks() throws {
        let out = folder.path("child.status")
        try withSignalsBlocked(Self.blockedHere) {
            let child = try ChildProcess("/bin/sh", ["-c", Self.report], stdout: .file(out))
            child.waitUntilExit()
        }
        let report = try String(contentsOfFile: out, encoding: .utf8)
        let state = try #require(SignalState(status: report), "\(report)")
        #expect(state.isDefault, "\(state)")
    }

    @Test func aGateProgramStartsWithNothingBlockedWhateverItsThreadBlocks() throws {
        let outcome = withSignalsBlocked(Self.blockedHere) {
            CommandRunner().run(CommandCheck(argv: ["sh", "-c", Self.report], timeoutSeconds: 10), environment: [:])
        }
        let state = try #require(SignalState(status: outcome.lastLines.joined(separator: "\n")), "\(outcome)")
        #expect(state.isDefault, "\(state)")
    }

    /// Foundation's `Process` passes the starting thread's mask on (swift-corelibs-foundation 6.3
    /// sets no POSIX_SPAWN_SETSIGMASK), which is why the tests' own use ``UnblockedProcess``. If
    /// the first expectation fails, Foundation resets the mask now and that subclass can go.
    @Test func foundationsProcessPassesTheThreadsMaskOnAndUnblockedProcessDoesNot() throws {
        func state(of process: Process) throws -> SignalState? {
            let out = folder.path("\(UUID().uuidString).status")
            _ = FileManager.default.createFile(atPath: out, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", Self.report]
            process.standardOutput = FileHandle(forWritingAtPath: out)
            try withSignalsBlocked(Self.blockedHere) { try process.run() }
            process.waitUntilExit()
            let report = try String(contentsOfFile: out, encoding: .utf8)
            return SignalState(status: report)
        }
        let plain = try #require(try state(of: Process()))
        #expect(Set(Self.blockedHere).isSubset(of: plain.blocked), "\(plain)")
        let unblocked = try #require(try state(of: UnblockedProcess()))
        #expect(unblocked.isDefault, "\(unblocked)")
    }

    // MARK: - Started by migctl

    @Test(.timeLimit(.minutes(1)))
    func migctlsGateProgramsStartWithDefaultSignalsWhateverMigctlInherited() throws {
        let status = folder.path("gate.status"), gate = folder.path("gate.sh")
        try Data("#!/bin/sh\n\(Self.report) > \(status)\n".utf8).write(to: URL(fileURLWithPath: gate))
        chmod(gate, 0o755)
        try Data(Plan.commandGatedYAML(program: gate, timeout: "30s").utf8).write(to: folder.url.appending(path: "plan.yaml"))
        let migctl = MigctlProcess(folder: folder.url)
        #expect(try migctl.run(["init", "--name", "m", "--plan", "plan.yaml"]).status == 0)

        let advance = runToEnd(Self.hostileStarter[0], Array(Self.hostileStarter.dropFirst()) + [MigctlProcess.binary.path, "advance", "--reason", "go"],
                               environment: migctl.environment, directory: folder.url.path)
        #expect(advance.status == 0, "\(advance.stdout)\(advance.stderr)")
        let report = try String(contentsOfFile: status, encoding: .utf8)
        let state = try #require(SignalState(status: report), "\(report)")
        #expect(state.isDefault, "the gate program: \(state)")
    }

    @Test(.timeLimit(.minutes(2)))
    func theDemosServiceStartsWithDefaultSignalsWhateverTheDemoInherited() throws {
        let demo = folder.path("demo")
        let tmux = try Tmux(width: 100, height: 30, folder: folder.url, environment: Tmux.environment())
        defer { tmux.stop() }
        let command = Self.hostileStarter + [MigctlProcess.binary.path, "demo", "--dir", demo, "--records", "200", "--rate", "50"]
        try tmux.type(command.joined(separator: " "), enter: true)
        let started = eventually(within: .seconds(60)) { Self.process(running: ["simulate", "--stores", demo]) }
        let service = try #require(started, "the demo's service started: \((try? tmux.screen()) ?? "")")
        // The service handles SIGINT, SIGTERM and SIGHUP itself (ignored for the moment it
        // takes to install its handlers): wait for that, then nothing else may be left.
        let state = eventually { SignalState(pid: service).flatMap { $0.isDefault ? $0 : nil } }
        #expect(state != nil, "the demo's service: \(SignalState(pid: service).map(\.description) ?? "gone")")

        // The terminal's end ends the demo and its service (Tmux kills what is left of its panes).
        #expect(tmux.stop() == .killServer)
        #expect(!Self.isRunning(service), "the demo's service stopped with the demo")
    }

    // MARK: - The tests' tmux servers

    @Test(.timeLimit(.minutes(1)))
    func aTestsTmuxServerStartsWithDefaultSignalsAndEndsAtKillServer() throws {
        let socket: String
        do {
            let tmux = try withSignalsBlocked(Self.blockedHere) {
                try Tmux(width: 80, height: 24, folder: folder.url, environment: Tmux.environment())
            }
            socket = tmux.socket
            let server = try #require(tmux.serverPID)
            let serverState = try #require(SignalState(pid: server))
            // tmux ignores SIGPIPE, SIGQUIT, SIGTSTP, SIGTTIN and SIGTTOU itself; it must block nothing.
            #expect(serverState.blocked.isEmpty, "the tmux server: \(serverState)")
            try tmux.type(Self.report, enter: true)
            let screen = try tmux.waitFor("the shell's report") { SignalState(status: $0) != nil }
            let shell = try #require(SignalState(status: screen))
            #expect(shell.isDefault, "a program in the pane: \(shell)")
            #expect(tmux.stop() == .killServer, "kill-server alone ends the server")
            #expect(!Self.isRunning(server))
        }
        #expect(Tmux.ending(of: socket) == .killServer)
        #expect(Tmux.leftovers().isEmpty, "tmux servers of this test process still running: \(Tmux.leftovers())")
    }

    @Test func aReleasedTmuxEndsItsServer() throws {
        var tmux: Tmux? = try Tmux(width: 80, height: 24, folder: folder.url, environment: Tmux.environment())
        let (socket, server) = (tmux!.socket, try #require(tmux!.serverPID))
        #expect(Self.isRunning(server))
        tmux = nil
        #expect(Tmux.ending(of: socket) == .killServer)
        #expect(!Self.isRunning(server))
        #expect(Tmux.leftovers().isEmpty, "\(Tmux.leftovers())")
    }

    @Test func aServerWhoseTestProcessEndedIsEndedByItsWatchdog() throws {
        let tmux = try Tmux(width: 80, height: 24, folder: folder.url, environment: Tmux.environment())
        let server = try #require(tmux.serverPID)
        tmux.dropLifeline()
        #expect(eventually { !Self.isRunning(server) }, "the watchdog ended the server")
        #expect(tmux.stop() == .killServer)
        #expect(Tmux.leftovers().isEmpty, "\(Tmux.leftovers())")
    }

    // MARK: - Helpers

    /// The process whose arguments hold `arguments` in a row, if one runs.
    static func process(running arguments: [String]) -> pid_t? {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let argv = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if argv.count >= arguments.count, (0...(argv.count - arguments.count)).contains(where: { Array(argv[$0..<$0 + arguments.count]) == arguments }) {
                return pid
            }
        }
        return nil
    }

    /// Whether `pid` runs (a zombie has ended).
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return stat.split(separator: ")").last?.split(separator: " ").first != "Z"
    }
}
