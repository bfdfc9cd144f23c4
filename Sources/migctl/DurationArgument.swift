import ArgumentParser
import Foundation
import MigrationCore

/// A duration given on the command line: a plan's syntax (`5s`, `1m`, `2h`, `1d`, or a number
/// of seconds; see ``Durations``) and milliseconds (`500ms`), kept within what the option allows.
///
/// ```swift
/// let every = try DurationArgument.seconds("500ms", option: "--interval", within: 0.1...3600)   // 0.5
/// ```
enum DurationArgument {
    /// The seconds `text` stands for.
    /// - Throws: a `ValidationError` (a usage error) naming the option and its bounds, when `text`
    ///   is not a duration or falls outside `range`.
    static func seconds(_ text: String, option: String, within range: ClosedRange<Double>) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var seconds: Double?
        if trimmed.hasSuffix("ms"), let ms = Int64(trimmed.dropLast(2)), ms > 0 {
            seconds = Double(ms) / 1000
        } else if let whole = Durations.seconds(trimmed) {
            seconds = Double(whole)
        }
        guard let seconds, range.contains(seconds) else {
            throw ValidationError("\(option) '\(text.terminalSafe)' is not a duration from \(describe(range.lowerBound)) to \(describe(range.upperBound)); use 500ms, 5s, 1m.")
        }
        return seconds
    }

    /// `10ms`, `1s`, `1h`, `1d`: a bound as people write it.
    static func describe(_ seconds: Double) -> String {
        seconds < 1 ? "\(Int(clamping: (seconds * 1000).rounded()))ms" : GateFormat.duration(Int64(clamping: seconds.rounded()))
    }
}
