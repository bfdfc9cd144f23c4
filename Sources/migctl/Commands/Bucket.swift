import ArgumentParser
import Foundation
import MigrationCore

struct Bucket: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each key's bucket (0–9999) and whether it is inside the current rollout.",
        discussion: """
            Prints KEY<TAB>BUCKET<TAB>in|out per key; tabs, newlines and backslashes in a key are \
            escaped. With --salt no database is read, and the third column appears only with --rollout.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: "Bucket with this salt (a migration's name) instead of the database's.")
    var salt: String?

    @Option(name: .long, help: ArgumentHelp("With --salt: the rollout to test the keys against, in percent.", valueName: "percent"))
    var rollout: String?

    @Argument(help: "The keys.")
    var keys: [String]

    func validate() throws {
        if keys.isEmpty { throw ValidationError("give at least one key.") }
        if rollout != nil, salt == nil { throw ValidationError("--rollout goes with --salt; without it the database's rollout is used.") }
        if let rollout { _ = try parsePercent(rollout) }
    }

    struct Row: Encodable {
        let key: String
        let bucket: Int
        let `in`: Bool?
    }

    func run() throws {
        try reportingFailures {
            let salt: String, inside: Rollout?
            if let given = self.salt {
                salt = given
                inside = try rollout.map(parsePercent)
            } else {
                let store = try store.open()
                salt = try store.migration().name
                inside = try store.state().rollout
            }
            let rows = keys.map { key in
                let bucket = Bucketing.bucket(salt: salt, key: key)
                return Row(key: key, bucket: bucket, in: inside?.includes(bucket: bucket))
            }
            if output.json {
                try JSONOutput.print(rows)
                return
            }
            for row in rows {
                let columns = [escape(row.key), String(row.bucket)] + (row.in.map { [$0 ? "in" : "out"] } ?? [])
                say(columns.joined(separator: "\t"))
            }
        }
    }

    private func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\t", with: "\\t")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r").terminalSafe
    }
}
