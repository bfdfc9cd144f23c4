import Foundation
import MigrationCore
import Synchronization

/// A real terminal for end-to-end console tests: a private tmux server with one window, on a
/// socket of its own (`-L migctl-test-PID-XXXXXXXX`: this test process's id, then a random
/// part), ended when the `Tmux` is released, whatever happened: `kill-server`, then SIGKILL
/// if the server is still there, and an issue recorded if even that did not end it; then
/// whatever its panes started and the hangup did not end is killed too. If the test process
/// dies first (a crash, a kill: no deinit runs), a watchdog ends the server: it waits on a
/// pipe only this process holds open. ``leftovers()`` finds any server of this process still
/// running after its `Tmux` ended.
///
/// Every tmux client starts with no signal blocked and every signal at its default action
/// (``ChildProcess``), and so does the server it forks, and the shell and console in its pane.
/// A test runs on a libdispatch worker thread, which blocks nearly every signal; a server
/// started from there with that mask could not obey `kill-server` (tmux ends itself with a
/// SIGTERM to itself, which stayed pending), and test runs left dozens of servers behind.
final class Tmux {
    let socket = "\(Tmux.socketPrefix)\(UUID().uuidString.prefix(8))"
    let session = "t"
    /// The server's process id, read once it started (nil if it could not be read).
    private(set) var serverPID: pid_t?
    /// Whether ``stop()`` ran.
    var stopped = false
    /// `sh` waiting for the end of this process to end the server (``Tmux/watchdogScript``).
    var watchdog: ChildProcess?
    /// The write end of the watchdog's stdin, held by this process alone (close-on-exec).
    var lifeline: FileHandle?

    /// How a server ended when its `Tmux` was released.
    enum Ending: Equatable {
        /// `kill-server` ended it, as it should.
        case killServer
        /// It outlived `kill-server` and was killed (SIGKILL).
        case killed
        /// It outlived SIGKILL too (an issue is recorded).
        case survived
    }

    /// The start of every socket name of this test process: another process's servers are not ours.
    static let socketPrefix = "migctl-test-\(getpid())-"
    /// The sockets of the servers started and not yet stopped.
    static let live = Mutex<Set<String>>([])
    /// How each stopped server ended, by socket.
    static let endings = Mutex<[String: Ending]>([:])

    init(width: Int, height: Int, folder: URL, environment: [String: String]) throws {
        Self.live.withLock { _ = $0.insert(socket) }
        let (input, lifeline) = try ChildProcess.pipe()
        watchdog = try ChildProcess("/bin/sh", ["-c", Self.watchdogScript, "tmux-watchdog", socket], stdin: .descriptor(input.fileDescriptor))
        try input.close()
        self.lifeline = lifeline
        let env = environment.map { "\($0.key)=\($0.value)" }
        try run(["new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-s", session, "-c", folder.path,
                 "env", "-i"] + env + ["bash", "--norc", "--noprofile"])
        let pid = try? run(["display-message", "-p", "-t", session, "#{pid}"])
        serverPID = pid.flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    deinit { stop() }

    /// The environment of the shell the tests type into: a UTF-8 (or given) locale, a colour
    /// terminal, a plain prompt, and the actor when one is given.
    static func environment(locale: String = "C.UTF-8", actor: String? = "operator") -> [String: String] {
        var environment = ["LANG": locale, "LC_ALL": locale, "TERM": "xterm-256color", "PATH": "/usr/bin:/bin", "PS1": "$ "]
        environment["MIGCTL_ACTOR"] = actor
        return environment
    }

    /// Runs a tmux client command and waits for it, its output going to a file: the server
    /// that `new-session` forks would hold a pipe open for its whole life. It starts as a
    /// ``ChildProcess``: no signal blocked, default dispositions, no descriptor of the test's
    /// (tests run in parallel: a server holding another test's pipe would keep its reader waiting).
    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appending(path: "tmux-\(UUID().uuidString)").path
        defer { unlink(output) }
        do {
            let client = try ChildProcess("/usr/bin/tmux", ["-L", socket, "-f", "/dev/null"] + arguments, stdout: .file(output))
            client.waitUntilExit()
        } catch {
            throw CLIError(message: "tmux could not start: \(error)")
        }
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }

    /// Types text literally, then presses Enter if asked.
    func type(_ text: String, enter: Bool = false) throws {
        try run(["send-keys", "-t", session, "-l", text])
        if enter { try run(["send-keys", "-t", session, "Enter"]) }
    }

    /// Presses named keys (Enter, Escape, C-c, ...).
    func press(_ keys: String...) throws {
        try run(["send-keys", "-t", session] + keys)
    }

    func screen() throws -> String {
        try run(["capture-pane", "-p", "-t", session])
    }

    func resize(width: Int, height: Int) throws {
        try run(["resize-window", "-t", session, "-x", "\(width)", "-y", "\(height)"])
    }

    /// Waits until the screen satisfies `condition`, polling the pane; fails after `timeout`.
    @discardableResult
    func waitFor(_ what: String, timeout: TimeInterval = 10, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            usleep(50_000)
        }
        throw CLIError(message: "timed out waiting for \(what); the screen was:\n\(last)")
    }

    func waitFor(text: String, timeout: TimeInterval = 10) throws -> String {
        try waitFor("'\(text)'", timeout: timeout) { $0.contains(text) }
    }
}
