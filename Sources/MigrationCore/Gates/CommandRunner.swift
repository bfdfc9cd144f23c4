import Foundation

/// Runs a command check's program: no shell, a timeout after which it is killed, the
/// control database and the phases in its environment, and its last lines kept.
public struct CommandRunner: Sendable {
    /// How many trailing output lines a result keeps.
    public static let keptLines = 5

    public init() {}

    /// Runs `check.argv` and waits at most `check.timeoutSeconds`.
    public func run(_ check: CommandCheck, environment extra: [String: String]) -> CommandOutcome {
        let process = Process()
        let program = check.argv[0]
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(check.argv.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = check.argv
        }
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let output = FileManager.default.temporaryDirectory.appending(path: "migctl-check-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        guard let handle = try? FileHandle(forWritingTo: output) else {
            return CommandOutcome(ending: .couldNotStart("no room for its output"), lastLines: [])
        }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do {
            try process.run()
        } catch {
            try? handle.close()
            return CommandOutcome(ending: .couldNotStart("\(error.localizedDescription)"), lastLines: [])
        }
        var timedOut = false
        if finished.wait(timeout: .now() + .seconds(Int(check.timeoutSeconds))) == .timedOut {
            timedOut = true
            process.terminate()
            if finished.wait(timeout: .now() + 2) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
        }
        try? handle.close()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").suffix(Self.keptLines).map { String($0).terminalSafe }
        if timedOut { return CommandOutcome(ending: .timedOut, lastLines: lines) }
        if process.terminationReason == .uncaughtSignal {
            return CommandOutcome(ending: .exited(128 + process.terminationStatus), lastLines: lines)
        }
        if process.terminationStatus == 127, program.contains("/") == false, lines.last?.contains("No such file") == true {
            return CommandOutcome(ending: .couldNotStart("'\(program)' was not found on PATH"), lastLines: lines)
        }
        return CommandOutcome(ending: .exited(process.terminationStatus), lastLines: lines)
    }
}
