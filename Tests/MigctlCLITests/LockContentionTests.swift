import Foundation
import MigrationCore
import TestSupport
import Testing

/// Foreign writers that hold or hammer the write lock do not starve an operator's change,
/// and when the lock is held too long the error names who holds it.
@Suite(.serialized)
struct LockContentionTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }

    /// A Python process that takes the write lock and holds it for `seconds`; returns once it holds it.
    func holdLock(seconds: Double) throws -> Process {
        let ready = folder.path("ready")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", """
            import sqlite3, time
            db = sqlite3.connect("file:\(folder.path("migctl.db"))?mode=rw", uri=True, isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            open("\(ready)", "w").close()
            time.sleep(\(seconds))
            db.execute("COMMIT")
            """]
        try process.run()
        #expect(eventually { FileManager.default.fileExists(atPath: ready) })
        return process
    }

    @Test func aChangeWaitsOutALockHeldForTwelveSeconds() throws {
        #expect(try migctl.run(["init", "--name", "m"]).status == 0)
        let holder = try holdLock(seconds: 12)
        let started = Date()
        let rollout = try migctl.run(["count", "hit", "1"])
        #expect(rollout.status == 0, "\(rollout.stderr)")
        #expect(Date().timeIntervalSince(started) > 10, "it did wait for the lock")
        holder.waitUntilExit()
    }

    @Test func aLockHeldTooLongNamesItsHolder() throws {
        #expect(try migctl.run(["init", "--name", "m"]).status == 0)
        let holder = try holdLock(seconds: 8)
        var migctl = self.migctl
        migctl.environment["MIGCTL_LOCK_WAIT"] = "1"
        let result = try migctl.run(["count", "hit", "1"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("stayed locked by another process") && result.stderr.contains("pid \(holder.processIdentifier) (/usr/bin/python3 -c"),
                "\(result.stderr)")
        holder.terminate()
        holder.waitUntilExit()
    }

    @Test func writersInTightLoopsDoNotStarveAnOperator() throws {
        try Data(Plan.ungatedYAML.utf8).write(to: folder.url.appending(path: "plan.yaml"))
        #expect(try migctl.run(["init", "--name", "m", "--plan", "plan.yaml"]).status == 0)
        let stop = folder.path("stop")
        let writers = try (0..<3).map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [#filePath.components(separatedBy: "/Tests/")[0] + "/Examples/tight_writer.py", folder.path("migctl.db"), stop]
            try process.run()
            return process
        }
        defer {
            FileManager.default.createFile(atPath: stop, contents: nil)
            writers.forEach { $0.waitUntilExit() }
        }
        #expect(eventually { (try? migctl.json(["status", "--json"]) as? [String: Any]).flatMap { ($0["counters"] as? [String: Int])?["foreign"] } ?? 0 > 100 })
        var slowest = 0.0
        for step in ["advance", "rollout 50", "rollout 100", "advance"] {
            let started = Date()
            let result = try migctl.run(step.split(separator: " ").map(String.init) + ["--reason", "under load"])
            slowest = max(slowest, Date().timeIntervalSince(started))
            #expect(result.status == 0, "\(step): \(result.stderr)")
        }
        #expect(slowest < 10, "an operator's change waited \(slowest) s behind tight-loop writers")
    }
}
