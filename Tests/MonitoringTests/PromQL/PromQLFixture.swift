import Foundation
import TestSupport

/// One of `Fixtures/promql_fixture.py`'s servers on 127.0.0.1: an exporter with settable
/// gauges for a real Prometheus to scrape, or a fake Prometheus (canned body, silent, endless).
/// Killed by ``stop()``, when it is released, or by its stdin lifeline if the test process dies.
final class PromQLFixture: Sendable {
    enum Mode: String {
        case exporter, canned, silent, endless
    }

    /// One request as the fixture logged it.
    struct Request: Decodable {
        let method: String
        let path: String
        let headers: [String: String]
        let body: String
    }

    struct FixtureError: Error, CustomStringConvertible {
        let description: String
    }

    let port: Int
    /// `127.0.0.1:PORT`, as Prometheus names the target (its `instance` label).
    var target: String { "127.0.0.1:\(port)" }
    var url: String { "http://127.0.0.1:\(port)" }
    private let server: PythonFixture
    private let log: String

    /// - Parameters:
    ///   - status, body, contentType, withLength: a canned server's answer.
    ///   - tls: serve https with this certificate.
    init(_ mode: Mode, in folder: TemporaryDirectory, status: Int = 200, body: [UInt8] = [], contentType: String = "application/json",
         withLength: Bool = true, tls: TestCertificate? = nil) throws {
        let name = UUID().uuidString
        log = folder.path("\(name).requests")
        let bodyFile = folder.path("\(name).body")
        _ = FileManager.default.createFile(atPath: bodyFile, contents: Data(body))
        guard let script = Bundle.module.url(forResource: "promql_fixture", withExtension: "py", subdirectory: "Fixtures") else {
            throw FixtureError(description: "Fixtures/promql_fixture.py is not in the test bundle")
        }
        var arguments = [mode.rawValue, "--log", log, "--status", "\(status)", "--body-file", bodyFile, "--content-type", contentType]
        if !withLength { arguments.append("--no-length") }
        if let tls { arguments += ["--tls-cert", tls.certificate, "--tls-key", tls.key] }
        server = try PythonFixture(script: script, arguments: arguments, in: folder)
        port = server.port
    }

    /// Sets an exporter's gauge `name{labels}` to `value` (`"NaN"`, `"+Inf"` too).
    func set(_ name: String, labels: String = "", _ value: String) throws {
        let query = [("name", name), ("labels", labels), ("value", value)]
            .map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        guard PrometheusServer.get(port: port, path: "/set?\(query)")?.body == "ok\n" else {
            throw FixtureError(description: "the exporter did not take \(name)")
        }
    }

    /// The requests received so far.
    var requests: [Request] { PythonFixture.jsonLines(log) }

    func stop() {
        server.stop()
    }
}
