import Foundation
import MigrationCore
import TestSupport
import Testing

/// `migctl completions bash|zsh|fish` in real shells: the bash script sourced in a real
/// non-interactive bash whose completion function is called as readline would call it (the
/// words in `COMP_WORDS`, then `COMPREPLY` read back); fish's own `complete -C`; zsh's syntax
/// check. Phase ids come from a real store, through migctl's `---completion` entry point.
struct CompletionTests {
    let under: StoreUnderTest
    let migctl: MigctlProcess

    init() throws {
        under = try StoreUnderTest(.sqlite)
        migctl = try under.initialized(plan: Plan.ungatedYAML)
    }

    /// The phases of `Plan.ungatedYAML`, in plan order.
    static let phases = Plan.ungated.phases.map(\.id)

    /// The script for `shell`, written into the test's folder.
    func script(_ shell: String) throws -> String {
        let result = try migctl.run(["completions", shell])
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
        let path = under.folder.path("migctl.\(shell)")
        try Data(result.stdout.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// What bash offers for `words`, the last being the word under the cursor (empty after a
    /// space), as the sourced script's `_migctl` leaves `COMPREPLY`; and what it wrote to stderr.
    func bashCompletes(_ words: [String], environment: [String: String] = [:], in folder: String? = nil) throws -> (offered: [String], stderr: String) {
        let script = try self.script("bash")
        let driver = """
            source "$1"; shift
            COMP_WORDS=("$@")
            COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            COMP_LINE="${COMP_WORDS[*]}"
            COMP_POINT=${#COMP_LINE}
            COMPREPLY=()
            _migctl migctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let output = StoreUnderTest.run("/usr/bin/bash", ["-c", "cd \"$0\" && " + driver, folder ?? under.folder.url.path, script] + words,
                                        environment: shellEnvironment.merging(environment) { $1 })
        #expect(output.status == 0, "\(output.stderr)")
        return (output.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty }, output.stderr)
    }

    /// migctl's folder on the PATH, as after an install, and no store named but by the test.
    var shellEnvironment: [String: String] {
        ["PATH": MigctlProcess.binary.deletingLastPathComponent().path + ":/usr/bin:/bin", "MIGCTL_ACTOR": "tester"]
    }

    @Test func bashCompletesCommandsFromTheHelp() throws {
        #expect(try bashCompletes(["migctl", "adv"]).offered == ["advance"])
        let all = try bashCompletes(["migctl", ""]).offered
        for command in ["status", "log", "completions", "advance", "approve", "guard"] {
            #expect(all.contains(command), "\(command) in \(all)")
        }
        #expect(try bashCompletes(["migctl", "completions", ""]).offered.sorted() == ["bash", "fish", "zsh"])
        #expect(try bashCompletes(["migctl", "log", "--fol"]).offered == ["--follow"])
        #expect(try bashCompletes(["migctl", "status", "--wa"]).offered == ["--watch"])
    }

    @Test func bashCompletesPhaseIdsFromTheStoreForEveryPhaseArgument() throws {
        // The store is ./migctl.db in the shell's folder.
        let env = ["MIGCTL_DB": ""]
        #expect(try bashCompletes(["migctl", "advance", "--to", ""], environment: env).offered == Self.phases)
        #expect(try bashCompletes(["migctl", "advance", "--to", "new-"], environment: env).offered == ["new-primary", "new-only"])
        #expect(try bashCompletes(["migctl", "advance", "--confirm", "new-p"], environment: env).offered == ["new-primary"])
        #expect(try bashCompletes(["migctl", "rollback", "--to", "old"], environment: env).offered == ["old-only"])
        #expect(try bashCompletes(["migctl", "check", "--to", "re"], environment: env).offered == ["read-new"])
        #expect(try bashCompletes(["migctl", "approve", ""], environment: env).offered == Self.phases)
        #expect(try bashCompletes(["migctl", "checklist", "--phase", "c"], environment: env).offered == ["cleanup", "complete"])
        #expect(try bashCompletes(["migctl", "advance", "--to", ""], environment: env).stderr.isEmpty)
    }

    @Test func theStoreIsTheOneTheWordsNameElseMIGCTLDB() throws {
        let elsewhere = TemporaryDirectory()
        let other = under.folder.path("other.db")
        try Data("phases:\n  - {id: alpha, reads: old, writes: [old], ramp: false}\n  - {id: beta, reads: old, writes: [old, new]}\n".utf8)
            .write(to: under.folder.url.appending(path: "two.yaml"))
        #expect(try migctl.run(["init", "--db", other, "--name", "other", "--plan", "two.yaml"]).status == 0)
        // bash hands `--db=PATH` over in pieces (it splits words at '='); they are joined again.
        #expect(try bashCompletes(["migctl", "advance", "--db", other, "--to", ""], in: elsewhere.url.path).offered == ["alpha", "beta"])
        #expect(try bashCompletes(["migctl", "advance", "--db", "=", other, "--to", ""], in: elsewhere.url.path).offered == ["alpha", "beta"])
        #expect(try bashCompletes(["migctl", "advance", "--db=\(other)", "--to", ""], in: elsewhere.url.path).offered == ["alpha", "beta"],
                "zsh and fish keep --db=PATH one word")
        #expect(try bashCompletes(["migctl", "approve", "--db", under.db, ""], environment: ["MIGCTL_DB": other]).offered == Self.phases)
        #expect(try bashCompletes(["migctl", "approve", ""], environment: ["MIGCTL_DB": other], in: elsewhere.url.path).offered == ["alpha", "beta"])
        #expect(try bashCompletes(["migctl", "approve", ""], environment: ["MIGCTL_DB": ""], in: elsewhere.url.path).offered.isEmpty,
                "no ./migctl.db there")
    }

    @Test func aMissingOrHostileStoreOffersNothingAndSaysNothing() throws {
        let folder = TemporaryDirectory()
        let cases: [(String, () throws -> Void)] = [
            ("missing", {}),
            ("not a database", { try Data("hello\n".utf8).write(to: folder.url.appending(path: "migctl.db")) }),
            ("a directory", {
                try? FileManager.default.removeItem(at: folder.url.appending(path: "migctl.db"))
                try FileManager.default.createDirectory(at: folder.url.appending(path: "migctl.db"), withIntermediateDirectories: false)
            }),
            ("a FIFO that never answers", {
                try FileManager.default.removeItem(at: folder.url.appending(path: "migctl.db"))
                #expect(mkfifo(folder.path("migctl.db"), 0o600) == 0)
            }),
        ]
        for (what, make) in cases {
            try make()
            let started = Date()
            let (offered, stderr) = try bashCompletes(["migctl", "approve", ""], environment: ["MIGCTL_DB": ""], in: folder.url.path)
            #expect(offered.isEmpty && stderr.isEmpty, "\(what): \(offered) \(stderr)")
            #expect(Date().timeIntervalSince(started) < 10, "\(what): a completion gives up within seconds")
        }
        // A PostgreSQL URL nobody answers at: nothing, and no driver log on the terminal.
        let (offered, stderr) = try bashCompletes(["migctl", "approve", "--db", "postgresql://nobody@127.0.0.1:1/x", ""], in: folder.url.path)
        #expect(offered.isEmpty && stderr.isEmpty, "\(offered) \(stderr)")
    }

    @Test func aForgedPhaseIdIsNeverOfferedSoBashNeverExpandsIt() throws {
        try migctl.sqlAsAttacker("""
            UPDATE phases SET id = '$(touch pwned)' WHERE id = 'cleanup';
            UPDATE phases SET id = 'x y' WHERE id = 'complete';
            UPDATE phases SET id = 'new' || char(27) || '[2J' WHERE id = 'backfill';
            """)
        let offered = try bashCompletes(["migctl", "approve", ""], environment: ["MIGCTL_DB": ""]).offered
        #expect(offered == ["old-only", "dual-write", "read-new", "new-primary", "new-only"], "\(offered)")
        #expect(!FileManager.default.fileExists(atPath: under.folder.path("pwned")))
    }

    /// fish 3 (Debian 12's) leaves the cursor out of its completion requests; migctl puts it back
    /// (``CompletionRequest``), so phase ids complete there too.
    @Test func fishCompletesPhaseIdsThroughItsOwnCompleteAndZshParsesItsScript() throws {
        let fish = try script("fish")
        #expect(StoreUnderTest.run("/usr/bin/fish", ["-n", fish]).status == 0, "fish -n accepts the script")
        // Interactive (-i): the script asks `commandline` where the cursor is, which fish answers only then.
        let completed = StoreUnderTest.run("/usr/bin/fish", ["-i", "-c", "cd $argv[1]; source $argv[2]; complete -C 'migctl approve '; complete -C 'migctl adv'",
                                                             under.folder.url.path, fish],
                                           environment: shellEnvironment.merging(["MIGCTL_DB": "", "HOME": under.folder.url.path, "TERM": "dumb"]) { $1 })
        #expect(completed.status == 0 && completed.stderr.isEmpty, "\(completed.stderr)")
        let offered = completed.stdout.split(separator: "\n").map { String($0.prefix { $0 != "\t" }) }
        #expect(offered.sorted() == (Self.phases + ["advance"]).sorted(), "\(completed.stdout)")

        let zsh = try script("zsh")
        let parsed = StoreUnderTest.run("/usr/bin/zsh", ["-n", zsh])
        #expect(parsed.status == 0 && parsed.stderr.isEmpty, "zsh -n: \(parsed.stderr)")
        #expect(try String(contentsOfFile: zsh, encoding: .utf8).hasPrefix("#compdef migctl"))
    }

    @Test func anUnknownShellIsAUsageError() throws {
        let result = try migctl.run(["completions", "powershell"])
        #expect(result.status == 64 && result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("migctl: ") && result.stderr.contains("powershell") && result.stderr.hasSuffix("(see 'migctl completions --help')\n"),
                "\(result.stderr)")
    }
}
