import Foundation
import MigrationCore
import TestSupport
import Testing

/// Gate programs as processes: a killed `advance` takes its gate with it.
struct GateProcessTests {
    @Test(arguments: StoreKind.allCases)
    func aKilledAdvanceLeavesNoGateProgramRunning(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let (folder, migctl) = (under.folder, under.migctl)
        let pidFile = folder.url.appending(path: "gate.pid").path
        let gate = folder.url.appending(path: "gate.sh").path
        try Data("#!/bin/sh\necho $$ > \(pidFile)\nexec sleep 60\n".utf8).write(to: URL(fileURLWithPath: gate))
        chmod(gate, 0o755)
        try Data(Plan.commandGatedYAML(program: "\(gate)", timeout: "2m").utf8).write(to: folder.url.appending(path: "plan.yaml"))
        #expect(try migctl.run(["init", "--name", "m", "--plan", "plan.yaml"]).status == 0)
        let advance = try migctl.start(["advance", "--reason", "go"])
        advance.standardOutput = FileHandle.nullDevice
        advance.standardError = FileHandle.nullDevice
        try advance.run()
        let gatePID = try #require(eventually { (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } })
        #expect(kill(gatePID, 0) == 0, "the gate program runs")
        kill(advance.processIdentifier, SIGKILL)
        advance.waitUntilExit()
        #expect(eventually { kill(gatePID, 0) != 0 }, "the gate program died with migctl")
        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(status["phase"] as? String == "a" && status["version"] as? Int == 1)
    }
}
