#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import NIOCore
import NIOPosix

/// Looks a host up with `getaddrinfo`, on a thread of its own, for one connection.
///
/// NIO's own resolver runs every lookup of an event loop on one serial queue: with every
/// request sharing one loop, a host whose DNS hangs would hold up every other request's lookups
/// past their timeouts. Here each lookup has its own worker, so a dead host delays nobody else.
/// Happy eyeballs asks for the AAAA answers, then the A answers: one `getaddrinfo` gives both.
///
/// ```swift
/// ClientBootstrap(group: loop).resolver(HostResolver(loop: loop)).connect(host: "hooks.slack.com", port: 443)
/// ```
final class HostResolver: Resolver, Sendable {
    private let v4: EventLoopPromise<[SocketAddress]>
    private let v6: EventLoopPromise<[SocketAddress]>

    init(loop: any EventLoop) {
        v4 = loop.makePromise()
        v6 = loop.makePromise()
    }

    func initiateAQuery(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        v4.futureResult
    }

    /// Starts the one lookup; both promises are always completed, even after a cancel.
    func initiateAAAAQuery(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        let v4 = v4, v6 = v6
        DispatchQueue.global().async {
            switch Self.lookUp(host, port: port) {
            case .success(let addresses):
                v6.succeed(addresses.filter { $0.protocol == .inet6 })
                v4.succeed(addresses.filter { $0.protocol == .inet })
            case .failure(let error):
                v6.fail(error)
                v4.fail(error)
            }
        }
        return v6.futureResult
    }

    /// A lookup cannot be stopped; its answer is dropped by the connector that gave up.
    func cancelQueries() {}

    /// The stream addresses of `host`, blocking.
    private static func lookUp(_ host: String, port: Int) -> Result<[SocketAddress], HostNotFound> {
        var hints = addrinfo()
        #if canImport(Glibc) || canImport(Musl)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, String(port), &hints, &list)
        guard code == 0, let list else { return .failure(HostNotFound(code: code)) }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = list
        while let entry = next?.pointee {
            if let address = entry.ai_addr {
                switch entry.ai_family {
                case AF_INET:
                    addresses.append(address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: host) })
                case AF_INET6:
                    addresses.append(address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: host) })
                default:
                    break
                }
            }
            next = entry.ai_next
        }
        return addresses.isEmpty ? .failure(HostNotFound(code: code)) : .success(addresses)
    }
}

/// `getaddrinfo` found no address for a host.
struct HostNotFound: Error {
    let code: CInt
}
