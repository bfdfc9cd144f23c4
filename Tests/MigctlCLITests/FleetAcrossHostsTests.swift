import Foundation
import TestSupport
import Testing

/// One fleet across three hosts, for real (issue 12): scripts/netns-lab makes three network
/// namespaces, PostgreSQL runs in `db`, and client processes in `h1` and `h2` reach it by TCP.
/// A change made from h2 reaches h1; a partition of h1 leaves it serving its last state,
/// counting refresh errors and saying it is stale, while h2 carries on; once the link is back
/// h1 catches up, and after a clean shutdown the server holds every count both clients made.
///
/// It needs root and iproute2. Without them it fails with netns-lab's reason: it never
/// passes or skips silently. Nothing here connects to the lab's subnet from the root namespace.
@Suite(.serialized)
struct FleetAcrossHostsTests {
    static let repository = URL(fileURLWithPath: #filePath.components(separatedBy: "/Tests/")[0])
    static let labScript = repository.appending(path: "scripts/netns-lab").path
    static let bench = MigctlProcess.binary.deletingLastPathComponent().appending(path: "migctl-bench").path

    /// A fleet gate of 3 s (on a phase the test never enters) makes the serving lease 3 s.
    static let plan = """
        phases:
          - {id: old-only, reads: old, writes: [old], ramp: false}
          - {id: dual-write, reads: old, writes: [old, new]}
          - id: read-new
            reads: new-fallback-old
            writes: [old, new]
            gates:
              - {kind: fleet, heartbeat: 3s}
        """

    let folder = TemporaryDirectory()

    @Test func aFleetAcrossHostsFollowsChangesSurvivesAPartitionAndLosesNoCount() throws {
        let lab = Lab(pid: getpid(), folder: folder)
        lab.removeLeftovers()
        let up = lab.script(["up"])
        guard up.status == 0 else {
            Issue.record("scripts/netns-lab could not make the three hosts, so this test cannot run: \(up.stderr)\(up.stdout)")
            return
        }
        defer { lab.tearDown() }

        // The server, inside db on the lab's .1 address; its URLs arrive in a file.
        let urls = folder.path("urls")
        try lab.background("postgres", ["with-postgres", "sh", "-c", """
            printf '%s\\n%s\\n' "$MIGCTL_TEST_POSTGRES_TCP" "$MIGCTL_TEST_POSTGRES" > '\(urls).tmp' && mv '\(urls).tmp' '\(urls)'
            while [ ! -e '\(folder.path("stop-postgres"))' ]; do sleep 0.1; done
            """])
        guard let tcp = eventually(within: .seconds(30), { Self.lines(urls).first }) else {
            Issue.record("PostgreSQL did not start in the db namespace: \(lab.output("postgres"))")
            return
        }
        #expect(tcp.contains("@\(lab.address("db")):"), "the server listens on db's address: \(tcp)")
        // A partitioned connection gives up within connect_timeout (see PostgresLink).
        let db = tcp + "?schema=fleet&connect_timeout=2"

        try Data(Self.plan.utf8).write(to: folder.url.appending(path: "plan.yaml"))
        let initialised = lab.exec("h1", [MigctlProcess.binary.path, "init", "--db", db, "--name", "fleet", "--plan", "plan.yaml"])
        try #require(initialised.status == 0, "init from h1: \(initialised.stderr)")

        let h1 = try Client(lab: lab, host: "h1", db: db), h2 = try Client(lab: lab, host: "h2", db: db)
        for client in [h1, h2] {
            try #require(eventually(within: .seconds(15)) { (client.last?["flushesOK"] as? Int ?? 0) >= 1 },
                         "\(client.host)'s client started and flushed: \(client.diagnosis)")
        }

        // A change made from h2 reaches h1 (by NOTIFY, well within a second).
        let advance = lab.exec("h2", [MigctlProcess.binary.path, "advance", "--db", db, "--rollout", "50"])
        try #require(advance.status == 0, "advance from h2: \(advance.stderr)")
        #expect(eventually(within: .seconds(5)) { h1.version == 2 }, "h1 sees h2's change: \(h1.diagnosis)")

        // h1 is cut off. h2 changes the rollout again and sees it; h1 keeps routing by version 2.
        let cut = lab.script(["link", "h1", "down"])
        try #require(cut.status == 0, "link h1 down: \(cut.stderr)")
        let cutAt = Date().timeIntervalSince1970
        let linesBeforeCut = h1.reports.count
        let rollout = lab.exec("h2", [MigctlProcess.binary.path, "rollout", "--db", db, "75"])
        try #require(rollout.status == 0, "rollout from h2 during the partition: \(rollout.stderr)")
        #expect(eventually(within: .seconds(5)) { h2.version == 3 }, "h2 sees its change during the partition: \(h2.diagnosis)")
        let countedAtCut = h1.last?["counted"] as? Int ?? 0
        // It counts refresh errors, and once the 3 s lease has passed its heartbeat says stale.
        #expect(eventually(within: .seconds(25)) {
            (h1.last?["refreshErrors"] as? Int ?? 0) >= 1 && h1.last?["heartbeatStale"] as? Bool == true
        }, "h1 counts refresh errors and marks itself stale: \(h1.diagnosis)")
        let during = h1.reports.dropFirst(linesBeforeCut)
        #expect(!during.isEmpty && during.allSatisfy { $0["version"] as? Int == 2 && $0["rollout"] as? Int == 5000 },
                "h1 kept serving version 2 at 50% throughout the partition: \(h1.diagnosis)")
        #expect(h1.last?["counted"] as? Int ?? 0 > countedAtCut, "h1 kept counting: \(h1.diagnosis)")
        #expect(during.allSatisfy { ($0["t"] as? Double ?? 0) > cutAt + 2 || $0["heartbeatStale"] as? Bool != true },
                "h1 said it was stale only once the lease had passed: \(h1.diagnosis)")
        // The rest of the fleet sees h1 go silent, still listed (the fleet gate's unknown), not gone.
        let fleet = lab.exec("h2", [MigctlProcess.binary.path, "fleet", "list", "--db", db, "--json", "--live", "3"])
        let rows = (try? JSONSerialization.jsonObject(with: Data(fleet.stdout.utf8))) as? [[String: Any]] ?? []
        let h1Row = rows.first { $0["id"] as? String == h1.instance }
        #expect(h1Row?["live"] as? Bool == false, "h2 lists h1 as silent during the partition: \(fleet.stdout)\(fleet.stderr)")

        // The link comes back: h1 catches up, its heartbeat is fresh again, and notifications flow.
        let restored = lab.script(["link", "h1", "up"])
        try #require(restored.status == 0, "link h1 up: \(restored.stderr)")
        let flushedBeforeUp = h1.last?["flushesOK"] as? Int ?? 0
        #expect(eventually(within: .seconds(20)) {
            h1.version == 3 && (h1.last?["flushesOK"] as? Int ?? 0) > flushedBeforeUp && h1.last?["heartbeatStale"] as? Bool == false
        }, "h1 catches up after the partition: \(h1.diagnosis)")
        // Three changes, each seen by h1 within 1.5 s: its new connection LISTENs again (the
        // version poll, every 5 s, could explain one of them at most).
        for (version, percent) in [(4, "80"), (5, "90"), (6, "100")] {
            let change = lab.exec("h2", [MigctlProcess.binary.path, "rollout", "--db", db, percent])
            try #require(change.status == 0, "rollout from h2 after the partition: \(change.stderr)")
            #expect(eventually(within: .milliseconds(1500)) { h1.version == version },
                    "h1 hears of version \(version) by notification after reconnecting: \(h1.diagnosis)")
        }
        #expect(eventually(within: .seconds(5)) { h2.version == 6 }, "h2 sees the newest change: \(h2.diagnosis)")

        // A clean shutdown flushes everything: the server holds exactly what both counted.
        for client in [h1, h2] { client.stop() }
        let finals = [h1, h2].map { client in eventually(within: .seconds(30)) { client.reports.last { $0["final"] as? Bool == true } } }
        try #require(finals.allSatisfy { $0?["flushed"] as? Bool == true }, "both shut down with every count written: \(h1.diagnosis) \(h2.diagnosis)")
        let counted = finals.reduce(0) { $0 + ($1?["counted"] as? Int ?? 0) }
        let refreshErrors = finals.reduce(0) { $0 + ($1?["refreshErrors"] as? Int ?? 0) }
        let status = lab.exec("h2", [MigctlProcess.binary.path, "status", "--db", db, "--json"])
        let counters = ((try? JSONSerialization.jsonObject(with: Data(status.stdout.utf8))) as? [String: Any])?["counters"] as? [String: Int]
        #expect(counters?["fleet.events"] == counted, "no count lost: \(counted) counted, stored \(status.stdout) \(status.stderr)")
        #expect(counters?["client.refresh.error"] == refreshErrors && refreshErrors >= 1,
                "the refresh errors reached the server too: \(refreshErrors) reported, stored \(String(describing: counters))")
        let left = lab.exec("h2", [MigctlProcess.binary.path, "fleet", "list", "--db", db, "--json"])
        #expect(((try? JSONSerialization.jsonObject(with: Data(left.stdout.utf8))) as? [Any])?.isEmpty == true,
                "both instances left the fleet: \(left.stdout)\(left.stderr)")
    }

    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}

/// One run's lab: a namespace prefix and a /24 derived from this process's id, so that two runs
/// at once never share either, and a leftover of a dead run can be found and removed.
struct Lab {
    let prefix: String
    let subnet: String
    let folder: TemporaryDirectory
    /// The processes started in the background, by name.
    let started = Started()

    final class Started: @unchecked Sendable {
        private let lock = NSLock()
        private var processes: [String: Process] = [:]
        subscript(name: String) -> Process? {
            get { lock.withLock { processes[name] } }
            set { lock.withLock { processes[name] = newValue } }
        }
    }

    init(pid: Int32, folder: TemporaryDirectory) {
        (prefix, subnet) = Self.names(pid)
        self.folder = folder
    }

    static let prefixStem = "mfleet"

    static func names(_ pid: Int32) -> (prefix: String, subnet: String) {
        ("\(prefixStem)\(pid)", "10.\(100 + (Int(pid) >> 8) % 150).\(Int(pid) & 0xff).0/24")
    }

    func address(_ host: String) -> String {
        subnet.replacingOccurrences(of: ".0/24", with: host == "db" ? ".1" : host == "h1" ? ".2" : ".3")
    }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["MIGCTL_NETNS_PREFIX"] = prefix
        environment["MIGCTL_NETNS_SUBNET"] = subnet
        // On PostgreSQL the actor is the login; nothing from the caller's shell may claim another.
        for name in ["MIGCTL_ACTOR", "MIGCTL_DB", "PGUSER", "PGPASSWORD"] { environment[name] = nil }
        return environment
    }

    /// Removes the labs of this test whose process is gone (and this process's, after a pid was
    /// reused): their prefix names their pid, and the pid their subnet.
    func removeLeftovers() {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        for entry in entries where entry.hasPrefix(Self.prefixStem) && entry.hasSuffix("-db") {
            guard let pid = Int32(entry.dropFirst(Self.prefixStem.count).dropLast(3)),
                  pid == getpid() || kill(pid, 0) != 0 else { continue }
            let (prefix, subnet) = Self.names(pid)
            var environment = self.environment
            (environment["MIGCTL_NETNS_PREFIX"], environment["MIGCTL_NETNS_SUBNET"]) = (prefix, subnet)
            _ = Self.run([FleetAcrossHostsTests.labScript, "down"], environment: environment, in: folder, timeout: 30)
        }
    }

    /// Stops the clients and the server, then deletes the namespaces, whatever state they are in.
    func tearDown() {
        _ = script(["link", "h1", "up"])
        for host in ["h1", "h2"] { FileManager.default.createFile(atPath: folder.path("stop-\(host)"), contents: nil) }
        for name in ["client-h1", "client-h2"] { finish(name, within: 30) }
        FileManager.default.createFile(atPath: folder.path("stop-postgres"), contents: nil)
        finish("postgres", within: 20)
        let down = script(["down"])
        if down.status != 0 { Issue.record("netns-lab down failed: \(down.stderr)") }
        if script(["status"]).status == 0 { Issue.record("the lab \(prefix) is still there after down") }
    }

    func script(_ arguments: [String], timeout: Double = 60) -> Self.Result {
        Self.run([FleetAcrossHostsTests.labScript] + arguments, environment: environment, in: folder, timeout: timeout)
    }

    /// Runs `argv` on `host` and waits for it.
    func exec(_ host: String, _ argv: [String], timeout: Double = 30) -> Self.Result {
        script(["exec", host] + argv, timeout: timeout)
    }

    /// Starts netns-lab with `arguments` in the background; its output goes to files named after `name`.
    func background(_ name: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FleetAcrossHostsTests.labScript)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = folder.url
        FileManager.default.createFile(atPath: folder.path("\(name).out"), contents: nil)
        FileManager.default.createFile(atPath: folder.path("\(name).err"), contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: folder.path("\(name).out"))
        process.standardError = FileHandle(forWritingAtPath: folder.path("\(name).err"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        started[name] = process
    }

    func output(_ name: String) -> String {
        ((try? String(contentsOfFile: folder.path("\(name).err"), encoding: .utf8)) ?? "")
            + ((try? String(contentsOfFile: folder.path("\(name).out"), encoding: .utf8)) ?? "")
    }

    /// Waits for the background process `name` to end by itself, then TERMs and KILLs it.
    func finish(_ name: String, within seconds: Double) {
        guard let process = started[name] else { return }
        if eventually(within: .milliseconds(Int64(seconds * 1000)), { !process.isRunning }) { return }
        process.terminate()
        if eventually(within: .seconds(5), { !process.isRunning }) { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `argv` with its output in files (a daemon it starts cannot hold a pipe open), killed after `timeout`.
    static func run(_ argv: [String], environment: [String: String], in folder: TemporaryDirectory, timeout: Double) -> Result {
        let id = UUID().uuidString
        let (out, err) = (folder.path("run-\(id).out"), folder.path("run-\(id).err"))
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.environment = environment
        process.currentDirectoryURL = folder.url
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return Result(status: -1, stdout: "", stderr: "could not start \(argv[0]): \(error)") }
        if !eventually(within: .milliseconds(Int64(timeout * 1000)), { !process.isRunning }) {
            process.terminate()
            process.waitUntilExit()
            return Result(status: -1, stdout: "", stderr: "\(argv.joined(separator: " ")) took more than \(timeout) s")
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}

/// `migctl-bench fleet-client` on one host, counting 100 events a second, and what it reports.
struct Client {
    let lab: Lab
    let host: String
    var report: String { lab.folder.path("report-\(host)") }

    init(lab: Lab, host: String, db: String) throws {
        (self.lab, self.host) = (lab, host)
        try lab.background("client-\(host)", ["exec", host, FleetAcrossHostsTests.bench, "fleet-client", "--db", db, "--report",
                                               lab.folder.path("report-\(host)"), "--stop", lab.folder.path("stop-\(host)"), "--rate", "100"])
    }

    /// Every complete line so far.
    var reports: [[String: Any]] {
        FleetAcrossHostsTests.lines(report).compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
    }

    var last: [String: Any]? { reports.last }
    var version: Int? { last?["version"] as? Int }
    var instance: String? { last?["instance"] as? String }

    func stop() { FileManager.default.createFile(atPath: lab.folder.path("stop-\(host)"), contents: nil) }

    /// The last report and the end of the client's log, for a failure's message.
    var diagnosis: String {
        let log = lab.output("client-\(host)").split(separator: "\n").suffix(5).joined(separator: "\n")
        return "\(host) last reported \(FleetAcrossHostsTests.lines(report).last ?? "nothing"); its log ends: \(log)"
    }
}
