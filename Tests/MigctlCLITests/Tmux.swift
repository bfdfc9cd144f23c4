import Foundation

/// A real terminal for end-to-end console tests: a private tmux server with one window.
final class Tmux {
    let socket = "migctl-test-\(UUID().uuidString.prefix(8))"
    let session = "t"

    init(width: Int, height: Int, folder: URL, environment: [String: String]) throws {
        let env = environment.map { "\($0.key)=\($0.value)" }
        try run(["new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-s", session, "-c", folder.path,
                 "env", "-i"] + env + ["bash", "--norc", "--noprofile"])
    }

    /// Ends the server whatever state it is in: `kill-server`, then SIGKILL to its pid (a
    /// server that missed the first left hundreds of tmux processes behind test runs).
    deinit {
        let pid = (try? run(["display-message", "-p", "-t", session, "#{pid}"]))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        _ = try? run(["kill-server"])
        if let pid, pid > 1 { kill(pid, SIGKILL) }
    }

    /// The environment of the shell the tests type into: a UTF-8 (or given) locale, a colour
    /// terminal, a plain prompt, and the actor when one is given.
    static func environment(locale: String = "C.UTF-8", actor: String? = "operator") -> [String: String] {
        var environment = ["LANG": locale, "LC_ALL": locale, "TERM": "xterm-256color", "PATH": "/usr/bin:/bin", "PS1": "$ "]
        environment["MIGCTL_ACTOR"] = actor
        return environment
    }

    /// Runs a tmux client command with posix_spawn and waitpid, its output going to a file:
    /// the server that `new-session` forks inherits the client's descriptors, so a pipe
    /// would stay open for the server's whole life.
    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appending(path: "tmux-\(UUID().uuidString)").path
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Tests run in parallel: without this the tmux server would inherit other tests' pipes
        // and keep them open, so their readers would never see end-of-file.
        // (glibc has it since 2.34, but its header hides it from Swift, so look it up.)
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
        let argv = ["/usr/bin/tmux", "-L", socket, "-f", "/dev/null"] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        // The test runner's threads block signals, and a spawned process inherits the mask:
        // start tmux (and so its server) with every signal deliverable.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, &cArguments, environ)
        guard spawned == 0 else { throw CLIError(message: "tmux could not start: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
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
