import Foundation

/// The Prometheus text format read by real parsers: `prometheus_client`'s (PyPI), which the
/// Prometheus project's Python client uses, and `promtool check metrics` (Debian's prometheus).
public enum Exposition {
    /// One sample as the parser read it.
    public struct Sample: Sendable, Equatable, Decodable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
        /// The family's type: counter, gauge, …
        public var type: String
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses `text` with prometheus_client's parser; throws what the parser said if it refuses it.
    public static func parse(_ text: String) throws -> [Sample] {
        try decode(StoreUnderTest.run("/usr/bin/env", ["python3", "-c", parser, "-"], environment: ownPath, stdin: text))
    }

    /// Scrapes `url` with Python's urllib and parses the answer with prometheus_client's parser.
    public static func scrape(_ url: String) throws -> [Sample] {
        try decode(StoreUnderTest.run("/usr/bin/env", ["python3", "-c", parser, url], environment: ownPath))
    }

    /// What `promtool check metrics` says about `text`: nil when it is clean, else its complaints.
    public static func lint(_ text: String) -> String? {
        let output = StoreUnderTest.run("/usr/bin/promtool", ["check", "metrics"], stdin: text)
        return output.status == 0 ? nil : "exit \(output.status): \(output.stdout)\(output.stderr)"
    }

    /// The test's own PATH, which finds the python3 that scripts/setup gave prometheus_client.
    private static var ownPath: [String: String] { ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"] }

    private static func decode(_ output: StoreUnderTest.Output) throws -> [Sample] {
        guard output.status == 0 else { throw ParseError(description: "the parser refused it (exit \(output.status)): \(output.stderr)") }
        return try JSONDecoder().decode([Sample].self, from: Data(output.stdout.utf8))
    }

    /// Reads the exposition from the URL in argv[1] (or stdin for `-`) and prints its samples as JSON.
    private static let parser = """
        import json, sys, urllib.request
        from prometheus_client.parser import text_string_to_metric_families
        source = sys.argv[1]
        if source == "-":
            text = sys.stdin.read()
        else:
            with urllib.request.urlopen(source, timeout=10) as answer:
                if answer.headers.get_content_type() != "text/plain":
                    sys.exit("unexpected content type " + answer.headers.get("Content-Type", ""))
                text = answer.read().decode("utf-8")
        samples = []
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples.append({"name": sample.name, "labels": sample.labels, "value": sample.value, "type": family.type})
        print(json.dumps(samples))
        """
}

extension Array where Element == Exposition.Sample {
    /// The value of the sample named `name` whose labels include `labels`, if there is exactly one.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matches = filter { sample in sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value } }
        return matches.count == 1 ? matches[0].value : nil
    }
}
