import ArgumentParser
import Foundation
import MigrationCore

struct Count: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add to a counter in the current second's bucket (for shell scripts and cron jobs).",
        discussion: "Names are 1–64 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit. Counters saturate at 2^63-1; they never wrap."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The counter, e.g. backfill or write.new.error.")
    var name: String

    @Argument(help: "How much to add (1 or more).")
    var amount: Int64 = 1

    func validate() throws {
        try validateMetricName(name)
        guard amount >= 1 else { throw ValidationError("the amount must be 1 or more; counters only grow.") }
    }

    func run() throws {
        try reportingFailures {
            try store.open().add(counts: [name: amount], second: Int64(Date().timeIntervalSince1970))
        }
    }
}

struct GaugeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gauge",
        abstract: "Set a gauge to a value, e.g. backfill.remaining or replication.lag_seconds."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The gauge.")
    var name: String

    @Argument(help: "Its value, a finite number.")
    var value: Double

    func validate() throws {
        try validateMetricName(name)
        guard value.isFinite else { throw ValidationError("the value must be a finite number.") }
    }

    func run() throws {
        try reportingFailures {
            try store.open().setGauge(name, to: value, at: Date())
        }
    }
}

private func validateMetricName(_ name: String) throws {
    guard Names.isValidMetricName(name) else {
        throw ValidationError(ControlStoreError.invalidName(name).description)
    }
}
