import Foundation
import MigrationCore
import TestSupport
import Testing

/// `migctl guard` through the real binary, as operators and systemd run it: two processes on
/// one store, kill -9 and SIGTERM, counts written by `migctl count`, a real HTTP receiver on
/// loopback and an `--exec` script, hostile lease rows and bad flags. On both stores.
///
/// Every guard process is SIGKILLed when its test ends, whatever happens (``MigctlDaemon``).
/// Serialized: the bounds asserted here (a takeover within the lease, a rollback within two
/// intervals) are the issue's, with little slack, so these tests do not compete with each other.
@Suite(.serialized)
struct GuardProcessTests {
    /// A plan whose second phase rolls back on an error rate.
    static let rollbackPlan = """
        phases:
          - {id: old-only, reads: old, writes: [old], ramp: false}
          - id: dual-write
            reads: old
            writes: [old, new]
            guards:
              - name: new-store-errors
                when: {kind: counter, numerator: [write.new.error], denominator: [write], window: 5m, max: 0.01, min_sample: 100}
                action: rollback
          - {id: new-primary, reads: new-fallback-old, writes: [new, old], irreversible: true}
        """

    /// A plan whose second phase ramps by itself, a step a second.
    static let rampPlan = """
        phases:
          - {id: old-only, reads: old, writes: [old], ramp: false}
          - id: dual-write
            reads: old
            writes: [old, new]
            ramp: {steps: [5, 25, 50, 75, 100], every: 1s}
          - {id: read-new, reads: new-fallback-old, writes: [old, new]}
          - {id: new-primary, reads: new-fallback-old, writes: [new, old], irreversible: true}
        """

    // MARK: - 1. Two guards, one acts; kill -9 and the standby takes over

    @Test(.timeLimit(.minutes(2)), arguments: StoreKind.allCases)
    func twoGuardsOneActsAndAfterKill9TheStandbyTakesOverWithinTheLease(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Self.rampPlan)
        let store = try under.open()
        let interval = 0.5, lease = 3.0
        let flags = ["--db", under.db, "--interval", "500ms", "--lease", "3s"]
        let a = try guardDaemon(migctl, flags, name: "a")
        defer { a.stop() }
        let b = try guardDaemon(migctl, flags, name: "b")
        defer { b.stop() }

        let first = try #require(try eventually(within: .seconds(30)) { try liveLease(migctl) },
                                 "guard status --json shows a live lease\n\(a.log)\n\(b.log)")
        let holder = try #require([a, b].first { $0.pid == first.pid }, "the lease names one of the two guards: \(first.holder)")
        let standby = holder === a ? b : a
        #expect(eventually { holder.log.contains("acting:") && standby.log.contains("standing by:") },
                "one acts, the other stands by\n\(holder.log)\n\(standby.log)")
        // Several renewals later, still exactly one has ever acted and one takeover is audited.
        #expect(try eventually(within: .seconds(20)) {
            try store.guardLease().map { $0.renewedAt.timeIntervalSince(first.renewedAt) >= 4 * interval } ?? false
        })
        #expect([a, b].filter { $0.log.contains("acting:") }.count == 1, "\(a.log)\n\(b.log)")
        #expect(try store.auditLog(limit: 100).filter { $0.action == "guard-lease" }.count == 1)

        // The ramp runs under the acting guard; kill -9 it mid-ramp.
        #expect(try migctl.run(["advance"]).status == 0)
        #expect(try eventually(within: .seconds(30)) { try store.state().rollout >= Rollout(percent: "25") },
                "the guard ramps\n\(holder.log)")
        holder.signal(SIGKILL)
        let killedAt = Date()
        #expect(holder.exited(within: .seconds(10)))
        let old = try #require(try store.guardLease())
        try #require(old.pid == holder.pid, "nobody took the lease while it was still alive: \(old.holder)")

        let new = try #require(try eventually(within: .seconds(30)) { try store.guardLease().flatMap { $0.pid == old.pid ? nil : $0 } },
                               "the standby takes over\n\(standby.log)")
        #expect(new.pid == standby.pid && new.epoch == old.epoch + 1, "\(new)")
        #expect(new.acquiredAt >= old.expiresAt, "taken only once the old lease expired: \(new.acquiredAt) < \(old.expiresAt)")
        let takeover = new.acquiredAt.timeIntervalSince(killedAt)
        #expect(takeover <= lease + 2 * interval, "taken over \(takeover)s after the kill; at most the lease plus two intervals")
        #expect(eventually { standby.log.contains("acting:") }, "\(standby.log)")

        // A fresh standby beside it: the rest of the ramp still happens once per step.
        let c = try guardDaemon(migctl, flags, name: "c")
        defer { c.stop() }
        #expect(try eventually(within: .seconds(60)) { try store.state().rollout == .full }, "the ramp completes\n\(standby.log)")
        #expect(eventually { c.log.contains("standing by:") }, "\(c.log)")
        let audit = try store.auditLog(limit: 200).reversed()
        let steps = audit.filter { $0.action == "rollout" }
        #expect(steps.compactMap(\.toRollout).map(\.description) == ["5%", "25%", "50%", "75%", "100%"],
                "each ramp step exactly once: \(steps.map { "\($0.toRollout?.description ?? "?") by \($0.actor)" })")
        #expect(steps.allSatisfy { $0.reason?.hasPrefix("automatic ramp of 'dual-write'") == true }, "\(steps.map(\.reason))")
        for (earlier, later) in zip(steps, steps.dropFirst()) {
            #expect(later.at.timeIntervalSince(earlier.at) >= 0.999, "each step waits its second")
        }
        #expect(audit.filter { $0.action == "guard-lease" }.count == 2, "the first claim and the one takeover")
        #expect(!c.log.contains("acting:"), "\(c.log)")
        #expect(try liveLease(migctl)?.pid == standby.pid, "guard status names the new holder")
    }

    // MARK: - 2. SIGTERM is clean

    @Test(.timeLimit(.minutes(2)), arguments: StoreKind.allCases)
    func sigtermStopsAtOnceAndLetsTheLeaseGoSoAStandbyTakesOverWithinAnInterval(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Self.rollbackPlan)
        let store = try under.open()
        let interval = 1.0, lease = 10.0
        let flags = ["--db", under.db, "--interval", "1s", "--lease", "10s"]

        // Alone: it acts, and SIGTERM ends it with 0, leaving no live lease behind.
        let alone = try guardDaemon(migctl, flags, name: "alone")
        defer { alone.stop() }
        #expect(try eventually(within: .seconds(30)) { try liveLease(migctl)?.pid == alone.pid }, "\(alone.log)")
        alone.signal(SIGTERM)
        let asked = Date()
        #expect(alone.exited(within: .seconds(10)), "\(alone.log)")
        let took = Date().timeIntervalSince(asked)
        #expect(took <= 2 * interval, "it stopped \(took)s after SIGTERM; promptly means within an interval or two")
        #expect(alone.process.terminationReason == .exit && alone.process.terminationStatus == 0,
                "\(alone.process.terminationReason) \(alone.process.terminationStatus)\n\(alone.log)")
        #expect(alone.log.contains("stopping") && alone.log.contains("released the guard lease"), "\(alone.log)")
        let status = try migctl.json(["guard", "status", "--json"]) as? [String: Any]
        #expect(status?["leaseAlive"] as? Bool == false, "no live lease right after the exit: \(String(describing: status))")
        let text = try migctl.run(["guard", "status"])
        #expect(text.status == 0 && text.stdout.hasPrefix("guard: none acting"), "\(text.stdout)\(text.stderr)")

        // Two: the holder is stopped, and the standby takes over at its next look, not a lease later.
        let b = try guardDaemon(migctl, flags, name: "b")
        defer { b.stop() }
        let first = try #require(try eventually(within: .seconds(30)) { try store.guardLease().flatMap { $0.pid == b.pid ? $0 : nil } },
                                 "a fresh guard takes a released lease at once\n\(b.log)")
        let c = try guardDaemon(migctl, flags, name: "c")
        defer { c.stop() }
        #expect(eventually(within: .seconds(30)) { c.log.contains("standing by:") }, "\(c.log)")
        b.signal(SIGTERM)
        #expect(b.exited(within: .seconds(10)), "\(b.log)")
        let exitedAt = Date()
        #expect(b.process.terminationReason == .exit && b.process.terminationStatus == 0, "\(b.log)")
        let new = try #require(try eventually(within: .seconds(30)) { try store.guardLease().flatMap { $0.pid == c.pid ? $0 : nil } },
                               "\(c.log)")
        #expect(new.epoch == first.epoch + 1)
        let takeover = new.acquiredAt.timeIntervalSince(exitedAt)
        // One interval, plus half of one for the standby's own tick and scheduling on a busy machine.
        #expect(takeover <= 1.5 * interval && takeover < lease,
                "the standby took over \(takeover)s after the holder exited; within an interval, not a \(lease)s lease")
        let reasons = try store.auditLog(limit: 50).filter { $0.action == "guard-lease" }.compactMap(\.reason)
        #expect(reasons.count == 3 && reasons[0].contains(new.holder), "\(reasons)")
    }

    // MARK: - 3. A guard fires on an injected error rate and rolls back within two intervals

    @Test(.timeLimit(.minutes(2)), arguments: StoreKind.allCases)
    func aGuardFiresOnCountsFromMigctlCountAndRollsBackWithinTwoIntervals(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Self.rollbackPlan)
        let store = try under.open()
        #expect(try migctl.run(["advance"]).status == 0)
        #expect(try migctl.run(["rollout", "50"]).status == 0)
        let interval = 1.0
        let daemon = try guardDaemon(migctl, ["--db", under.db, "--interval", "1s", "--lease", "5s"], name: "guard")
        defer { daemon.stop() }
        // It has looked at least once: its published status names the guard (nothing counted yet: unknown).
        #expect(try eventually(within: .seconds(30)) { try watched(migctl, "new-store-errors") == "unknown" }, "\(daemon.log)")

        #expect(try migctl.run(["count", "write", "1000"]).status == 0)
        #expect(try migctl.run(["count", "write.new.error", "50"]).status == 0)
        let written = Date()
        #expect(try eventually(within: .seconds(30)) { try store.state().rollout == .none }, "rolled back to 0%\n\(daemon.log)")
        let audit = try store.auditLog(limit: 20)
        let fire = try #require(audit.first { $0.action == "guard-fire" })
        let rollback = try #require(audit.first { $0.action == "rollout" && $0.toRollout == Rollout.none })
        for event in [fire, rollback] {
            let after = event.at.timeIntervalSince(written)
            #expect(after <= 2 * interval, "\(event.action) \(after)s after the counts were written; at most two intervals")
        }
        let guardActor = kind == .sqlite ? "guard@\(ProcessInfo.processInfo.hostName)" : under.actor()
        #expect(fire.actor == guardActor && rollback.actor == guardActor, "\(fire.actor) \(rollback.actor)")
        #expect(fire.details?.contains("50/1000") == true && fire.reason?.contains("new-store-errors") == true, "\(fire)")
        #expect(daemon.log.contains("guard 'new-store-errors' fired in 'dual-write'"), "\(daemon.log)")

        // Fired stays fired: a person may not ramp up again, and is told which guard and how to clear it.
        let refused = try migctl.run(["rollout", "50"])
        #expect(refused.status == 3 && refused.stderr.contains("new-store-errors") && Self.isOneLine(refused.stderr),
                "\(refused.status) \(refused.stderr)")
        let shown = try migctl.run(["guard", "status"])
        #expect(shown.stdout.contains("fired new-store-errors (rollback) in dual-write"), "\(shown.stdout)")

        // Clearing takes a reason.
        let noReason = try migctl.run(["guard", "clear", "new-store-errors"])
        #expect(noReason.status == 64 && noReason.stderr.contains("--reason"), "\(noReason.stderr)")
        #expect(noReason.stderr.contains("(see 'migctl guard clear --help')"), "points at the subcommand's own help: \(noReason.stderr)")

        // The errors are diluted below the bound; once the guard sees it pass, clear it.
        #expect(try migctl.run(["count", "write", "100000"]).status == 0)
        #expect(try eventually(within: .seconds(30)) { try watched(migctl, "new-store-errors") == "pass" }, "\(daemon.log)")
        let cleared = try migctl.run(["guard", "clear", "new-store-errors", "--reason", "the new store's disk was full; grown"])
        #expect(cleared.status == 0 && cleared.stdout.hasPrefix("cleared guard 'new-store-errors'"), "\(cleared.stdout)\(cleared.stderr)")
        let again = try migctl.run(["rollout", "50"])
        #expect(again.status == 0, "the rollout is allowed again: \(again.stderr)")
        let twice = try migctl.run(["guard", "clear", "new-store-errors", "--reason", "again"])
        #expect(twice.status == 1 && twice.stderr.contains("has not fired (or was cleared already)") && Self.isOneLine(twice.stderr),
                "\(twice.status) \(twice.stderr)")
        #expect(try store.auditLog(limit: 10).contains { $0.action == "guard-clear" && $0.reason?.contains("disk was full") == true })

        // Two more looks later, the guard has not fired again nor lowered the rollout.
        let renewed = try #require(try store.guardLease()).renewedAt
        #expect(try eventually(within: .seconds(30)) {
            try store.guardLease().map { $0.renewedAt.timeIntervalSince(renewed) >= 2 * interval } ?? false
        })
        #expect(try store.state().rollout == Rollout(percent: "50"))
        #expect(try store.guardFirings(openOnly: false, limit: 10).count == 1)
    }

    // MARK: - 4. Webhook and exec end to end

    @Test(.timeLimit(.minutes(2)), arguments: StoreKind.allCases)
    func aLoopbackReceiverAndAnExecScriptGetTheGuardsEvents(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Self.rollbackPlan)
        let folder = under.folder
        let receiver = try LoopbackReceiver(in: folder)
        defer { receiver.stop() }
        let script = folder.path("record-event")
        try Data("#!/bin/sh\ncat >> \"$1\"\n".utf8).write(to: URL(fileURLWithPath: script))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let recorded = folder.path("exec-events.jsonl")
        try #require(!script.contains(where: \.isWhitespace) && !recorded.contains(where: \.isWhitespace), "--exec splits at spaces")
        #expect(try migctl.run(["advance"]).status == 0)
        #expect(try migctl.run(["rollout", "50"]).status == 0)
        #expect(try migctl.run(["count", "write", "1000"]).status == 0)
        #expect(try migctl.run(["count", "write.new.error", "50"]).status == 0)

        // Slack format, and an exec target: both get every event, in the same order.
        let secret = "T0PSECRET-b81f"
        let slackPath = "/hook/services/\(secret)"
        let slack = try guardDaemon(migctl, ["--db", under.db, "--interval", "500ms", "--webhook", "http://127.0.0.1:\(receiver.port)\(slackPath)",
                                             "--webhook-format", "slack", "--exec", "\(script) \(recorded)"], name: "slack")
        defer { slack.stop() }
        let execKinds = Set(["guard-fired", "rollout-changed"])
        #expect(eventually(within: .seconds(30)) { execKinds.isSubset(of: Set(Self.events(in: recorded).compactMap { $0["event"] as? String })) },
                "the exec script got both events\n\(slack.log)")
        #expect(eventually(within: .seconds(30)) { receiver.requests(path: slackPath).count >= Self.events(in: recorded).count },
                "the receiver got them too\n\(slack.log)")
        let status = try migctl.run(["guard", "status", "--json"])
        #expect(!status.stdout.contains(secret), "the published status names the webhook without its path: \(status.stdout)")
        slack.signal(SIGTERM)
        #expect(slack.exited(within: .seconds(15)) && slack.process.terminationStatus == 0, "\(slack.log)")

        let execEvents = Self.events(in: recorded)
        let posted = receiver.requests(path: slackPath)
        #expect(posted.allSatisfy { $0.method == "POST" && $0.headers["content-type"]?.hasPrefix("application/json") == true })
        let bodies = posted.compactMap { try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any] }
        #expect(bodies.count == posted.count && bodies.allSatisfy { $0.keys.sorted() == ["text"] }, "slack bodies are {\"text\": …}: \(posted.map(\.body))")
        let slackEscaped = { (text: String) in
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        #expect(bodies.compactMap { $0["text"] as? String } == execEvents.compactMap { $0["text"] as? String }.map(slackEscaped),
                "the webhook and the exec script got the same events, in order:\n\(posted.map(\.body))\n\(execEvents)")
        let fired = try #require(execEvents.first { $0["event"] as? String == "guard-fired" })
        let facts = fired["facts"] as? [String: String] ?? [:]
        #expect(fired["migration"] as? String == "users-v2" && facts["guard"] == "new-store-errors" && facts["action"] == "rollback"
                && facts["observed"]?.contains("50/1000") == true && facts["bound"] == "≤ 0.01", "the figures it saw: \(fired)")
        #expect(!slack.log.contains(secret) && !slack.log.contains("/hook"), "the webhook's path never reaches the log:\n\(slack.log)")

        // JSON format: clear it with the errors still counted, ramp up, and a second guard fires again.
        #expect(try migctl.run(["guard", "clear", "new-store-errors", "--reason", "retry with the json hook"]).status == 0)
        #expect(try migctl.run(["rollout", "50"]).status == 0)
        let jsonPath = "/hook/json/\(secret)?token=\(secret)"
        let json = try guardDaemon(migctl, ["--db", under.db, "--interval", "500ms", "--webhook", "http://127.0.0.1:\(receiver.port)\(jsonPath)",
                                            "--webhook-format", "json"], name: "json")
        defer { json.stop() }
        let wanted = Set(["guard-fired", "rollout-changed"])
        let events = try #require(eventually(within: .seconds(30)) {
            let events = receiver.requests(path: jsonPath).compactMap { try? JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any] }
            return wanted.isSubset(of: Set(events.compactMap { $0["event"] as? String })) ? events : nil
        }, "the receiver got both events as JSON\n\(json.log)\n\(receiver.requests(path: jsonPath).map(\.body))")
        let again = try #require(events.first { $0["event"] as? String == "guard-fired" })
        #expect(Set(again.keys) == ["event", "at", "migration", "phase", "rollout", "version", "text", "facts"], "\(again)")
        #expect((again["facts"] as? [String: String])?["guard"] == "new-store-errors" && again["phase"] as? String == "dual-write")
        #expect((again["text"] as? String)?.contains("new-store-errors") == true)
        let rolled = try #require(events.first { $0["event"] as? String == "rollout-changed" })
        #expect(rolled["rollout"] as? String == "0%" && (rolled["text"] as? String)?.contains("50% → 0%") == true, "\(rolled)")
        json.signal(SIGTERM)
        #expect(json.exited(within: .seconds(15)) && json.process.terminationStatus == 0, "\(json.log)")
        #expect(!json.log.contains(secret) && !json.log.contains("token"), "\(json.log)")
    }

    // MARK: - 5. Hostile input

    @Test(.timeLimit(.minutes(2)), arguments: StoreKind.allCases)
    func aHandWrittenLeaseRowIsReportedInOneSentenceAndCrashesNothing(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Self.rollbackPlan)
        // A lease nobody runs, written by hand: an escape sequence in the holder, garbage status, the year 9999.
        if kind == .sqlite {
            let wrote = try under.sql("""
                INSERT INTO guard_lease (id, holder, host, pid, epoch, acquired_at, renewed_at, expires_at, status)
                VALUES (1, 'mallory' || char(27) || '[31m', 'elsewhere', 4242, 7, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z',
                        '9999-12-31T23:59:59.999Z', '{"guards": [' || char(7) || char(27) || ']0;pwned' || char(7));
                """)
            try #require(wrote.status == 0, "sqlite3 writes it, the rules let it in: \(wrote.stderr)")
        } else {
            try under.sqlAsAttacker("""
                INSERT INTO guard_lease (id, holder, host, pid, epoch, acquired_at, renewed_at, expires_at, status)
                VALUES (1, 'mallory' || chr(27) || '[31m', 'elsewhere', 4242, 7, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',
                        '9999-12-31T23:59:59.999Z', '{"guards": [' || chr(7) || chr(27) || ']0;pwned' || chr(7));
                """)
        }
        let text = try migctl.run(["guard", "status"])
        #expect(text.status == 0 && Self.isOneLine(text.stdout) && text.stdout.contains("mallory") && text.stderr.isEmpty,
                "\(text.status) \(text.stdout)\(text.stderr)")
        #expect(!Self.hasControlCharacters(String(text.stdout.dropLast())), "\(text.stdout.debugDescription)")
        let json = try migctl.run(["guard", "status", "--json"])
        let report = try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        // An expiry years ahead is not believed (it would lock every guard out for good).
        #expect(json.status == 0 && report?["leaseAlive"] as? Bool == false && report?["published"] == nil, "\(json.stdout)\(json.stderr)")
        #expect(!Self.hasControlCharacters(json.stdout.replacingOccurrences(of: "\n", with: "")), "JSON escapes them")

        // The guard takes that lease over (a new epoch), says so once, and stops cleanly.
        let daemon = try guardDaemon(migctl, ["--db", under.db, "--interval", "500ms", "--lease", "3s"], name: "guard")
        defer { daemon.stop() }
        #expect(eventually(within: .seconds(30)) { daemon.log.contains("acting:") }, "\(daemon.log)")
        Self.watch(seconds: 4 * 0.5)
        #expect(daemon.process.isRunning)
        let taken = try #require(try migctl.json(["guard", "status", "--json"]) as? [String: Any])
        #expect((taken["lease"] as? [String: Any])?["epoch"] as? Int == 8 && taken["leaseAlive"] as? Bool == true, "\(taken)")
        daemon.signal(SIGTERM)
        #expect(daemon.exited(within: .seconds(10)) && daemon.process.terminationReason == .exit && daemon.process.terminationStatus == 0,
                "\(daemon.log)")
        #expect(daemon.log.split(separator: "\n").filter { $0.contains("acting:") }.count == 1, "\(daemon.log)")
        #expect(!Self.hasControlCharacters(daemon.log.replacingOccurrences(of: "\n", with: "")), "\(daemon.log.debugDescription)")
        #expect(!daemon.log.contains("standing by:") && !daemon.log.contains("error"), "\(daemon.log)")

        guard kind == .sqlite else { return }
        // Past the rules: values of the wrong type. Both report the row in one sentence; the guard
        // keeps running (the row may be repaired) and does not repeat itself every interval.
        try under.sqlAsAttacker("UPDATE guard_lease SET status = X'00FF1B', expires_at = 'soon' || char(27) || '[2J' WHERE id = 1")
        let broken = try migctl.run(["guard", "status"])
        #expect(broken.status == 1 && Self.isOneLine(broken.stderr) && broken.stderr.contains("guard_lease") && broken.stdout.isEmpty,
                "\(broken.status) \(broken.stdout)\(broken.stderr)")
        #expect(!Self.hasControlCharacters(broken.stderr.replacingOccurrences(of: "\n", with: "")), "\(broken.stderr.debugDescription)")
        let confused = try guardDaemon(migctl, ["--db", under.db, "--interval", "500ms", "--lease", "3s"], name: "confused")
        defer { confused.stop() }
        #expect(eventually(within: .seconds(30)) { confused.log.contains("guard_lease row") }, "\(confused.log)")
        Self.watch(seconds: 4 * 0.5)
        #expect(confused.process.isRunning, "it runs on: the row may be repaired\n\(confused.log)")
        confused.signal(SIGTERM)
        #expect(confused.exited(within: .seconds(10)) && confused.process.terminationStatus == 0, "\(confused.log)")
        let complaints = confused.log.split(separator: "\n").filter { $0.contains("guard_lease row") }
        #expect(complaints.count == 1, "said once, not every 500ms:\n\(confused.log)")
        #expect(!Self.hasControlCharacters(confused.log.replacingOccurrences(of: "\n", with: "")), "\(confused.log.debugDescription)")
    }

    @Test func badGuardFlagsAreUsageErrorsInOneSentence() throws {
        let folder = TemporaryDirectory()
        let migctl = MigctlProcess(folder: folder.url)
        let cases: [([String], String)] = [
            (["--interval", "0s"], "--interval"),
            (["--lease", "1s", "--interval", "5s"], "--lease must be at least three intervals"),
            (["--webhook", "ftp://x"], "scheme is 'ftp'"),
            (["--webhook", "http:///hook/T0PSECRET"], "has no host"),
            (["--webhook-format", "xml"], "--webhook-format must be json or slack"),
            (["--exec", " "], "--exec"),
        ]
        for (flags, sentence) in cases {
            let result = try migctl.run(["guard", "--db", folder.path("none.db")] + flags)
            #expect(result.status == 64 && result.stderr.hasPrefix("migctl: ") && result.stderr.contains(sentence) && Self.isOneLine(result.stderr),
                    "\(flags): \(result.status) \(result.stderr)")
            #expect(!result.stderr.contains("T0PSECRET"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path("none.db")), "nothing was opened")
    }

    @Test(arguments: StoreKind.allCases)
    func initRefusesARollbackGuardInAnIrreversiblePhase(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let plan = """
            phases:
              - {id: old-only, reads: old, writes: [old], ramp: false}
              - {id: dual-write, reads: old, writes: [old, new]}
              - id: new-primary
                reads: new-fallback-old
                writes: [new, old]
                irreversible: true
                guards:
                  - name: old-store-errors
                    when: {kind: counter, numerator: [write.old.error], denominator: [write], window: 5m, max: 0.01, min_sample: 100}
                    action: rollback
            """
        try Data(plan.utf8).write(to: under.folder.url.appending(path: "plan.yaml"))
        let result = try under.migctl.run(["init", "--name", "users-v2", "--plan", "plan.yaml"])
        let problem = "plan.yaml:11: phases[3].guards[1].action rollback is refused in or after the irreversible phase 'new-primary'"
        #expect(result.status == 1 && result.stderr.contains(problem), "\(result.status) \(result.stderr)")
        #expect(!under.exists(), "no store was created")
    }

    // MARK: - Helpers

    /// The lease `migctl guard status --json` shows, when it says the lease is alive.
    func liveLease(_ migctl: MigctlProcess) throws -> GuardLease? {
        guard let report = try migctl.json(["guard", "status", "--json"]) as? [String: Any], report["leaseAlive"] as? Bool == true,
              let lease = report["lease"] as? [String: Any], let holder = lease["holder"] as? String,
              let pid = (lease["pid"] as? NSNumber)?.int64Value, let epoch = (lease["epoch"] as? NSNumber)?.int64Value,
              let acquired = (lease["acquiredAt"] as? String).flatMap(Timestamp.date), let renewed = (lease["renewedAt"] as? String).flatMap(Timestamp.date),
              let expires = (lease["expiresAt"] as? String).flatMap(Timestamp.date)
        else { return nil }
        return GuardLease(holder: holder, host: lease["host"] as? String ?? "", pid: pid, epoch: epoch, acquiredAt: acquired, renewedAt: renewed,
                          expiresAt: expires)
    }

    /// The status the acting guard last published for the guard `name` (`pass`, `fail`, `unknown`).
    func watched(_ migctl: MigctlProcess, _ name: String) throws -> String? {
        let report = try migctl.json(["guard", "status", "--json"]) as? [String: Any]
        let guards = (report?["published"] as? [String: Any])?["guards"] as? [[String: Any]]
        return guards?.first { $0["name"] as? String == name }?["status"] as? String
    }

    /// The events an `--exec` script appended, one JSON object a line.
    static func events(in file: String) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Lets `seconds` pass: only for asserting that something did not happen meanwhile (a
    /// sentence not repeated every interval). Waiting for something to happen is `eventually`.
    static func watch(seconds: Double) {
        Thread.sleep(forTimeInterval: seconds)
    }

    static func isOneLine(_ text: String) -> Bool {
        !text.isEmpty && text.hasSuffix("\n") && text.dropLast().allSatisfy { $0 != "\n" }
    }

    static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || (0x80..<0xA0).contains($0.value) }
    }
}

/// One `migctl guard` process (a ``MigctlDaemon``; the guard logs to stderr, its ``MigctlDaemon/log``).
private func guardDaemon(_ migctl: MigctlProcess, _ arguments: [String], name: String) throws -> MigctlDaemon {
    try MigctlDaemon(migctl, ["guard"] + arguments, name: "guard-\(name)")
}

/// `Tests/GuardServiceTests/Fixtures/webhook_receiver.py` (found beside this file) on loopback:
/// the requests it received. It exits when the test process closes its stdin or dies, and
/// ``stop()`` SIGKILLs it (a test thread may have started it with SIGTERM blocked).
private final class LoopbackReceiver {
    struct Request: Decodable {
        let method: String
        let path: String
        let headers: [String: String]
        let body: String
    }

    let port: Int
    private let process = Process()
    private let lifeline = Pipe()
    private let logPath: String

    init(in folder: TemporaryDirectory) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "GuardServiceTests/Fixtures/webhook_receiver.py").path
        logPath = folder.path("receiver.requests")
        let stdout = folder.path("receiver.stdout")
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--log", logPath, "--stdin-lifeline"]
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        process.standardOutput = FileHandle(forWritingAtPath: stdout)
        process.standardInput = lifeline
        try process.run()
        let port = eventually {
            (try? String(contentsOfFile: stdout, encoding: .utf8)).flatMap { $0.split(separator: "\n").first.flatMap { Int($0) } }
        }
        guard let port else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw CLIError(message: "the webhook receiver (\(script)) printed no port within 10 s")
        }
        self.port = port
    }

    /// The requests received on `path` (with its query), in order.
    func requests(path: String) -> [Request] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }.filter { $0.path == path }
    }

    func stop() {
        try? lifeline.fileHandleForWriting.close()
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
