import Foundation
import MigrationCore
import Synchronization

/// A real Prometheus server (Debian's `prometheus`), started for one test on 127.0.0.1 with a
/// free port, a temporary TSDB and a configuration of the test's own, and killed whatever
/// happens: by ``stop()``, by `deinit`, or, if the test process dies, by its supervisor, which
/// kills it when the test's end of a pipe closes.
///
/// ```swift
/// let prometheus = try PrometheusServer(scraping: ["127.0.0.1:\(exporter.port)"])
/// defer { prometheus.stop() }
/// #expect(prometheus.waitUntilScraped("127.0.0.1:\(exporter.port)"))
/// #expect(prometheus.waitUntil("fixture_ratio") { $0.first?.value == 0.004 } != nil)
/// ```
public final class PrometheusServer: Sendable {
    /// One series of an instant query's answer.
    public struct Sample: Sendable, Equatable {
        public var labels: [String: String]
        /// NaN and ±Inf as Prometheus spells them are read too.
        public var value: Double
    }

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    public let port: Int
    /// `""`, or the `--web.route-prefix` it serves under, e.g. `/prometheus`.
    public let routePrefix: String
    /// Where its log goes, for a failing test to show.
    public let logPath: String
    /// `http://127.0.0.1:PORT` followed by the route prefix.
    public var baseURL: String { "http://127.0.0.1:\(port)\(routePrefix)" }

    private let folder: TemporaryDirectory
    private let supervisor: ChildProcess
    /// The write end of the supervisor's stdin: it kills Prometheus when this closes, so it
    /// cannot outlive the test.
    private let lifeline: FileHandle
    private let stopped = Mutex(false)

    /// Where Debian installs the server.
    public static let executable = "/usr/bin/prometheus"

    /// Scrapes `targets` (`host:port`) at `path` every `interval`, as job `fixture`.
    /// - Parameter routePrefix: serves the UI and API under this path (`--web.route-prefix`), as behind a reverse proxy.
    public convenience init(scraping targets: [String], path: String = "/metrics", interval: String = "1s",
                            routePrefix: String = "") throws {
        let list = targets.map { "'\($0)'" }.joined(separator: ", ")
        try self.init(configYAML: """
            global:
              scrape_interval: \(interval)
              scrape_timeout: \(interval)
              evaluation_interval: \(interval)
            scrape_configs:
              - job_name: fixture
                metrics_path: \(path)
                static_configs:
                  - targets: [\(list)]
            """, routePrefix: routePrefix)
    }

    /// Starts Prometheus with `configYAML` and waits until it is ready (`/-/ready`).
    /// - Throws: ``StartError`` with its log when it does not get ready within 30 s.
    public init(configYAML: String, routePrefix: String = "") throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw StartError(description: "\(Self.executable) is missing; scripts/setup installs Debian's prometheus package")
        }
        let folder = TemporaryDirectory()
        let config = folder.path("prometheus.yml")
        try configYAML.write(toFile: config, atomically: true, encoding: .utf8)
        var failures: [String] = []
        // A free port is found by binding port 0 and closing it; another process may take it
        // before Prometheus binds it, so a start that loses that race is tried again.
        for attempt in 1...3 {
            let port = try unusedLoopbackPort()
            let log = folder.path("prometheus-\(attempt).log")
            let exit = folder.path("prometheus-\(attempt).exit")
            var arguments = [Self.executable, "--config.file=\(config)", "--storage.tsdb.path=\(folder.path("data-\(attempt)"))",
                             "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
            if !routePrefix.isEmpty { arguments.append("--web.route-prefix=\(routePrefix)") }
            let (input, lifeline) = try ChildProcess.pipe()
            let supervisor = try ChildProcess("/usr/bin/env", ["python3", "-c", Self.supervisorScript, log, exit] + arguments,
                                              stdin: .descriptor(input.fileDescriptor))
            try input.close()
            let ready = eventually(within: .seconds(30)) { () -> Bool? in
                if FileManager.default.fileExists(atPath: exit) { return false }
                return Self.get(port: port, path: "\(routePrefix)/-/ready")?.status == 200 ? true : nil
            }
            if ready == true {
                self.port = port
                self.routePrefix = routePrefix
                self.logPath = log
                self.folder = folder
                self.supervisor = supervisor
                self.lifeline = lifeline
                return
            }
            try? lifeline.close()
            supervisor.waitUntilExit()
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            failures.append("attempt \(attempt) on port \(port): \(String(text.suffix(2000)))")
            if !text.contains("address already in use") { break }
        }
        throw StartError(description: "Prometheus did not get ready: \(failures.joined(separator: "\n"))")
    }

    deinit { stop() }

    /// Kills Prometheus and waits until it is gone (its TSDB folder is removed after).
    public func stop() {
        let first = stopped.withLock { (done: inout Bool) -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        try? lifeline.close()
        supervisor.waitUntilExit()
    }

    // MARK: - Asking it

    /// `GET` of `pathAndQuery` under the route prefix: the status and the body, or nil without an answer.
    public func get(_ pathAndQuery: String) -> (status: Int, body: String)? {
        Self.get(port: port, path: routePrefix + pathAndQuery)
    }

    /// The instant query's series (a scalar is one series without labels), or nil when
    /// Prometheus answers anything else (an error, no answer).
    public func query(_ promql: String) -> [Sample]? {
        let encoded = promql.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        guard let answer = get("/api/v1/query?query=\(encoded)"), answer.status == 200,
              let top = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any],
              top["status"] as? String == "success", let data = top["data"] as? [String: Any] else { return nil }
        func value(_ pair: Any?) -> Double? {
            guard let pair = pair as? [Any], pair.count == 2, let text = pair[1] as? String else { return nil }
            return Double(text)
        }
        switch data["resultType"] as? String {
        case "scalar":
            return value(data["result"]).map { [Sample(labels: [:], value: $0)] }
        case "vector":
            guard let series = data["result"] as? [[String: Any]] else { return nil }
            return series.compactMap { entry in
                value(entry["value"]).map { Sample(labels: (entry["metric"] as? [String: String]) ?? [:], value: $0) }
            }
        default:
            return nil
        }
    }

    /// Polls `promql` until its series satisfy `condition`: the series then, or nil after `limit`.
    public func waitUntil(_ promql: String, within limit: Duration = .seconds(30),
                          _ condition: ([Sample]) -> Bool) -> [Sample]? {
        eventually(within: limit) { query(promql).flatMap { condition($0) ? $0 : nil } }
    }

    /// Polls the targets API until `target` (`host:port`) has been scraped successfully.
    public func waitUntilScraped(_ target: String, within limit: Duration = .seconds(30)) -> Bool {
        eventually(within: limit) {
            guard let answer = get("/api/v1/targets?state=active"), answer.status == 200,
                  let top = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any],
                  let data = top["data"] as? [String: Any], let targets = data["activeTargets"] as? [[String: Any]] else { return false }
            return targets.contains { entry in
                (entry["labels"] as? [String: String])?["instance"] == target && entry["health"] as? String == "up"
            }
        }
    }

    /// The last 2,000 characters of its log.
    public var logTail: String { String(((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").suffix(2000)) }

    // MARK: - Plumbing

    /// Runs argv[3...] with its output in argv[1]; writes its exit status to argv[2] when it
    /// ends by itself; kills it when stdin closes (the test stopped it, or died).
    private static let supervisorScript = """
        import signal, subprocess, sys, threading
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        log = open(sys.argv[1], "ab")
        child = subprocess.Popen(sys.argv[3:], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        stopping = []
        def lifeline():
            while sys.stdin.buffer.read(4096):
                pass
            stopping.append(True)
            child.kill()
        threading.Thread(target=lifeline, daemon=True).start()
        code = child.wait()
        if not stopping:
            open(sys.argv[2], "w").write(str(code))
        """

    /// A plain HTTP/1.0 `GET` of 127.0.0.1:`port`, read to the end (at most 16 MiB, 10 s): the
    /// harness asks Prometheus (and a test its exporter) without the HTTP client under test.
    public static func get(port: Int, path: String) -> (status: Int, body: String)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while answer.count < 16 << 20 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 { return nil }
            if count == 0 { break }
            answer += buffer[..<count]
        }
        let text = String(decoding: answer, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let statusLine = text[..<split.lowerBound].split(separator: "\r\n").first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        return (status, String(text[split.upperBound...]))
    }
}
