import Foundation
import MigrationCore

/// Where a monitoring listener binds: `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (loopback).
///
/// ```swift
/// let listen = try ListenAddress("127.0.0.1:9464")   // host "127.0.0.1", port 9464
/// ```
///
/// Only numeric addresses and `localhost` are taken, so a listener never waits on DNS and an
/// operator sees exactly which interface is exposed. Port 0 asks the kernel for a free port
/// (tests); the listener reports the port it got.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// Parses `text`, or says in one sentence what is wrong with it.
    public init(_ text: String) throws(ListenAddressError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let hostPart: Substring, portPart: Substring
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]"), trimmed[trimmed.index(after: close)...].hasPrefix(":") else {
                throw ListenAddressError(text: text)
            }
            hostPart = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            portPart = trimmed[trimmed.index(close, offsetBy: 2)...]
        } else {
            guard let colon = trimmed.lastIndex(of: ":"), !trimmed[..<colon].contains(":") else { throw ListenAddressError(text: text) }
            hostPart = trimmed[..<colon]
            portPart = trimmed[trimmed.index(after: colon)...]
        }
        guard let port = Int(portPart), (0...65535).contains(port), portPart.allSatisfy(\.isASCII) else { throw ListenAddressError(text: text) }
        let host = hostPart.isEmpty ? "127.0.0.1" : String(hostPart)
        guard host == "localhost" || Self.isNumeric(host) else { throw ListenAddressError(text: text) }
        self.host = host == "localhost" ? "127.0.0.1" : host
        self.port = port
    }

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether it only accepts connections from this machine.
    public var isLoopback: Bool { host == "::1" || host.hasPrefix("127.") }

    private static func isNumeric(_ host: String) -> Bool {
        if host.contains(":") { return host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } && host.count <= 45 }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in part.count <= 3 && part.allSatisfy(\.isASCII) && Int(part).map { $0 <= 255 } == true }
    }
}

/// A `--listen` value that is not `HOST:PORT`.
public struct ListenAddressError: Error, Sendable, CustomStringConvertible {
    public var text: String

    public var description: String {
        "'\(text.terminalSafe)' is not an address to listen on; give HOST:PORT with a numeric host, e.g. 127.0.0.1:9464, [::1]:9464 or :9464"
    }
}
