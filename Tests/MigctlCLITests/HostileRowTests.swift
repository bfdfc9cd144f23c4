import Foundation
import TestSupport
import Testing

/// Rows written by hand through the `sqlite3` shell, as a careless or hostile foreign
/// writer would: every command survives them and names the bad value in one sentence.
struct HostileRowTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }

    func initialized() throws -> MigctlProcess {
        #expect(try migctl.run(["init", "--name", "users-v2"]).status == 0)
        return migctl
    }

    /// Writes rows a reader must survive, past the database's own rules.
    func sql(_ statements: String) throws { try migctl.sqlAsAttacker(statements) }

    @Test func aTextGaugeIsSkippedAndNamedWhileTheRestIsShown() throws {
        let migctl = try initialized()
        #expect(try migctl.run(["gauge", "backfill.done", "5"]).status == 0)
        try sql("INSERT INTO gauges VALUES ('lag', 'n/a', '2026-11-26T09:00:00.000Z')")
        let status = try migctl.run(["status"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("backfill.done 5"))
        #expect(status.stderr == "migctl: warning: gauges row 'lag': value holds 'n/a', not a finite number; that row was skipped.\n")
        let json = try migctl.run(["status", "--json"])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["gauges"] as? [String: Double]) == ["backfill.done": 5])
    }

    /// Two rows whose names Swift reads as one (canonically equivalent: a precomposed é and an e
    /// with a combining accent) crashed `status` on a duplicate dictionary key.
    @Test func twoGaugesWhoseNamesReadAsOneDoNotCrashStatus() throws {
        let migctl = try initialized()
        try sql("""
            INSERT INTO gauges VALUES ('caf' || char(233), 1, '2026-11-26T09:00:00.000Z');
            INSERT INTO gauges VALUES ('cafe' || char(769), 2, '2026-11-26T09:00:00.000Z');
            """)
        for command in [["status"], ["status", "--json"]] {
            let result = try migctl.run(command)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
        }
    }

    @Test func anInfiniteGaugeDoesNotBreakJSON() throws {
        let migctl = try initialized()
        try sql("INSERT INTO gauges VALUES ('huge', 9e999, '2026-11-26T09:00:00.000Z')")
        let json = try migctl.run(["status", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        #expect((try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) != nil)
        #expect(json.stderr.contains("gauges row 'huge'") && json.stderr.contains("not a finite number"))
    }

    @Test func aStateVersionOfTheWrongTypeIsOneSentenceNotACrash() throws {
        let migctl = try initialized()
        try sql("UPDATE state SET version = 'abc'")
        for command in [["status"], ["status", "--json"], ["advance"], ["check"], ["fleet"]] {
            let result = try migctl.run(command)
            #expect(result.status == 1, "\(command): \(result.status) \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(result.stderr.contains("state row '1': version holds 'abc', not an integer"), "\(result.stderr)")
        }
    }

    @Test func aBadInstanceRowIsSkippedByFleetAndStatus() throws {
        let migctl = try initialized()
        try sql("""
            INSERT INTO instances (id, host, pid, serving_version, heartbeat_at, started_at) VALUES ('good', 'h1', 10, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
            INSERT INTO instances (id, host, pid, serving_version, heartbeat_at, started_at) VALUES ('bad', 'h2', 'x', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
            """)
        let fleet = try migctl.run(["fleet"])
        #expect(fleet.status == 0, "\(fleet.stderr)")
        #expect(fleet.stdout.contains("h1:10") && !fleet.stdout.contains("h2"))
        #expect(fleet.stderr.contains("instances row 'bad': pid holds 'x', not an integer"))
    }

    @Test func instantsInForeignFormatsAreRead() throws {
        let migctl = try initialized()
        try sql("""
            INSERT INTO instances (id, host, pid, serving_version, heartbeat_at, started_at) VALUES ('sqlite', 'h1', 1, 1, datetime('now'), datetime('now'));
            INSERT INTO instances (id, host, pid, serving_version, heartbeat_at, started_at) VALUES ('python', 'h2', 2, 1, strftime('%Y-%m-%dT%H:%M:%f000', 'now'), strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'));
            INSERT INTO instances (id, host, pid, serving_version, heartbeat_at, started_at) VALUES ('unix', 'h3', 3, 1, CAST(strftime('%s', 'now') AS INTEGER), unixepoch());
            UPDATE state SET phase_since = datetime('now');
            """)
        for command in [["status"], ["fleet"], ["status", "--json"], ["fleet", "--json"]] {
            let result = try migctl.run(command)
            #expect(result.status == 0 && result.stderr.isEmpty, "\(command): \(result.stderr)")
        }
        let fleet = try migctl.run(["fleet"]).stdout
        #expect(fleet.contains("instances 3/3 live"), "\(fleet)")
    }

    @Test func instantsPrintAsStored() throws {
        let migctl = try initialized()
        try sql("UPDATE state SET phase_since = '2026-11-26T09:00:00.300Z', changed_at = '2026-11-26T09:00:00.300Z'")
        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(status["since"] as? String == "2026-11-26T09:00:00.300Z")
    }

    @Test func aHugeGaugeIsShownNotTrapped() throws {
        let migctl = try initialized()
        #expect(try migctl.run(["gauge", "backfill.total", "1e19"]).status == 0)
        try sql("INSERT INTO gauges VALUES ('backfill.done', -1e300, '2026-11-26T09:00:00.000Z')")
        let status = try migctl.run(["status"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("backfill.total 1e+19"))
    }
}
