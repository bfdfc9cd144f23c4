import Foundation

/// The kernel's count of datagrams it dropped for a UDP socket because the socket's receive
/// buffer was full: the `drops` column of `/proc/net/udp` and `/proc/net/udp6`.
///
/// This is where a statsd listener's loss shows: a sender never learns of it, and the listener
/// never sees the datagrams. `migctl statsd` reads it for its own socket (by inode) at every
/// flush; the benchmark reads it for the listener's port.
///
/// ```swift
/// UDPDrops.drops(port: 8125)    // 0, or how many datagrams the kernel dropped; nil: no such socket
/// ```
public enum UDPDrops {
    /// One row of `/proc/net/udp`.
    public struct Socket: Sendable, Equatable {
        public var localPort: UInt16
        public var inode: UInt64
        public var drops: Int64

        public init(localPort: UInt16, inode: UInt64, drops: Int64) {
            self.localPort = localPort
            self.inode = inode
            self.drops = drops
        }
    }

    public static let files = ["/proc/net/udp", "/proc/net/udp6"]

    /// Every UDP socket of this network namespace, from `files`.
    public static func sockets(files: [String] = files) -> [Socket] {
        files.flatMap { file in
            guard let handle = FileHandle(forReadingAtPath: file) else { return [Socket]() }
            defer { try? handle.close() }
            return sockets(in: String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self))
        }
    }

    /// The rows of one such file's text; a line that does not parse is left out.
    ///
    /// `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops`
    public static func sockets(in text: String) -> [Socket] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count >= 13, let colon = columns[1].lastIndex(of: ":"),
                  let port = UInt16(columns[1][columns[1].index(after: colon)...], radix: 16),
                  let inode = UInt64(columns[9]), let drops = Int64(columns[12]) else { return nil }
            return Socket(localPort: port, inode: inode, drops: drops)
        }
    }

    /// The drops of every socket bound to `port`, added up; nil when none is.
    public static func drops(port: UInt16, files: [String] = files) -> Int64? {
        let matching = sockets(files: files).filter { $0.localPort == port }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.drops }
    }

    /// The drops of the socket with this inode, or nil when there is none.
    public static func drops(inode: UInt64, files: [String] = files) -> Int64? {
        sockets(files: files).first { $0.inode == inode }?.drops
    }
}
