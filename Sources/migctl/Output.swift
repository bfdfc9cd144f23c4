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

/// `3d 4h`, `2h 5m`, `42s`: how long ago, for people.
func humanDuration(_ seconds: TimeInterval) -> String { Durations.human(seconds) }
