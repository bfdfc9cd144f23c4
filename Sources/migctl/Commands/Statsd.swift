import ArgumentParser
import Foundation
import Logging
import MigrationCore
import Monitoring

struct StatsdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statsd",
        abstract: "Take statsd and DogStatsD counters over UDP into the control store, until SIGTERM or SIGINT.",
        discussion: """
            A service in any language that emits statsd counts hit, miss and backfill without linking \
            migctl: point its statsd client at --listen. Lines are name:value|type, several per packet \
            (one per line), with an optional sample rate |@0.1 (the count is value / rate, fractions \
            kept until they make a whole one) and DogStatsD's |#tags, |c:container and |T<time> fields. \
            Counters (c) are added once a second, in one transaction, like a client's counts; absolute \
            gauges (g) are set. Timers, histograms, distributions, sets, events, decrements and \
            relative gauges (+3|g) are skipped.

            Names: with --prefix, only names that start with it are taken, and it is removed (without \
            it, names are taken as sent); with --tag, only metrics that carry every such tag. Others \
            are ignored. What remains must be a migctl name ([a-z0-9][a-z0-9._-]{0,63}, else invalid) \
            and allowed: migctl's own counters (hit, miss, backfill, read.absent, read.old, write, \
            delete, write.old, write.new, write.old.error, write.new.error, verify.match, \
            verify.mismatch), every counter and gauge the plan's gates and guards read, and each \
            --allow; never statsd.*, which it writes itself. Other names are refused, so a stream of \
            made-up names never becomes a million rows.

            Nothing is fatal: each invalid, skipped, ignored or refused line, and each datagram the \
            kernel dropped because the receive buffer was full, is counted in statsd.invalid, \
            statsd.skipped, statsd.ignored, statsd.refused and statsd.dropped, and the log says how \
            many every --report-interval, with the first of each. A busy or unreachable store keeps \
            the counts for the next flush. SIGTERM reads what the kernel still holds, writes it, and \
            exits 0; 1 if the store took no writes for 10 s while stopping. On PostgreSQL the \
            application role is enough.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var log: LogOptions

    @Option(name: .long, help: ArgumentHelp("Where to listen for UDP: HOST:PORT with a numeric host ([::1]:8125 for IPv6, port 0 for any free port).", valueName: "host:port"))
    var listen = "127.0.0.1:8125"

    @Option(name: .long, help: ArgumentHelp("Take only names that start with this, and remove it (e.g. myapp.migration.).", valueName: "prefix"))
    var prefix = ""

    @Option(name: .customLong("tag"), help: ArgumentHelp("Take only metrics carrying this DogStatsD tag, key:value or key, exactly (repeatable: every one).", valueName: "tag"))
    var tags: [String] = []

    @Option(name: .customLong("allow"), help: ArgumentHelp("Also allow this counter or gauge name, after the prefix (repeatable).", valueName: "name"))
    var allow: [String] = []

    @Option(name: .long, help: ArgumentHelp("The socket's receive buffer in bytes; net.core.rmem_max caps it unless migctl runs as root.", valueName: "bytes"))
    var receiveBuffer = 8 << 20

    @Option(name: .long, help: ArgumentHelp("How often the log says what arrived and what was not taken, when anything did: 10s, 1m.", valueName: "duration"))
    var reportInterval = "60s"

    func validate() throws {
        do {
            _ = try ListenAddress(listen)
        } catch {
            throw ValidationError("--listen \(error.description).")
        }
        if let problem = Self.fieldProblem(prefix, forbidding: ":|@#") {
            throw ValidationError("--prefix '\(prefix.terminalSafe)' \(problem).")
        }
        for tag in tags {
            if tag.isEmpty { throw ValidationError("--tag must not be empty.") }
            if let problem = Self.fieldProblem(tag, forbidding: "|,") {
                throw ValidationError("--tag '\(tag.terminalSafe)' \(problem).")
            }
        }
        for name in allow where !Names.isValidMetricName(name) {
            throw ValidationError("--allow '\(name.terminalSafe)' is not a counter or gauge name; names are [a-z0-9][a-z0-9._-]{0,63}.")
        }
        for name in allow where name.hasPrefix(StatsdRules.reservedPrefix) {
            throw ValidationError("--allow '\(name)': names starting with \(StatsdRules.reservedPrefix) are the ones migctl statsd counts itself; no sender may feed them.")
        }
        guard (64 << 10...1 << 30).contains(receiveBuffer) else {
            throw ValidationError("--receive-buffer must be from 65536 bytes to 1 GiB (1073741824).")
        }
        _ = try DurationArgument.seconds(reportInterval, option: "--report-interval", within: 0.1...86_400)
    }

    /// Why a `--prefix` or `--tag` could never match a line: too long, or holding a character
    /// statsd uses to separate fields, or a control character.
    static func fieldProblem(_ text: String, forbidding separators: String) -> String? {
        if text.utf8.count > 200 { return "is longer than 200 bytes" }
        if text.unicodeScalars.contains(where: { separators.unicodeScalars.contains($0) || $0.value < 0x20 || $0.value == 0x7F }) {
            return "holds one of \(separators.map { "'\($0)'" }.joined(separator: " ")) or a control character, which statsd lines cannot carry there"
        }
        return nil
    }

    func run() throws {
        // Handled from the start, so a SIGTERM while the store is still being opened stops cleanly too.
        let stop = StopRequest(parent: nil)
        try reportingFailures {
            let logger = log.bootstrap(label: "migctl.statsd")
            let every = try DurationArgument.seconds(reportInterval, option: "--report-interval", within: 0.1...86_400)
            let opened = try store.open()
            let rules = StatsdRules(prefix: prefix, requiredTags: tags,
                                    allowed: StatsdRules.defaultNames(for: try opened.plan()).union(allow))
            let listener = try StatsdListener(try ListenAddress(listen), receiveBuffer: receiveBuffer)
            let receiver = StatsdReceiver(listener: listener, rules: rules)
            receiver.start()
            say("migctl statsd: listening on UDP \(listener.address) for \(opened.location.terminalSafe)")
            fflush(nil)
            logger.notice("\(Self.startLine(listener: listener, rules: rules, location: opened.location))")
            var service = StatsdLoop(receiver: receiver, sink: StatsdStoreSink(opened), logger: logger, reportEvery: every)
            try service.run(until: stop)
        }
    }

    static func startLine(listener: StatsdListener, rules: StatsdRules, location: String) -> String {
        let filter = (rules.prefix.isEmpty ? "any prefix" : "prefix '\(rules.prefix.terminalSafe)'")
            + (rules.requiredTags.isEmpty ? "" : ", tags \(rules.requiredTags.map { $0.terminalSafe }.joined(separator: " "))")
        return "listening for statsd on UDP \(listener.address) (receive buffer \(listener.receiveBufferBytes) bytes), "
            + "counting into \(location.terminalSafe) once a second; \(filter); \(rules.allowed.count) names allowed: "
            + rules.allowed.sorted().joined(separator: " ")
    }
}

/// Stopping left counts the store never took: exit 1, for the supervisor.
struct StatsdStopped: Error, CustomStringConvertible {
    let description: String
}
