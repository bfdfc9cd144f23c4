import ArgumentParser
import Logging

/// `--log-level` for the commands that run as services (guard, metrics, statsd): they log to stderr.
struct LogOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Log level: debug, info, notice, warning or error.", valueName: "level"))
    var logLevel = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be debug, info, notice, warning or error.") }
    }

    /// Sends every logger to stderr at the chosen level, and returns the service's own.
    func bootstrap(label: String) -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}
