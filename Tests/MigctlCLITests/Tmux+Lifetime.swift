import Foundation
import MigrationCore
import TestSupport
import Testing

/// How a ``Tmux`` server ends: when its `Tmux` is released, and when the test process dies
/// without releasing it (the watchdog); and how a test finds a server that outlived its `Tmux`.
extension Tmux {
    /// Waits for the end of its stdin, which comes when the test process has ended (or
    /// ``dropLifeline()``), then ends the server on socket $1: `kill-server`, and SIGKILL to
    /// its pid if it still runs 5 s later (checked by the socket in its command line, so a
    /// reused pid is never hit).
    static let watchdogScript = """
        read -r _
        pid=$(/usr/bin/tmux -L "$1" -f /dev/null display-message -p '#{pid}' 2>/dev/null)
        /usr/bin/tmux -L "$1" -f /dev/null kill-server 2>/dev/null
        [ -n "$pid" ] || exit 0
        sleep 5
        grep -qa -- "$1" "/proc/$pid/cmdline" 2>/dev/null && kill -KILL "$pid"
        exit 0
        """

    /// Closes the watchdog's pipe as the end of this test process would, for a test of the watchdog.
    func dropLifeline() {
        try? lifeline?.close()
        lifeline = nil
    }

    /// Ends the server whatever state it is in: `kill-server`, then SIGKILL to its pid if it
    /// is still there after a few seconds, and an issue recorded if even that did not end it.
    /// Says how it ended (a test asserts `kill-server` alone does); later calls do nothing.
    @discardableResult
    func stop() -> Ending? {
        guard !stopped else { return nil }
        stopped = true
        if let watchdog {
            // The shell and what it runs (a sleep): the process group it leads.
            kill(-watchdog.processIdentifier, SIGKILL)
            watchdog.waitUntilExit()
        }
        dropLifeline()
        // Still "live" until it is gone, so ``leftovers()`` run meanwhile does not count it.
        defer { Self.live.withLock { _ = $0.remove(socket) } }
        let pid = serverPID
        let shells = (try? run(["list-panes", "-a", "-F", "#{pane_pid}"]))?.split(separator: "\n").compactMap { pid_t($0) } ?? []
        _ = try? run(["kill-server"])
        var ending = Ending.killServer
        if let pid, !Self.waitUntilGone(pid, socket: socket) {
            kill(pid, SIGKILL)
            ending = Self.waitUntilGone(pid, socket: socket) ? .killed : .survived
            // A killed server leaves its socket file behind.
            unlink(Self.socketPath(socket))
        }
        Self.endSessions(led: shells)
        Self.endings.withLock { $0[socket] = ending }
        if ending == .survived {
            Issue.record("the tmux server \(pid ?? 0) on socket \(socket) outlived kill-server and SIGKILL; its signals: \(pid.flatMap(Self.signals(of:)) ?? "?")")
        }
        return ending
    }

    /// The tmux servers of this test process that are still running although their `Tmux` was
    /// stopped or never recorded (their sockets), found in /proc by their socket names.
    static func leftovers() -> [String] {
        let running = serverSockets()
        let live = Self.live.withLock { $0 }
        return running.filter { !live.contains($0) }.sorted()
    }

    /// How the server on `socket` ended, once its `Tmux` was stopped.
    static func ending(of socket: String) -> Ending? { endings.withLock { $0[socket] } }

    /// The sockets of the tmux processes of this test process now running (not zombies).
    private static func serverSockets() -> Set<String> {
        var sockets: Set<String> = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let socket = socket(of: pid) else { continue }
            sockets.insert(socket)
        }
        return sockets
    }

    /// The socket of process `pid` if it is a live tmux process of this test process.
    private static func socket(of pid: pid_t) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard arguments.first?.hasSuffix("tmux") == true, let index = arguments.firstIndex(of: "-L"), index + 1 < arguments.count,
              arguments[index + 1].hasPrefix(socketPrefix) else { return nil }
        // The state follows the command name in parentheses; a zombie has ended.
        let state = stat.split(separator: ")").last?.split(separator: " ").first
        return state == "Z" ? nil : arguments[index + 1]
    }

    /// Waits up to 10 s for every process of the sessions that `leaders` lead (each pane's
    /// shell, and all it started: a console, a demo and its service) to end, as the hangup of
    /// their terminal makes them, then SIGKILLs what is left.
    private static func endSessions(led leaders: [pid_t]) {
        let sessions = Set(leaders)
        guard !sessions.isEmpty, !eventually(within: .seconds(10), { members(of: sessions).isEmpty }) else { return }
        for pid in members(of: sessions) { kill(pid, SIGKILL) }
    }

    /// The running processes (not zombies) of `sessions`.
    private static func members(of sessions: Set<pid_t>) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 3,
                  fields[0] != "Z", let session = pid_t(fields[3]), sessions.contains(session) else { return nil }
            return pid
        }
    }

    /// Waits up to 5 s until the tmux process `pid` of `socket` is gone (or a zombie).
    private static func waitUntilGone(_ pid: pid_t, socket: String) -> Bool {
        eventually(within: .seconds(5)) { Self.socket(of: pid) != socket }
    }

    /// What `pid` blocks and ignores, for the issue's message.
    private static func signals(of pid: pid_t) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8))?.split(separator: "\n")
            .filter { $0.hasPrefix("SigBlk") || $0.hasPrefix("SigIgn") }.joined(separator: " ")
    }

    /// Where tmux puts the socket named `name`.
    private static func socketPath(_ name: String) -> String {
        "\(ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp")/tmux-\(getuid())/\(name)"
    }
}
