import Foundation
import TestSupport
import Testing

/// No byte that steers a terminal (ESC, BEL, C1 CSI) leaves migctl's text output, whatever
/// the database, the arguments or the plan hold; `--json` stays exact.
struct TerminalOutputTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }

    static let osc52 = "\u{1b}]52;c;ZWNobyBwd25lZA==\u{07}"
    static let csi = "\u{9b}31m"

    func isClean(_ text: String) -> Bool {
        !text.utf8.contains(0x1b) && !text.utf8.contains(0x07) && !text.unicodeScalars.contains("\u{9b}")
    }

    func expectClean(_ result: MigctlProcess.Result, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(isClean(result.stdout), "\(what) stdout: \(result.stdout.debugDescription)", sourceLocation: sourceLocation)
        #expect(isClean(result.stderr), "\(what) stderr: \(result.stderr.debugDescription)", sourceLocation: sourceLocation)
    }

    /// Writes rows past the database's own rules (a tampered or version-1 file may hold anything).
    func sql(_ statements: String) throws { try migctl.sqlAsAttacker(statements) }

    @Test func counterAndGaugeNamesWrittenBySQLArePrintedSafely() throws {
        #expect(try migctl.run(["init", "--name", "m"]).status == 0)
        try sql("""
            INSERT INTO counters (name, second, value) VALUES ('evil' || char(27) || ']0;pwned' || char(7), 1800000000, 3);
            INSERT OR REPLACE INTO counter_totals (name, value) VALUES ('csi' || char(155) || '31m', 4);
            INSERT INTO gauges VALUES ('g' || char(27) || '[2J', 1, '2026-11-26T09:00:00.000Z');
            """)
        let status = try migctl.run(["status"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("evil?]0;pwned?"), "\(status.stdout)")
        expectClean(status, "status")
        let json = try migctl.run(["status", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["counters"] as? [String: Int])?["evil\u{1b}]0;pwned\u{07}"] != nil, "--json stays exact")
        #expect((object["counters"] as? [String: Int])?["csi\u{9b}31m"] == 4, "--json stays exact")
        // A C1 CSI is no JSON control, so the encoder leaves it raw: --json escapes it itself.
        #expect(isClean(json.stdout) && json.stdout.contains("csi\\u009B31m"), "\(json.stdout.debugDescription)")
    }

    @Test func anEscapeInTheDatabasePathIsPrintedSafely() throws {
        let path = "ctl\(Self.osc52).db"
        let created = try migctl.run(["init", "--name", "m", "--db", path])
        #expect(created.status == 0, "\(created.stderr)")
        expectClean(created, "init")
        expectClean(try migctl.run(["upgrade", "--db", path]), "upgrade")
        expectClean(try migctl.run(["status", "--db", "missing\(Self.osc52).db"]), "status of a missing path")
    }

    @Test func approveAndTheLogPrintSafely() throws {
        #expect(try migctl.run(["init", "--name", "m"]).status == 0)
        let approved = try migctl.run(["approve", "dual-write", "--reason", "fine \(Self.osc52)\(Self.csi)", "--actor", "bo"])
        #expect(approved.status == 0, "\(approved.stderr)")
        expectClean(approved, "approve")
        let evilActor = try migctl.run(["approve", "dual-write", "--actor", "bo\(Self.osc52)"])
        #expect(evilActor.status == 64)
        expectClean(evilActor, "approve with an escape in the actor")
        try sql("INSERT INTO approvals (phase, actor, host, at, reason) VALUES ('dual-write', 'x' || char(27) || '[2J', 'h' || char(155), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'r' || char(7))")
        for command in [["log"], ["check"], ["checklist"], ["fleet"], ["status"]] {
            expectClean(try migctl.run(command), command[0])
        }
        expectClean(try migctl.run(["approve", "no\(Self.osc52)such"]), "approve of an unknown phase")
    }

    @Test func aPlanValueWithAnEscapeNeverReachesTheTerminal() throws {
        try Data("phases:\n  - id: a\n    title: \"x\\e]52;c;ZWNobyBwd25lZA==\\a\"\n    reads: \"r\\e[2J\"\n    writes: [old]\n".utf8)
            .write(to: folder.url.appending(path: "plan.yaml"))
        let refused = try migctl.run(["init", "--name", "m", "--plan", "plan.yaml"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("phases[1].title") && refused.stderr.contains("phases[1].reads"), "\(refused.stderr)")
        expectClean(refused, "init with a hostile plan")
        #expect(refused.stderr.split(separator: "\n").count == 3, "the header and one line per problem: \(refused.stderr)")
    }

    @Test func bucketKeepsItsTabsAndEscapesTheRest() throws {
        let result = try migctl.run(["bucket", "--salt", "s", "k\(Self.osc52)"])
        expectClean(result, "bucket")
        #expect(result.stdout.split(separator: "\t").count == 2)
    }
}
