import Foundation
import MigrationCore
import Synchronization
import TestSupport
import Testing

/// The README's PostgreSQL contract is enough for a service in another language:
/// `Examples/foreign_client_postgres.py`, written from the README alone with psycopg 3, joins
/// a store as an application login, hears a rollout made while it LISTENs, adds counts and
/// heartbeats, leaves the fleet, and is refused a state change by the server. The SQLite twin
/// is `CLITests.aPythonClientWorksFromTheContractAlone`.
struct ForeignPostgresClientTests {
    /// The repository, for the example and the shared bucketing vectors.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test(.timeLimit(.minutes(3)))
    func aPythonClientWorksFromThePostgresContractAlone() throws {
        let under = try StoreUnderTest(.postgres)
        try Data(Plan.ungatedYAML.utf8).write(to: under.folder.url.appending(path: "ungated.yaml"))
        let migctl = under.migctl
        let created = try migctl.run(["init", "--name", "users-v2", "--plan", "ungated.yaml"])
        try #require(created.status == 0, "\(created.stderr)")
        try #require(try migctl.run(["advance", "--reason", "dual writes deployed"]).status == 0)   // dual-write at 0%, version 2
        let login = try under.login("svc", roles: [.app])

        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // The test's own environment: its PATH finds the python3 that scripts/setup gave psycopg.
        client.arguments = ["python3", Self.repository.appending(path: "Examples/foreign_client_postgres.py").path,
                            try under.location(as: "svc"),
                            Self.repository.appending(path: "Tests/MigrationCoreTests/Fixtures/bucketing.json").path, "30"]
        let out = Pipe(), err = Pipe()
        client.standardOutput = out
        client.standardError = err
        client.standardInput = FileHandle.nullDevice
        let output = Mutex(Data()), errors = Mutex(Data()), ended = DispatchSemaphore(value: 0)
        let outHandle = out.fileHandleForReading, errHandle = err.fileHandleForReading
        Thread {   // line by line, so the test sees `listening on …` while the client waits
            while true {
                let chunk = outHandle.availableData
                if chunk.isEmpty { break }
                output.withLock { $0.append(chunk) }
            }
            ended.signal()
        }.start()
        Thread {
            errors.withLock { $0 = errHandle.readDataToEndOfFile() }
            ended.signal()
        }.start()
        try client.run()
        defer { if client.isRunning { client.terminate() } }
        func text() -> String { String(decoding: output.withLock { $0 }, as: UTF8.self) }
        func said() -> String { "stdout:\n\(text())\nstderr:\n\(String(decoding: errors.withLock { $0 }, as: UTF8.self))" }

        let channel = "\(under.schema())_changes"
        let listening = eventually(within: .seconds(60)) { text().contains("listening on \(channel)") || !client.isRunning }
        try #require(listening && client.isRunning, "the client never listened (run scripts/setup for psycopg)\n\(said())")
        let rollout = try migctl.run(["rollout", "25", "--reason", "while a foreign client listens"])
        #expect(rollout.status == 0, "\(rollout.stderr)")
        ended.wait()
        ended.wait()
        client.waitUntilExit()
        let printed = text()

        #expect(client.terminationStatus == 0, "\(said())")
        #expect(printed.contains("migration=users-v2 phase=dual-write rollout=0 version=2"), "\(said())")
        #expect(printed.contains("wrong=0") && !printed.contains("vectors=0"), "\(said())")
        #expect(printed.contains("key user-1 bucket 1826 in rollout: False; routed as old-only"), "\(said())")
        // A rollout sends its audit row's notification, then the state's, both at its commit.
        #expect(printed.contains("notification on \(channel): ") && printed.contains("(changed: table=audit id=3)"), "\(said())")
        #expect(printed.contains("(changed: table=state version=3)"), "\(said())")
        #expect(printed.contains("re-read: phase=dual-write rollout=2500 version=3"), "\(said())")
        #expect(printed.contains("key user-1 now routed as dual-write"), "\(said())")
        #expect(printed.contains("login=\(login) serving_version=3 stale=False"), "the server took the login as the row's\n\(said())")
        #expect(printed.contains("left the fleet: 1 row deleted"), "\(said())")
        #expect(printed.contains("state change refused: permission denied for table audit"), "\(said())")

        // What it added, and that it left no row behind.
        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(status["counters"] as? [String: Int] == ["hit": 40, "miss": 2])
        #expect((try migctl.json(["fleet", "--json"]) as? [Any])?.isEmpty == true, "the client left the fleet")
        #expect(try under.sql("SELECT count(*) FROM instances").stdout == "0\n")

        // Its refused state change changed nothing: the state is the rollout's, the log ends with it.
        #expect(status["phase"] as? String == "dual-write" && status["rolloutBasisPoints"] as? Int == 2500)
        #expect(status["version"] as? Int == 3 && status["changedBy"] as? String == under.actor())
        let log = try #require(try migctl.json(["log", "--json"]) as? [[String: Any]])
        #expect(log.map { $0["action"] as? String } == ["rollout", "advance", "init"])
        #expect(!log.contains { $0["actor"] as? String == login }, "no event in the application's name")
        #expect(try migctl.run(["log", "--verify"]).status == 0, "the hash chain is intact")
    }
}
