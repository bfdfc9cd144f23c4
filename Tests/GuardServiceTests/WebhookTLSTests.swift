import Foundation
import GuardService
import MigrationCore
import TestSupport
import Testing

/// https webhooks against a real TLS receiver on loopback, with a self-signed certificate made
/// by `openssl req -x509` for each test: verification is always on, extra roots are opt-in.
@Suite(.timeLimit(.minutes(2)))
struct WebhookTLSTests {
    let folder = TemporaryDirectory()
    let logs = RecordedLogs()

    @Test func aCertificateTheTargetDoesNotTrustIsRefusedBeforeAnythingIsSent() throws {
        let certificate = try TestCertificate(in: folder, names: ["DNS:localhost", "IP:127.0.0.1"])
        let receiver = try WebhookReceiver(in: folder, tls: certificate)
        defer { receiver.stop() }
        for host in ["localhost", "127.0.0.1"] {
            let target = try WebhookTarget(url: "https://\(host):\(receiver.port)/services/T0SECRET?key=QUERYKEY", format: .slack)
            #expect(throws: NotifyError.unreachable("the TLS handshake with \(host):\(receiver.port) failed: its certificate could not be "
                + "verified (not issued by a trusted root, expired or not yet valid)")) {
                try target.deliver(event(1), cancel: CancelFlag())
            }
        }
        #expect(receiver.requests.isEmpty, "no request goes out over a connection that failed verification")
    }

    @Test func aCertificateGivenAsATrustRootDelivers() throws {
        let certificate = try TestCertificate(in: folder, names: ["DNS:localhost", "IP:127.0.0.1"])
        let receiver = try WebhookReceiver(in: folder, tls: certificate)
        defer { receiver.stop() }
        let byName = try WebhookTarget(url: "https://localhost:\(receiver.port)/hooks/orders?channel=db", format: .json,
                                       trustRoots: certificate.certificate)
        let byAddress = try WebhookTarget(url: "https://127.0.0.1:\(receiver.port)/hooks/orders", format: .json,
                                          trustRoots: certificate.certificate)
        #expect(byName.name == "webhook https://localhost:\(receiver.port)/…")
        let notifier = Notifier(targets: [byName, byAddress], retry: fastRetry(), logger: logs.logger)
        defer { notifier.stop() }
        let sent = event(9)
        notifier.send(sent)

        #expect(stats(of: notifier, 0) { $0.delivered == 1 }.delivered == 1)
        #expect(stats(of: notifier, 1) { $0.delivered == 1 }.delivered == 1)
        #expect(notifier.stats.allSatisfy { $0.failed == 0 && $0.retries == 0 }, "\(notifier.stats.map(\.lastError))")
        let requests = receiver.requests.sorted { $0.path > $1.path }
        #expect(requests.map(\.path) == ["/hooks/orders?channel=db", "/hooks/orders"])
        #expect(requests.map(\.sni) == ["localhost", nil], "SNI names the host; an IP address is never sent as SNI")
        #expect(requests.map { $0.headers["host"] } == ["localhost:\(receiver.port)", "127.0.0.1:\(receiver.port)"])
        #expect(try requests.map { try decodeEvent($0.body) } == [sent, sent])
    }

    @Test func aTrustedCertificateForAnotherNameIsRefused() throws {
        let certificate = try TestCertificate(in: folder, names: ["DNS:hooks.example.com"])
        let receiver = try WebhookReceiver(in: folder, tls: certificate)
        defer { receiver.stop() }
        for host in ["localhost", "127.0.0.1"] {
            let target = try WebhookTarget(url: "https://\(host):\(receiver.port)/hook", format: .json, trustRoots: certificate.certificate)
            #expect(throws: NotifyError.unreachable("the TLS handshake with \(host):\(receiver.port) failed: its certificate is not valid for \(host)")) {
                try target.deliver(event(1), cancel: CancelFlag())
            }
        }
        #expect(receiver.requests.isEmpty)
    }

    @Test func trustRootsThatAreNotPEMCertificatesAreRefused() throws {
        let empty = folder.path("empty.pem"), missing = folder.path("missing.pem")
        _ = FileManager.default.createFile(atPath: empty, contents: Data("not a certificate\n".utf8))
        #expect(throws: NotifyError.badTrustRoots("\(empty) cannot be read as PEM certificates")) {
            try WebhookTarget(url: "https://hooks.example.com/T0SECRET", trustRoots: empty)
        }
        #expect(throws: NotifyError.badTrustRoots("\(missing) cannot be read as PEM certificates")) {
            try WebhookTarget(url: "https://hooks.example.com/T0SECRET", trustRoots: missing)
        }
        #expect(NotifyError.badTrustRoots("x cannot be read as PEM certificates").description
            == "x cannot be read as PEM certificates; an https webhook needs trust roots to verify its server.")
    }
}
