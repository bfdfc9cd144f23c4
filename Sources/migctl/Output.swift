import Foundation
import MigrationCore

/// JSON as every `--json` prints it: sorted keys, ISO 8601 instants. Besides the controls the
/// encoder escapes, DEL, C1 controls, bidi overrides and line separators are written as
/// `\uXXXX` escapes: the same string to a JSON reader, and nothing that steers a terminal.
enum JSONOutput {
    static func print(_ value: some Encodable) throws {
        Swift.print(inert(try encoded(value, pretty: true)))
    }

    /// Prints `value` as one line of JSON Lines and flushes it, so a `| jq` downstream sees it
    /// at once (`status --watch --json`, `log --follow --json`).
    static func printLine(_ value: some Encodable) throws {
        Swift.print(inert(try encoded(value, pretty: false)))
        fflush(nil)
    }

    /// Encoded JSON with every scalar that could steer a terminal written as a `\uXXXX` escape,
    /// but the newlines of the layout (the encoder already escaped those inside strings).
    static func inert(_ json: String) -> String {
        var text = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            if scalar != "?", scalar != "\n", String(scalar).terminalSafe == "?" {
                text.append(contentsOf: String(format: "\\u%04X", scalar.value).unicodeScalars)
            } else {
                text.append(scalar)
            }
        }
        return String(text)
    }

    private static func encoded(_ value: some Encodable, pretty: Bool) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.string(date))
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
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

/// Prints one line through ``say(_:)`` and flushes it, for output that follows a store as it
/// changes (`status --watch`, `log --follow`): a pipe or a log file gets each line at once.
func sayLine(_ text: String) {
    say(text)
    fflush(nil)
}

/// `text` with every line sanitised; newlines and tabs kept as the layout.
func terminalLines(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
        line.split(separator: "\t", omittingEmptySubsequences: false).map { String($0).terminalSafe }.joined(separator: "\t")
    }.joined(separator: "\n")
}

/// `3d 4h`, `2h 5m`, `42s`: how long ago, for people.
func humanDuration(_ seconds: TimeInterval) -> String { Durations.human(seconds) }
