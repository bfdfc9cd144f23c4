import Foundation

/// A bound UDP socket for statsd datagrams: plain POSIX calls, one `recv` per datagram.
///
/// Plain sockets rather than swift-nio: one thread blocking in `recv` does nothing per datagram
/// but copy it and parse it, with no event loop, buffer allocation or pipeline between, and the
/// process needs nothing else of an event loop. A large receive buffer (`SO_RCVBUFFORCE` when
/// the process may, else `SO_RCVBUF`, which `net.core.rmem_max` caps) absorbs bursts while a
/// flush runs; what still overflows it is dropped by the kernel and shows in ``kernelDrops()``.
///
/// ```swift
/// let listener = try StatsdListener(ListenAddress("127.0.0.1:0"), receiveBuffer: 8 << 20)
/// listener.address.port            // the port the kernel gave
/// let length = listener.receive(into: buffer, waiting: true)   // nil after 100 ms without a datagram
/// ```
public final class StatsdListener: Sendable {
    /// The address bound, with the port the kernel chose for port 0.
    public let address: ListenAddress
    /// The receive buffer the kernel granted, in bytes (it may be less than asked).
    public let receiveBufferBytes: Int
    private let socket: Int32
    private let inode: UInt64

    /// The largest datagram read whole: more than UDP carries, so none is cut.
    public static let datagramCapacity = 65_536
    /// How long ``receive(into:waiting:)`` waits for a datagram before it returns nil.
    public static let wait = 0.1

    /// Binds a UDP socket to `address` with a receive buffer of `receiveBuffer` bytes.
    /// - Throws: ``StatsdListenError`` when the address cannot be bound (in use, not this host's).
    public init(_ address: ListenAddress, receiveBuffer: Int) throws(StatsdListenError) {
        let isV6 = address.host.contains(":")
        let family = isV6 ? AF_INET6 : AF_INET
        let fd = Glibc.socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw StatsdListenError(address: address, errno: errno) }
        var size = Int32(clamping: receiveBuffer)
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: 0, tv_usec: Int(Self.wait * 1_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // nil: the host is not an address of this family (ListenAddress only lets numeric hosts through).
        let bound: Int32?
        if isV6 {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = UInt16(address.port).bigEndian
            bound = inet_pton(AF_INET6, address.host, &sa.sin6_addr) == 1 ? Self.bind(fd, &sa) : nil
        } else {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = UInt16(address.port).bigEndian
            bound = inet_pton(AF_INET, address.host, &sa.sin_addr) == 1 ? Self.bind(fd, &sa) : nil
        }
        guard let bound else {
            Glibc.close(fd)
            throw StatsdListenError(address: address, errno: EADDRNOTAVAIL)
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw StatsdListenError(address: address, errno: code)
        }
        socket = fd
        self.address = ListenAddress(host: address.host, port: Self.localPort(fd) ?? address.port)
        var granted: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &length)
        // Linux reports twice what it grants for payload (the rest is its bookkeeping).
        receiveBufferBytes = Int(granted) / 2
        var status = stat()
        inode = fstat(fd, &status) == 0 ? UInt64(status.st_ino) : 0
    }

    deinit { Glibc.close(socket) }

    /// Reads one datagram into `buffer` (at least ``datagramCapacity`` bytes): its length, 0 for an
    /// empty one, or nil when none came (within ``wait`` when `waiting`, else at once).
    public func receive(into buffer: UnsafeMutableRawBufferPointer, waiting: Bool) -> Int? {
        let length = recv(socket, buffer.baseAddress, buffer.count, waiting ? 0 : Int32(MSG_DONTWAIT))
        return length >= 0 ? min(length, buffer.count) : nil
    }

    /// How many datagrams the kernel dropped for this socket since it was bound, or nil when
    /// `/proc/net/udp` does not show it.
    public func kernelDrops() -> Int64? {
        UDPDrops.drops(inode: inode)
    }

    /// `bind(2)` with a `sockaddr_in` or `sockaddr_in6`.
    private static func bind<Address>(_ fd: Int32, _ address: inout Address) -> Int32 {
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<Address>.size)) }
        }
    }

    private static func localPort(_ fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let found = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard found == 0 else { return nil }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }
}

/// The statsd address could not be bound.
public struct StatsdListenError: Error, Sendable, CustomStringConvertible {
    /// The address asked for.
    public var address: ListenAddress
    /// Why `socket` or `bind` failed.
    public var errno: Int32

    public var description: String {
        let reason = String(cString: strerror(errno)).lowercased()
        let next = switch errno {
        case EADDRINUSE: "stop what listens there, or choose another --listen"
        case EACCES: "ports below 1024 need privileges; choose a port above 1023"
        default: "choose an address of this host for --listen"
        }
        return "could not listen for statsd on UDP \(address): \(reason); \(next)."
    }
}
