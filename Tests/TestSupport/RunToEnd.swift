import Foundation
import MigrationCore

/// Runs a program to its end, as every test child starts (``ChildProcess``: no signal
/// blocked, every signal at its default action, no descriptor but 0, 1 and 2), with its
/// output and errors in files rather than pipes: nothing it leaves running (a gate's
/// background child, a daemon) can keep the caller waiting for an end of file, and neither
/// stream can fill up and block it. Its stdin is `stdin`, or /dev/null.
///
/// ```swift
/// let dump = runToEnd("/usr/bin/sqlite3", [path, ".dump"], environment: ["PATH": "/usr/bin:/bin"])
/// ```
public func runToEnd(_ executable: String, _ arguments: [String], environment: [String: String], directory: String? = nil,
                     stdin: String? = nil) -> StoreUnderTest.Output {
    let base = FileManager.default.temporaryDirectory.appending(path: "migctl-run-\(UUID().uuidString)").path
    let (input, output, errors) = (base + ".in", base + ".out", base + ".err")
    defer { for path in [input, output, errors] { unlink(path) } }
    if let stdin { FileManager.default.createFile(atPath: input, contents: Data(stdin.utf8)) }
    do {
        let child = try ChildProcess(executable, arguments, environment: environment, directory: directory,
                                     stdin: stdin == nil ? .null : .file(input), stdout: .file(output), stderr: .file(errors))
        child.waitUntilExit()
        func text(_ path: String) -> String {
            String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        }
        return StoreUnderTest.Output(status: child.terminationStatus, stdout: text(output), stderr: text(errors))
    } catch {
        return StoreUnderTest.Output(status: -1, stdout: "", stderr: "\(error)")
    }
}
