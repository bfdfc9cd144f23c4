import Foundation
import MigrationCore

/// JSON as every `--json` prints it: sorted keys, ISO 8601 instants.
enum JSONOutput {
    static func print(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.string(date))
        }
        let data = try encoder.encode(value)
        Swift.print(String(decoding: data, as: UTF8.self))
    }
}

/// Prints text for a terminal, line by line, through the one sanitiser.
///
/// Every plain (non-JSON) output of every command goes through here: each line is passed
/// through `terminalSafe`, so no escape sequence, bell or C1 control read from the database,
/// a plan, a runbook or an argument can steer the terminal. Tabs separate columns
/// (`bucket`) and are kept; `--json` goes through ``JSONOutput`` instead and stays exact.
func say(_ text: String) {
    Swift.print(terminalLines(text))
}

/// `text` with every line sanitised; newlines and tabs kept as the layout.
func terminalLines(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
        line.split(separator: "\t", omittingEmptySubsequences: false).map { String($0).terminalSafe }.joined(separator: "\t")
    }.joined(separator: "\n")
}

/// `3d 4h`, `2h 5m`, `42s`: how long ago, for people.
func humanDuration(_ seconds: TimeInterval) -> String { Durations.human(seconds) }
