import Foundation

/// A self-signed certificate and its key, made by `openssl req -x509` in a test's folder: for a
/// loopback https server, and as the trust root of the client that talks to it.
public struct TestCertificate: Sendable {
    /// The PEM certificate: what a client given it as a trust root trusts.
    public let certificate: String
    public let key: String

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// - Parameter names: the subject alternative names, as `DNS:localhost` or `IP:127.0.0.1`.
    public init(in folder: TemporaryDirectory, names: [String]) throws {
        let name = UUID().uuidString
        certificate = folder.path("\(name).crt")
        key = folder.path("\(name).key")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-days", "2", "-subj", "/CN=migctl-test", "-addext", "subjectAltName=\(names.joined(separator: ","))",
                             "-keyout", key, "-out", certificate]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0, FileManager.default.fileExists(atPath: certificate) else {
            throw Failure(description: "openssl req -x509 exited with status \(process.terminationStatus)")
        }
    }
}
