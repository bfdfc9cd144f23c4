import Foundation
import GuardService
import MigrationCore
import TestSupport
import Testing

/// `--exec` programs: the event on stdin, a timeout that kills, programs that ignore stdin.
@Suite(.timeLimit(.minutes(2)))
struct ExecTargetTests {
    let folder = TemporaryDirectory()
    let logs = RecordedLogs()

    func script(_ name: String, _ body: String) throws -> String {
        let path = folder.path(name)
        try Data("#!/bin/sh\n\(body)\n".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o755)
        return path
    }

    func notifier(_ command: String, timeout: Duration = .seconds(10), attempts: Int = 3) throws -> Notifier {
        Notifier(targets: [try ExecTarget(command: command, timeout: timeout)], retry: fastRetry(attempts: attempts), logger: logs.logger)
    }

    @Test func theProgramReadsTheEventOnStdin() throws {
        let copy = folder.path("event.json"), kind = folder.path("kind")
        let path = try script("copy.sh", "cat > \(copy)\nprintf %s \"$MIGCTL_EVENT\" > \(kind)\n[ \"$1\" = --team ] && [ \"$2\" = db ]")
        let notifier = try notifier("  \(path)   --team\tdb ")
        defer { notifier.stop() }
        let sent = event(4, kind: .approvalNeeded)
        notifier.send(sent)

        let done = stats(of: notifier) { $0.delivered == 1 }
        #expect(done.delivered == 1 && done.failed == 0 && done.retries == 0, "\(done.lastError ?? "")")
        let received = try String(contentsOfFile: copy, encoding: .utf8)
        #expect(received == sent.json + "\n")
        #expect(try decodeEvent(received) == sent)
        #expect(try String(contentsOfFile: kind, encoding: .utf8) == "approval-needed")
        #expect(done.target == "exec \(path)", "the program only: its arguments may carry tokens")
    }

    @Test func aProgramThatNeverFinishesIsKilledAtTheTimeoutAndCountedFailed() throws {
        let pid = folder.path("pid")
        let path = try script("forever.sh", "echo $$ > \(pid)\nexec sleep 1000")
        let notifier = try notifier(path, timeout: .seconds(1), attempts: 1)
        defer { notifier.stop() }
        notifier.send(event(1))

        let done = stats(of: notifier) { $0.failed == 1 }
        #expect(done.failed == 1 && done.delivered == 0)
        #expect(done.lastError == "the program did not finish within 1 s and was killed.")
        let program = try #require(Int32(try String(contentsOfFile: pid, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(eventually { kill(program, 0) != 0 }, "the program is gone")
    }

    @Test func aProgramThatNeverReadsStdinIsDeliveredEvenWithMoreThanAPipeHolds() throws {
        let path = try script("ignore.sh", "exit 0")
        let notifier = try notifier(path)
        defer { notifier.stop() }
        notifier.send(event(1, facts: ["big": String(repeating: "x", count: 300_000)]))
        notifier.send(event(2))

        let done = stats(of: notifier) { $0.delivered == 2 }
        #expect(done.delivered == 2 && done.failed == 0 && done.retries == 0, "\(done.lastError ?? "")")
    }

    @Test func aProgramThatClosesStdinEarlyDoesNotTakeMigctlWithItThroughSIGPIPE() throws {
        let path = try script("close.sh", "exec 0<&-\nsleep 0.2\nexit 0")
        let notifier = try notifier(path)
        defer { notifier.stop() }
        notifier.send(event(1, facts: ["big": String(repeating: "y", count: 1_000_000)]))

        #expect(stats(of: notifier) { $0.delivered == 1 }.delivered == 1)
    }

    @Test func aMissingProgramFailsWithASentence() throws {
        let notifier = try notifier("/nonexistent/page-oncall --token s3cret")
        defer { notifier.stop() }
        notifier.send(event(1))

        let done = stats(of: notifier) { $0.failed == 1 }
        #expect(done.failed == 1 && done.retries == 2)
        #expect(done.lastError == "could not start the program: '/nonexistent/page-oncall' does not exist or is not executable.")
        #expect(done.target == "exec /nonexistent/page-oncall")
        #expect(!logs.entries.contains { $0.allText.contains("s3cret") })
    }

    @Test func aNonZeroExitIsAFailureWithTheProgramsLastLine() throws {
        let path = try script("fail.sh", "cat > /dev/null\necho first\necho 'no route to pager'\nexit 3")
        let notifier = try notifier(path, attempts: 2)
        defer { notifier.stop() }
        notifier.send(event(1))

        let done = stats(of: notifier) { $0.failed == 1 }
        #expect(done.lastError == "the program exited with status 3: no route to pager")
        #expect(done.retries == 1)
    }

    @Test func anEmptyCommandIsRefused() {
        #expect(throws: NotifyError.emptyCommand) { try ExecTarget(command: " \t ") }
        #expect(NotifyError.emptyCommand.description == "--exec needs a program to run (the command is split on whitespace, no shell).")
    }

    @Test func theRunnerFeedsStdinLargerThanAPipeAndStillReportsOutput() {
        let outcome = CommandRunner().run(CommandCheck(argv: ["wc", "-c"], timeoutSeconds: 10), environment: [:],
                                          stdin: [UInt8](repeating: 65, count: 300_000))
        #expect(outcome.ending == .exited(0))
        #expect(outcome.lastLines.map { $0.trimmingCharacters(in: .whitespaces) } == ["300000"])

        let empty = CommandRunner().run(CommandCheck(argv: ["wc", "-c"], timeoutSeconds: 10), environment: [:], stdin: [])
        #expect(empty.lastLines.map { $0.trimmingCharacters(in: .whitespaces) } == ["0"], "empty stdin is an immediate end of file")

        let none = CommandRunner().run(CommandCheck(argv: ["wc", "-c"], timeoutSeconds: 10), environment: [:])
        #expect(none.lastLines.map { $0.trimmingCharacters(in: .whitespaces) } == ["0"], "without stdin, /dev/null as before")
    }
}
