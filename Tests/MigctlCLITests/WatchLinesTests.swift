import Foundation
import MigrationCore
import TestSupport
import Testing

/// `migctl status --watch` and `migctl log --follow` through the real binary, as a CI job or a
/// log shipper runs them: stdout to a file (so a line only shows if it was flushed), the state
/// changed by other migctl processes, SIGTERM to stop; hostile rows; the store replaced,
/// broken and deleted under them. And `--version`.
///
/// Every following process is SIGKILLed when its test ends, whatever happens (``MigctlDaemon``).
/// It and every migctl and sqlite3 run here are waited for by their exit (`waitpid`), never by
/// the end of a pipe that another program may hold, and a process that did not exit ends its
/// test at once (`#require`) rather than ask for the status it does not have.
struct WatchLinesTests {
    /// Three gated phases: the counter gate passes with no mismatch counted, the approval gate
    /// needs a second operator, so the gates passing change with the state.
    static let plan = """
        phases:
          - {id: old-only, reads: old, writes: [old], ramp: false}
          - id: dual-write
            reads: old
            writes: [old, new]
            gates:
              - {kind: counter, numerator: [verify.mismatch], window: 1h, max: 0}
          - id: read-new
            reads: new-fallback-old
            writes: [old, new]
            gates:
              - {kind: counter, numerator: [verify.mismatch], window: 1h, max: 0}
              - {kind: approval, within: 1h}
          - {id: new-primary, reads: new-fallback-old, writes: [new, old], irreversible: true}
        """

    // MARK: - status --watch

    @Test(.timeLimit(.minutes(2)), arguments: StoreKind.allCases)
    func watchPrintsOneJSONLinePerChangeAndStopsWithZeroOnSIGTERM(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Self.plan)
        let watch = try MigctlDaemon(migctl, ["status", "--watch", "--json", "--interval", "100ms"], name: "watch")
        defer { watch.stop() }

        var seen = 0
        /// Waits for the next line, which must say what the change just made says.
        func nextLine(_ what: String, _ holds: ([String: Any]) -> Bool) throws -> [String: Any] {
            let objects = try #require(eventually(within: .seconds(20)) { () -> [[String: Any]]? in
                let objects = watch.jsonLines
                return objects.count > seen ? objects : nil
            }, "a line after \(what)\n\(watch.output)\n\(watch.log)")
            seen += 1
            let line = objects[seen - 1]
            #expect(holds(line), "after \(what): \(line)")
            return line
        }

        let first = try nextLine("the start") {
            $0["phase"] as? String == "old-only" && $0["version"] as? Int == 1 && $0["next"] as? String == "dual-write"
                && $0["gatesPassing"] as? Int == 1 && $0["gatesTotal"] as? Int == 1
        }
        // status --json's names for the same data, plus the derived figures.
        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        for name in ["migration", "phase", "phases", "rollout", "rolloutBasisPoints", "version", "changedBy", "next"] {
            #expect("\(first[name] ?? "none")" == "\(status[name] ?? "none")", "\(name): \(first[name] ?? "none") vs \(status[name] ?? "none")")
        }
        #expect(first["position"] as? Int == 1 && first["window"] as? String == "15m" && first["copied"] as? Int == 0)
        #expect(first["hitRatio"] == nil && first["etaSeconds"] == nil && first["progress"] == nil, "\(first)")
        #expect(Timestamp.date(first["at"] as? String ?? "") != nil, "\(first)")

        #expect(try migctl.run(["advance"]).status == 0)
        _ = try nextLine("advance") {
            $0["phase"] as? String == "dual-write" && $0["version"] as? Int == 2 && $0["rolloutBasisPoints"] as? Int == 0
                && $0["next"] as? String == "read-new" && $0["gatesPassing"] as? Int == 1 && $0["gatesTotal"] as? Int == 2
        }
        #expect(try migctl.run(["rollout", "25"]).status == 0)
        _ = try nextLine("rollout 25") { $0["rolloutBasisPoints"] as? Int == 2500 && $0["rollout"] as? Double == 25 && $0["version"] as? Int == 3 }
        #expect(try under.migctl(as: "bo").run(["approve", "read-new", "--reason", "graphs look fine"]).status == 0)
        _ = try nextLine("a second operator's approval") { $0["gatesPassing"] as? Int == 2 && $0["gatesTotal"] as? Int == 2 }
        #expect(try migctl.run(["count", "hit", "9"]).status == 0)
        _ = try nextLine("9 hits") { $0["hitRatio"] as? Double == 1 }
        #expect(try migctl.run(["count", "miss", "1"]).status == 0)
        _ = try nextLine("a miss") { ($0["hitRatio"] as? Double).map { abs($0 - 0.9) < 1e-9 } == true && $0["copied"] as? Int == 1 }
        #expect(try migctl.run(["gauge", "backfill.total", "200"]).status == 0)
        #expect(try migctl.run(["gauge", "backfill.done", "50"]).status == 0)
        let progress = try nextLine("the backfill's gauges") { $0["backfillTotal"] as? Double == 200 }
        if progress["backfillDone"] as? Double != 50 {
            _ = try nextLine("backfill.done") { $0["backfillDone"] as? Double == 50 }
        }
        #expect(try migctl.run(["gauge", "backfill.rate", "10"]).status == 0)
        let last = try nextLine("the backfill's recent rate") { $0["copyRate"] as? Double == 10 }
        #expect(last["progress"] as? Double == 0.25 && last["etaSeconds"] as? Int == 15 && last["backfillPace"] as? String == "running", "\(last)")

        // Hundreds of intervals passed: only changes made lines, never two alike in a row.
        let lines = watch.jsonLines
        #expect(lines.count == seen, "one line per change, not per tick:\n\(watch.output)")
        for (earlier, later) in zip(lines, lines.dropFirst()) {
            var a = earlier, b = later
            a["at"] = nil
            b["at"] = nil
            #expect(!NSDictionary(dictionary: a).isEqual(to: b), "two lines alike: \(later)")
        }

        watch.signal(SIGTERM)
        try #require(watch.exited(within: .seconds(10)), "it stops on SIGTERM")
        #expect(watch.process.terminationReason == .exit && watch.process.terminationStatus == 0,
                "\(watch.process.terminationReason) \(watch.process.terminationStatus)\n\(watch.log)")
        #expect(watch.log.isEmpty, "\(watch.log)")
    }

    @Test(.timeLimit(.minutes(1)))
    func watchTextLinesShowTheFiguresAndSIGINTStopsThemToo() throws {
        let under = try StoreUnderTest(.sqlite)
        let migctl = try under.initialized(plan: Self.plan)
        let watch = try MigctlDaemon(migctl, ["status", "--watch"], name: "text")
        defer { watch.stop() }
        let line = try #require(eventually { watch.lines.first }, "\(watch.log)")
        let (time, figures) = (String(line.prefix { $0 != " " }), line.drop { $0 != " " }.trimmingCharacters(in: .whitespaces))
        #expect(Timestamp.date(time) != nil, "\(line)")
        #expect(figures == "old-only (1/4) · rollout 100% · v1 by tester · gates 1/1 for dual-write · copied 0 · backfill not started · no reads counted over 15m",
                "\(line)")
        #expect(try migctl.run(["gauge", "backfill.total", "1000"]).status == 0)
        #expect(try migctl.run(["gauge", "backfill.done", "250"]).status == 0)
        #expect(try migctl.run(["count", "backfill", "250"]).status == 0)
        #expect(try migctl.run(["gauge", "backfill.rate", "25"]).status == 0)
        let moved = try #require(eventually { watch.lines.last { $0.contains("copied 250/1,000 25.0%") && $0.contains("ETA") } },
                                 "\(watch.output)")
        #expect(moved.contains("old-only (1/4) · rollout 100% · v1 by tester · gates 1/1 for dual-write · copied 250/1,000 25.0% · 25/s · ETA 30s · "),
                "\(moved)")
        watch.signal(SIGINT)
        try #require(watch.exited(within: .seconds(10)))
        #expect(watch.process.terminationReason == .exit && watch.process.terminationStatus == 0, "\(watch.log)")
    }

    @Test(.timeLimit(.minutes(1)))
    func aHostileActorIsSanitisedInTextAndEscapedInJSON() throws {
        let under = try StoreUnderTest(.sqlite)
        let migctl = try under.initialized(plan: Self.plan)
        // A newline too: a forged second line would read as a real status line in a CI log.
        let hostile = "mallory\u{1B}]0;owned\u{07}\u{1B}[2J\u{9B}31m\u{202E}txt\n2026-11-26T14:02:10.120Z  complete (8/8)"
        try migctl.sqlAsAttacker("UPDATE state SET changed_by = '\(hostile)'")

        let text = try MigctlDaemon(migctl, ["status", "--watch"], name: "text")
        defer { text.stop() }
        let json = try MigctlDaemon(migctl, ["status", "--watch", "--json"], name: "json")
        defer { json.stop() }
        let line = try #require(eventually { text.lines.first }, "\(text.log)")
        #expect(line.contains("v1 by mallory?]0;owned??[2J?31m?txt?2026-11-26T14:02:10.120Z  complete (8/8) · "), "\(line)")
        #expect(text.lines.count == 1, "one line, no forged second one: \(text.lines)")
        #expect(!WatchLinesTests.steersATerminal(text.output), "\(text.output.debugDescription)")

        let raw = try #require(eventually { json.output.hasSuffix("\n") ? json.output : nil }, "\(json.log)")
        #expect(raw.contains(#""changedBy":"mallory\u001b]0;owned\u0007\u001b[2J\u009B31m\u202Etxt\n2026-11-26T14:02:10.120Z  complete (8/8)""#), "\(raw)")
        #expect(!WatchLinesTests.steersATerminal(raw), "\(raw.debugDescription)")
        let object = try #require(json.jsonLines.first)
        #expect(object["changedBy"] as? String == hostile, "the JSON string is exact once decoded")
    }

    @Test(.timeLimit(.minutes(1)))
    func aReplacedFileIsFollowedABrokenOneIsOneStderrLineAndADeletedOneStopsWithOne() throws {
        let under = try StoreUnderTest(.sqlite)
        let migctl = try under.initialized(plan: Self.plan)
        let watch = try MigctlDaemon(migctl, ["status", "--watch", "--interval", "100ms"], name: "watch")
        defer { watch.stop() }
        #expect(eventually { watch.lines.count == 1 }, "\(watch.log)")

        // Another store moved into place (a restore): the watch reopens it and shows its state.
        let other = under.folder.path("other.db")
        var otherMigctl = migctl
        otherMigctl.environment["MIGCTL_DB"] = other
        #expect(try otherMigctl.run(["init", "--name", "users-v3", "--plan", "plan.yaml"]).status == 0)
        #expect(try otherMigctl.run(["advance"]).status == 0)
        try Self.restore(other, over: under.db)
        #expect(eventually { watch.lines.last?.contains("dual-write (2/4)") == true }, "\(watch.output)\n\(watch.log)")
        #expect(watch.log.isEmpty, "\(watch.log)")

        // Not a control database any more: one line on stderr, however many intervals pass.
        let garbage = under.folder.path("garbage")
        try Data("not a database\n".utf8).write(to: URL(fileURLWithPath: garbage))
        try Self.restore(garbage, over: under.db)
        #expect(eventually { !watch.log.isEmpty }, "the problem is said")
        Thread.sleep(forTimeInterval: 0.5) // five intervals: a watch that repeated its problem would say it again
        #expect(watch.log.split(separator: "\n").count == 1, "\(watch.log)")
        #expect(watch.log.hasPrefix("migctl: ") && watch.log.contains("(still trying)"), "\(watch.log)")
        #expect(watch.process.isRunning)

        // A control database again: a line says so, and the watch goes on.
        #expect(try otherMigctl.run(["init", "--name", "users-v4", "--plan", "plan.yaml"]).status == 0)
        try Self.restore(other, over: under.db)
        #expect(eventually { watch.lines.last?.contains("old-only (1/4)") == true }, "\(watch.output)\n\(watch.log)")
        #expect(watch.log.hasSuffix("migctl: reading \(under.db) again\n"), "\(watch.log)")

        // Deleted: nothing left to watch; exit 1 with one sentence.
        try FileManager.default.removeItem(atPath: under.db)
        try #require(watch.exited(within: .seconds(10)), "a deleted file ends the watch")
        #expect(watch.process.terminationStatus == 1)
        #expect(watch.log.hasSuffix("migctl: \(under.db) was deleted while it was watched; there is nothing left to watch\n"), "\(watch.log)")
    }

    @Test(.timeLimit(.minutes(1)))
    func aLostPostgreSQLLinkIsOneStderrLineUntilItIsBackThenTheWatchGoesOn() throws {
        let under = try StoreUnderTest(.postgres)
        let migctl = try under.initialized(plan: Self.plan)
        let login = try under.login("watcher", roles: [.app])
        var watcher = migctl
        watcher.environment["MIGCTL_DB"] = try under.location(as: "watcher")
        let watch = try MigctlDaemon(watcher, ["status", "--watch", "--interval", "100ms"], name: "watch")
        defer { watch.stop() }
        #expect(eventually { watch.lines.count == 1 }, "\(watch.log)")

        // The server drops its connection and lets it in no more: the link is lost for a while.
        let cut = under.superuserSQL("ALTER ROLE \(login) NOLOGIN; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '\(login)';")
        #expect(cut.status == 0, "\(cut.stderr)")
        #expect(eventually { !watch.log.isEmpty }, "the problem is said")
        Thread.sleep(forTimeInterval: 1) // ten intervals and several reconnections, each saying when it tries next
        // The connection closed, then the login refused: each said once, however often it is met.
        let problems = watch.log.split(separator: "\n")
        #expect((1...2).contains(problems.count) && problems.allSatisfy { $0.hasPrefix("migctl: ") && $0.hasSuffix("(still trying)") },
                "\(watch.log)")
        #expect(problems.contains { $0.contains("not permitted to log in") }, "\(watch.log)")
        #expect(watch.process.isRunning)

        #expect(under.superuserSQL("ALTER ROLE \(login) LOGIN;").status == 0)
        #expect(try migctl.run(["advance"]).status == 0)
        #expect(eventually(within: .seconds(30)) { watch.lines.last?.contains("dual-write (2/4)") == true }, "\(watch.output)\n\(watch.log)")
        let said = watch.log.split(separator: "\n")
        #expect(said.count == problems.count + 1 && said.last?.hasPrefix("migctl: reading ") == true && said.last?.hasSuffix(" again") == true,
                "\(watch.log)")
        watch.signal(SIGTERM)
        try #require(watch.exited(within: .seconds(10)))
        #expect(watch.process.terminationReason == .exit && watch.process.terminationStatus == 0, "\(watch.log)")
    }

    @Test func watchAndFollowRefuseWhatDoesNotGoTogether() throws {
        let under = try StoreUnderTest(.sqlite)
        let migctl = try under.initialized(plan: Self.plan)
        let cases: [([String], String)] = [
            (["log", "--follow", "--verify"], "migctl: --follow and --verify do not go together: verify the chain, then follow it. (see 'migctl log --help')\n"),
            (["status", "--interval", "1s"], "migctl: --interval goes with --watch. (see 'migctl status --help')\n"),
            (["status", "--watch", "--interval", "10ms"],
             "migctl: --interval '10ms' is not a duration from 100ms to 1h; use 500ms, 5s, 1m. (see 'migctl status --help')\n"),
            (["status", "--watch", "--interval", "2h"],
             "migctl: --interval '2h' is not a duration from 100ms to 1h; use 500ms, 5s, 1m. (see 'migctl status --help')\n"),
            (["status", "--watch", "--interval", "soon"],
             "migctl: --interval 'soon' is not a duration from 100ms to 1h; use 500ms, 5s, 1m. (see 'migctl status --help')\n"),
        ]
        for (arguments, message) in cases {
            let result = try migctl.run(arguments)
            #expect(result.status == 64 && result.stdout.isEmpty, "\(arguments): \(result.status) \(result.stdout)")
            #expect(result.stderr == message, "\(arguments)")
        }
        // A missing store at the start is an error, not a wait.
        var missing = migctl
        missing.environment["MIGCTL_DB"] = under.folder.path("nothing.db")
        for arguments in [["status", "--watch"], ["log", "--follow"]] {
            let result = try missing.run(arguments)
            #expect(result.status == 1 && result.stderr.hasPrefix("migctl: ") && result.stderr.contains("nothing.db"), "\(result.stderr)")
        }
    }

    // MARK: - log --follow

    @Test(.timeLimit(.minutes(2)), arguments: StoreKind.allCases)
    func followPrintsTheTailThenEveryEventOfOtherProcessesInOrderWithoutGapsOrRepeats(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Self.plan)
        let store = try under.open()
        #expect(try migctl.run(["advance"]).status == 0)
        for percent in ["5", "10", "15"] { #expect(try migctl.run(["rollout", percent]).status == 0) }
        let before = try store.auditLog(limit: 100).map(\.id).sorted()
        #expect(before.count == 5)

        let follow = try MigctlDaemon(migctl, ["log", "--follow", "--json", "--limit", "3"], name: "follow")
        defer { follow.stop() }
        #expect(eventually { follow.jsonLines.count == 3 }, "\(follow.output)\n\(follow.log)")
        #expect(follow.jsonLines.compactMap { $0["id"] as? Int64 } == Array(before.suffix(3)), "the last three, oldest first\n\(follow.output)")

        // Two writers at once, each a burst of separate processes; some lose a race (exit 5) and write nothing.
        let done = DispatchGroup()
        for writer in 0..<2 {
            DispatchQueue.global().async(group: done) {
                for step in 0..<8 { _ = try? migctl.run(["rollout", "\(20 + writer * 30 + step)"]) }
            }
        }
        #expect(try under.migctl(as: "bo").run(["approve", "read-new"]).status == 0)
        #expect(done.wait(timeout: .now() + 60) == .success)
        let all = try store.auditLog(limit: 1000).map(\.id).sorted()
        #expect(all.count > before.count + 3, "the writers wrote: \(all)")
        let printed = try #require(eventually(within: .seconds(20)) { () -> [Int64]? in
            let ids = follow.jsonLines.compactMap { $0["id"] as? Int64 }
            return ids.last == all.last ? ids : nil
        }, "the follower reaches the newest event\n\(follow.output)\n\(follow.log)")
        #expect(printed == Array(all.suffix(printed.count)) && printed.count == all.count - 2,
                "every event after the tail, in order, none missing or repeated:\n\(printed)\n\(all)")
        let events = follow.jsonLines
        #expect(events.allSatisfy { $0["actor"] is String && $0["action"] is String && $0["at"] is String }, "AuditEvent's JSON shape")
        #expect(events.contains { $0["action"] as? String == "approve" && $0["toPhase"] as? String == "read-new" })

        follow.signal(SIGTERM)
        try #require(follow.exited(within: .seconds(10)))
        #expect(follow.process.terminationReason == .exit && follow.process.terminationStatus == 0, "\(follow.log)")
        #expect(follow.log.isEmpty, "\(follow.log)")
    }

    @Test(.timeLimit(.minutes(1)))
    func followSanitisesAHostileEventInTextAndStopsWhenItsHistoryIsRewritten() throws {
        let under = try StoreUnderTest(.sqlite)
        let migctl = try under.initialized(plan: Self.plan)
        let follow = try MigctlDaemon(migctl, ["log", "--follow"], name: "follow")
        defer { follow.stop() }
        #expect(eventually { follow.lines.count == 1 }, "\(follow.log)")
        #expect(follow.lines.first?.hasPrefix("#1  ") == true && follow.lines.first?.contains("  tester@") == true, "\(follow.output)")

        // A row written past the rules, by hand: its escapes print as '?'.
        try migctl.sqlAsAttacker("""
            INSERT INTO audit (at, actor, host, action, reason, hash)
            VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'eve' || char(27) || '[31m', 'h' || char(155) || '2J', 'tick', 'x' || char(7), 'forged');
            """)
        let hostile = try #require(eventually { follow.lines.count == 2 ? follow.lines[1] : nil }, "\(follow.output)\n\(follow.log)")
        #expect(hostile.hasPrefix("#2  ") && hostile.contains("eve?[31m@h?2J"), "\(hostile)")
        #expect(!WatchLinesTests.steersATerminal(follow.output), "\(follow.output.debugDescription)")

        // The printed event rewritten: what follows would not continue what was printed.
        try migctl.sqlAsAttacker("UPDATE audit SET reason = 'rewritten' WHERE id = 2")
        #expect(try migctl.run(["count", "hit"]).status == 0, "any commit wakes the follower")
        try #require(follow.exited(within: .seconds(10)), "\(follow.output)\n\(follow.log)")
        #expect(follow.process.terminationStatus == 1)
        #expect(follow.log.hasSuffix("migctl: the audit log at \(under.db) no longer holds event #2 as it was printed: the store was replaced by another or rewritten; run 'migctl log --follow' again\n"),
                "\(follow.log)")
    }

    // MARK: - --version

    @Test func versionNamesTheContractItReadsAndTheOnesItUpgradesFrom() throws {
        let folder = TemporaryDirectory()
        let result = try MigctlProcess(folder: folder.url).run(["--version"])
        #expect(result.status == 0 && result.stderr.isEmpty)
        let contract = SQLiteControlStore.schemaVersion
        let upgradable = SQLiteControlStore.upgradableSchemaVersions
        #expect(upgradable == 1...(contract - 1))
        #expect(result.stdout == "migctl 0.1.0 (control store contract \(contract); upgrades SQLite files from 1–\(contract - 1), PostgreSQL stores from 3–\(contract - 1))\n",
                "\(result.stdout)")
    }

    // MARK: - Helpers

    /// Moves `source` over `target` as a careful restore does: the source checkpointed into its
    /// file first, the target's WAL and shared-memory files removed with it (SQLite would replay
    /// a WAL left beside another database).
    static func restore(_ source: String, over target: String) throws {
        if (try? Data(contentsOf: URL(fileURLWithPath: source)).prefix(6)) == Data("SQLite".utf8) {
            let checkpoint = StoreUnderTest.run("/usr/bin/sqlite3", [source, "PRAGMA wal_checkpoint(TRUNCATE)"])
            guard checkpoint.status == 0 else { throw CLIError(message: "sqlite3: \(checkpoint.stderr)") }
        }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target + suffix) }
        try FileManager.default.moveItem(atPath: source, toPath: target)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: source + suffix) }
    }

    /// Whether `text` holds anything that steers a terminal: C0 controls but the newline, DEL,
    /// C1 controls, bidi overrides.
    static func steersATerminal(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0 != "\n" && String($0).terminalSafe == "?" && $0 != "?" }
    }
}

extension MigctlDaemon {
    /// The complete lines printed on stdout so far: a line shows only once the process flushed it.
    var lines: [String] {
        let text = output
        let complete = text.hasSuffix("\n") ? text : String(text[..<(text.lastIndex(of: "\n") ?? text.startIndex)])
        return complete.split(separator: "\n").map(String.init)
    }

    /// The complete lines printed so far, each decoded as a JSON object (each must be one).
    var jsonLines: [[String: Any]] {
        lines.map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? ["unparsable": $0] }
    }
}
