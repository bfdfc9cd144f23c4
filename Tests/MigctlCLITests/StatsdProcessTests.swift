import Foundation
import MigrationCore
import TestSupport
import Testing

/// `migctl statsd` through the real binary, fed by the real clients from PyPI (`statsd`, and
/// `datadog`'s DogStatsd for tags; `Fixtures/statsd_feed.py` says what each scenario sends and
/// what must land): exact totals in the store, the sample-rate arithmetic, the prefix and tag
/// rule, hostile datagrams counted while the process lives on, a locked store that loses and
/// doubles nothing, and SIGTERM writing the last counts. The feeding tests run on both stores.
///
/// Serialized: each test runs a listener and a Python sender at full speed on a 2-core machine.
@Suite(.serialized)
struct StatsdProcessTests {
    static let feeder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "Fixtures/statsd_feed.py").path

    /// What a scenario of the feeder sent, and what must become of it.
    struct Expectation: Decodable {
        let counts: [String: Int64]
        var gauges: [String: Double]?
        var skipped: Int64?
        var refused: Int64?
        var invalid: Int64?
        var ignored: Int64?

        /// Every counter total the store must hold afterwards, migctl's own `statsd.*` among them.
        var totals: [String: Int64] {
            var totals = counts.filter { $0.value > 0 }
            for (name, value) in [("statsd.skipped", skipped), ("statsd.refused", refused), ("statsd.invalid", invalid),
                                  ("statsd.ignored", ignored)] {
                if let value, value > 0 { totals[name] = value }
            }
            return totals
        }
    }

    /// Runs a scenario of the feeder against `port` with the python3 the test's PATH finds (the
    /// one scripts/setup gave `statsd` and `datadog`).
    static func feed(_ scenario: String, port: Int, _ arguments: String...) throws -> Expectation {
        let result = StoreUnderTest.run("/usr/bin/env", ["python3", feeder, scenario, "\(port)"] + arguments,
                                        environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        guard result.status == 0 else { throw CLIError(message: "statsd_feed.py \(scenario): \(result.stderr)") }
        return try JSONDecoder().decode(Expectation.self, from: Data(result.stdout.utf8))
    }

    /// Waits until the store's counter totals are exactly `expected` (nothing more: no row for a
    /// refused or ignored name), and says what it saw when they never are.
    static func expectTotals(_ store: any ControlStore, _ expected: [String: Int64], _ daemon: StatsdDaemon,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let landed = try eventually(within: .seconds(30)) { try store.counterTotals() == expected }
        let seen = try store.counterTotals()
        #expect(landed, "totals \(seen), expected \(expected)\n\(daemon.log)", sourceLocation: sourceLocation)
    }

    // MARK: - 1. A service feeds hit, miss and backfill

    @Test(.timeLimit(.minutes(2)), arguments: StoreKind.allCases)
    func aServiceFeedsHitMissAndBackfillThroughTheRealStatsdClient(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        #expect(try under.migctl.run(["init", "--name", "users-v2"]).status == 0)
        let store = try under.open()
        let daemon = try StatsdDaemon(under.migctl, ["--db", under.db, "--prefix", "myapp.migration.", "--report-interval", "1s"])
        defer { daemon.stop() }

        let sent = try Self.feed("service", port: daemon.port)
        try Self.expectTotals(store, sent.totals, daemon)
        // A flush writes the counts in one transaction and each gauge after it: wait for the gauge too.
        let gaugeLanded = try eventually(within: .seconds(10)) { try store.gauges().map { [$0.name: $0.value] } == [["backfill.remaining": 1234]] }
        let gauges = try store.gauges().map { ($0.name, $0.value) }
        #expect(gaugeLanded, "gauges \(gauges)\n\(daemon.log)")
        // The log said what was not taken, with the first of each, once the report came round.
        #expect(eventually { daemon.log.contains("(first: 'made.up.name')") && daemon.log.contains("(first: timer)") }, "\(daemon.log)")
        #expect(daemon.log.contains("1 invalid (first: 'myapp.migration.Hit:1|c': a name outside"), "\(daemon.log)")

        daemon.signal(SIGTERM)
        #expect(daemon.exited(within: .seconds(15)), "\(daemon.log)")
        #expect(daemon.process.terminationReason == .exit && daemon.process.terminationStatus == 0, "\(daemon.log)")
        #expect(daemon.log.contains("stopped; since the start: 1090 packets, 1290 lines: 1270 counted, 1 gauge values, 1 invalid, 8 skipped, 7 ignored, 3 refused; the kernel dropped 0 packets"),
                "\(daemon.log)")
        #expect(try store.counterTotals() == sent.totals, "nothing written twice on the way out")
    }

    // MARK: - 2. Sample rates

    @Test(.timeLimit(.minutes(2)))
    func sampledCountsAreScaledBackExactly() throws {
        let under = try StoreUnderTest(.sqlite)
        #expect(try under.migctl.run(["init", "--name", "users-v2"]).status == 0)
        let daemon = try StatsdDaemon(under.migctl, ["--db", under.db, "--prefix", "myapp.migration."])
        defer { daemon.stop() }
        let sent = try Self.feed("sampled", port: daemon.port)
        // The client sent about a tenth, a third and a half of its calls; each line counts value / rate:
        // hit sent × 10, miss ⌊sent × 10 / 3⌋ (three @0.3 lines make 10, not 9), and ten @0.1 packets 100.
        #expect(sent.counts["verify.match"] == 100)
        try Self.expectTotals(try under.open(), sent.totals, daemon)
    }

    // MARK: - 3. DogStatsD tags and the prefix

    @Test(.timeLimit(.minutes(2)))
    func dogStatsDTagsSelectTheMigrationAndEventsAreSkipped() throws {
        let under = try StoreUnderTest(.sqlite)
        #expect(try under.migctl.run(["init", "--name", "users-v2"]).status == 0)
        let daemon = try StatsdDaemon(under.migctl, ["--db", under.db, "--prefix", "myapp.migration.", "--tag", "migration:users"])
        defer { daemon.stop() }
        let sent = try Self.feed("dogstatsd", port: daemon.port)
        try Self.expectTotals(try under.open(), sent.totals, daemon)
        #expect(try eventually(within: .seconds(10)) { try under.open().gauges().first { $0.name == "backfill.remaining" }?.value == 77 })
        // Two tags: only the lines carrying both count (miss carries canary; hit and backfill do not).
        let both = try StatsdDaemon(under.migctl, ["--db", under.db, "--prefix", "myapp.migration.", "--tag", "migration:users",
                                                   "--tag", "canary"])
        defer { both.stop() }
        let before = try under.open().counterTotals()
        let again = try Self.feed("dogstatsd", port: both.port)
        var expected = before
        expected["miss"] = (before["miss"] ?? 0) + (again.counts["miss"] ?? 0)
        // Tags are checked before types: the histogram and distribution lacking canary are ignored;
        // an event and a service check carry no name to check and are skipped.
        expected["statsd.skipped"] = (before["statsd.skipped"] ?? 0) + 2
        let backfillLines = (again.counts["backfill"] ?? 0) / 20
        expected["statsd.ignored"] = (before["statsd.ignored"] ?? 0) + 13 + 300 + backfillLines + 1 + 2
        try Self.expectTotals(try under.open(), expected, both)
    }

    // MARK: - 4. Hostile datagrams

    @Test(.timeLimit(.minutes(2)))
    func hostileDatagramsAreCountedAndTheProcessLivesOn() throws {
        let under = try StoreUnderTest(.sqlite)
        #expect(try under.migctl.run(["init", "--name", "users-v2"]).status == 0)
        let daemon = try StatsdDaemon(under.migctl, ["--db", under.db, "--report-interval", "1s"])
        defer { daemon.stop() }
        let sent = try Self.feed("hostile", port: daemon.port)
        try Self.expectTotals(try under.open(), sent.totals, daemon)
        #expect(daemon.process.isRunning)
        #expect(eventually { daemon.log.contains("invalid (first: '': an empty packet)") }, "\(daemon.log)")
        // Nothing a sender wrote reached the log raw: no escape, no NUL, no byte outside printable text.
        let raw = try Data(contentsOf: daemon.logFile)
        #expect(!raw.contains(0x1B) && !raw.contains(0) && !raw.contains(0x07), "control bytes in the log")
        #expect(String(data: raw, encoding: .utf8) != nil, "the log is valid UTF-8")
        // And it still counts.
        let more = try Self.feed("burst", port: daemon.port, "")
        #expect(more.counts["hit"] == 5000)
        try Self.expectTotals(try under.open(), sent.totals.merging(["hit": 8000 + 5000]) { $1 }, daemon)
    }

    // MARK: - 5. SIGTERM writes the last counts

    @Test(.timeLimit(.minutes(2)), arguments: StoreKind.allCases)
    func sigtermRightAfterABurstWritesEveryCount(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        #expect(try under.migctl.run(["init", "--name", "users-v2"]).status == 0)
        let store = try under.open()
        for round in 1...3 {
            let daemon = try StatsdDaemon(under.migctl, ["--db", under.db, "--prefix", "myapp.migration."])
            defer { daemon.stop() }
            _ = try Self.feed("burst", port: daemon.port)
            // At once: most of the burst is still in the socket or the batch, not yet flushed.
            daemon.signal(SIGTERM)
            #expect(daemon.exited(within: .seconds(15)), "\(daemon.log)")
            #expect(daemon.process.terminationStatus == 0, "\(daemon.log)")
            #expect(try store.counterTotals() == ["hit": 5000 * Int64(round)], "\(daemon.log)")
        }
    }

    // MARK: - 6. A locked store

    @Test(.timeLimit(.minutes(2)))
    func aLockedStoreKeepsTheCountsAndAStopWaitsForIt() throws {
        let under = try StoreUnderTest(.sqlite)
        #expect(try under.migctl.run(["init", "--name", "users-v2"]).status == 0)
        let store = try under.open()
        var migctl = under.migctl
        migctl.environment["MIGCTL_LOCK_WAIT"] = "0.2"
        let daemon = try StatsdDaemon(migctl, ["--db", under.db, "--prefix", "myapp.migration."])
        defer { daemon.stop() }

        let lock = try WriteLock(path: under.db)
        _ = try Self.feed("burst", port: daemon.port)
        #expect(eventually { daemon.log.contains("could not write to the store") && daemon.log.contains("counts of 1 counter and 0 gauge values for the next flush") },
                "\(daemon.log)")
        _ = try Self.feed("burst", port: daemon.port)
        // Stopped while the store is still locked: it keeps trying, and writes once the lock goes.
        daemon.signal(SIGTERM)
        Thread.sleep(forTimeInterval: 1)
        #expect(daemon.process.isRunning, "it waits for the store\n\(daemon.log)")
        lock.release()
        #expect(daemon.exited(within: .seconds(15)), "\(daemon.log)")
        #expect(daemon.process.terminationStatus == 0, "\(daemon.log)")
        #expect(try store.counterTotals() == ["hit": 10_000], "\(daemon.log)")
        #expect(daemon.log.contains("the store takes writes again"), "\(daemon.log)")

        // A store that never comes back: exit 1 after 10 s, saying how much was not written.
        let second = try StatsdDaemon(migctl, ["--db", under.db, "--prefix", "myapp.migration."])
        defer { second.stop() }
        let stuck = try WriteLock(path: under.db)
        defer { stuck.release() }
        _ = try Self.feed("burst", port: second.port)
        #expect(eventually { second.log.contains("could not write to the store") }, "\(second.log)")
        second.signal(SIGTERM)
        #expect(second.exited(within: .seconds(30)), "\(second.log)")
        #expect(second.process.terminationStatus == 1, "\(second.log)")
        #expect(second.log.contains("migctl: the store took no writes in the 10 s after the stop: 5000 counts of 1 counter and 0 gauge values were not written; the log above says why."),
                "\(second.log)")
    }

    // MARK: - 7. Flags

    @Test func badFlagsAreUsageErrorsAndABusyPortIsOneSentence() throws {
        let under = try StoreUnderTest(.sqlite)
        let migctl = under.migctl
        #expect(try migctl.run(["init", "--name", "users-v2"]).status == 0)
        for (flags, words) in [
            (["--listen", "localhost"], "--listen 'localhost' is not an address"),
            (["--listen", "example.com:8125"], "is not an address to listen on"),
            (["--allow", "Hit"], "--allow 'Hit' is not a counter or gauge name"),
            (["--allow", "statsd.dropped"], "are the ones migctl statsd counts itself"),
            (["--prefix", "a:b"], "--prefix 'a:b' holds one of"),
            (["--tag", "a|b"], "--tag 'a|b' holds one of"),
            (["--tag", ""], "--tag must not be empty"),
            (["--receive-buffer", "10"], "--receive-buffer must be from 65536 bytes"),
            (["--report-interval", "0s"], "--report-interval '0s' is not a duration"),
        ] {
            let result = try migctl.run(["statsd"] + flags)
            #expect(result.status == 64 && result.stderr.contains(words) && result.stderr.contains("(see 'migctl statsd --help')"),
                    "\(flags): \(result.status) \(result.stderr)")
        }
        let holder = try StatsdDaemon(migctl, ["--db", under.db])
        defer { holder.stop() }
        let busy = try migctl.run(["statsd", "--listen", "127.0.0.1:\(holder.port)"])
        #expect(busy.status == 1, "\(busy.stderr)")
        #expect(busy.stderr.hasSuffix("migctl: could not listen for statsd on UDP 127.0.0.1:\(holder.port): address already in use; stop what listens there, or choose another --listen.\n"),
                "\(busy.stderr)")
        let help = try migctl.run(["statsd", "--help"])
        #expect(help.stdout.contains("--prefix") && help.stdout.contains("statsd.dropped") && help.stdout.contains("--allow"))
    }
}

/// `migctl statsd` on a free port (`--listen 127.0.0.1:0`), the port read from the line it
/// prints on stdout; its log (stderr) is the daemon's ``MigctlDaemon/log``.
final class StatsdDaemon {
    let daemon: MigctlDaemon
    let port: Int
    /// Its stderr, as bytes.
    let logFile: URL

    init(_ migctl: MigctlProcess, _ arguments: [String]) throws {
        let name = "statsd-\(UUID().uuidString.prefix(8))"
        logFile = migctl.folder.appending(path: "\(name).err")
        daemon = try MigctlDaemon(migctl, ["statsd", "--listen", "127.0.0.1:0"] + arguments, name: name)
        guard let address = daemon.address(after: "listening on UDP "), let port = address.split(separator: ":").last.flatMap({ Int($0) }) else {
            daemon.stop()
            throw CLIError(message: "migctl statsd did not say where it listens:\n\(daemon.log)")
        }
        self.port = port
    }

    var process: ChildProcess { daemon.process }
    var log: String { daemon.log }
    func signal(_ signal: Int32) { daemon.signal(signal) }
    func exited(within limit: Duration) -> Bool { daemon.exited(within: limit) }
    func stop() { daemon.stop() }
}
