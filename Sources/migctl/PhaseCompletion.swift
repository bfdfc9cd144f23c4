import ArgumentParser
import Foundation
import MigrationCore
import PostgresStore
import Synchronization

/// Phase ids for the shells' completion of an option or argument that takes one, read from
/// the plan in the control database the command line being completed names.
///
/// The shell runs `migctl ---completion … -- <argument> …` with the words typed so far; this
/// finds `--db` among them (else `$MIGCTL_DB`, else `./migctl.db`), opens the store read-only
/// and offers the plan's phase ids that start with what is typed. It never prints an error: a
/// missing, locked or hostile database, or a server that does not answer within
/// ``patience``, offers nothing. Only ids of the plan's alphabet are offered, because bash
/// expands the words it is given (`$(…)` in a forged phase id would run).
///
/// ```swift
/// @Option(name: .long, help: "…", completion: PhaseCompletion.kind) var to: String?
/// ```
enum PhaseCompletion {
    /// The completion to give a phase option or argument.
    static var kind: CompletionKind {
        .custom { words, _, prefix in ids(words: words, prefix: prefix) }
    }

    /// How long a completion waits for the store before it offers nothing.
    static let patience: TimeInterval = 2

    /// The phase ids that start with `prefix`, in plan order.
    static func ids(words: [String], prefix: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        silenceStandardError()
        let location = self.location(in: words, environment: environment)
        let found = Found()
        let done = DispatchSemaphore(value: 0)
        Thread {
            found.ids.withLock { $0 = (try? planPhases(at: location)) ?? [] }
            done.signal()
        }.start()
        guard done.wait(timeout: .now() + patience) == .success else { return [] }
        return found.ids.withLock { $0 }.filter { Names.isValidPhaseID($0) && $0.hasPrefix(prefix) }
    }

    /// What the reading thread found.
    private final class Found: Sendable {
        let ids = Mutex<[String]>([])
    }

    /// The plan's phase ids, from a store opened read-only where the store allows it.
    static func planPhases(at location: String) throws -> [String] {
        let store: any ControlStore = PostgresURL.isURL(location)
            ? try ControlStores.open(location, lockWait: .seconds(1))
            : try SQLiteControlStore(path: location, readOnly: true, lockWait: .seconds(1))
        return try store.plan().phases.map(\.id)
    }

    /// The store the words name: the last `--db VALUE` or `--db=VALUE`, else `$MIGCTL_DB`,
    /// else `migctl.db`. bash splits a word at `:` and `=` (COMP_WORDBREAKS), so a URL or a
    /// `--db=` arrives in pieces (`postgresql`, `:`, `//host/db`); they are joined again.
    static func location(in words: [String], environment: [String: String]) -> String {
        var found: String?
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            if word.hasPrefix("--db=") {
                found = String(word.dropFirst("--db=".count))
                continue
            }
            guard word == "--db", index < words.count else { continue }
            if words[index] == "=" { index += 1 }
            guard index < words.count else { break }
            var value = words[index]
            index += 1
            while index < words.count, Self.breaks.contains(words[index]) || Self.breaks.contains(words[index - 1]) {
                value += words[index]
                index += 1
            }
            found = value
        }
        if let found, !found.isEmpty { return found }
        return environment["MIGCTL_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "migctl.db"
    }

    /// The characters bash splits completion words at that appear in a `--db` value.
    private static let breaks: Set<String> = [":", "="]

    /// Sends stderr to /dev/null for the rest of this process (a completion's only job is its
    /// list): nothing a driver or the runtime writes can land in the middle of a prompt.
    private static func silenceStandardError() {
        let null = open("/dev/null", O_WRONLY)
        guard null >= 0 else { return }
        dup2(null, STDERR_FILENO)
        close(null)
    }
}
