import Foundation
import MigrationCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The HTTP server behind `migctl metrics`: `GET /metrics` answers the exposition, `/` says
/// where it is, anything else is 404 (or 405 for a method other than GET and HEAD).
///
/// One event-loop thread accepts and speaks HTTP/1.1 (keep-alive, as Prometheus scrapes); the
/// exposition, which reads the control store and may wait on its locks, is made on one thread
/// of its own, so scrapes queue rather than pile up on the store, and a slow read never stalls
/// the loop. A connection idle for ``idleSeconds`` is closed.
///
/// ```swift
/// let server = try MetricsServer.start(listen: ListenAddress("127.0.0.1:9464")) { source.exposition() }
/// defer { server.stop() }
/// ```
public final class MetricsServer: Sendable {
    /// Where it listens, with the port the kernel gave when asked for port 0.
    public let address: ListenAddress
    private let group: MultiThreadedEventLoopGroup
    private let pool: NIOThreadPool
    private let channel: any Channel

    /// How long a connection may stay idle before the server closes it.
    public static let idleSeconds: Int64 = 60

    private init(address: ListenAddress, group: MultiThreadedEventLoopGroup, pool: NIOThreadPool, channel: any Channel) {
        self.address = address
        self.group = group
        self.pool = pool
        self.channel = channel
    }

    /// Binds `listen` and serves until ``stop()``.
    /// - Parameter exposition: makes the `/metrics` body; called on the server's own thread, one scrape at a time.
    public static func start(listen: ListenAddress, exposition: @escaping @Sendable () -> [UInt8]) throws(MetricsServerError) -> MetricsServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(allTimeout: .seconds(idleSeconds)))
                    try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                    try pipeline.addHandler(MetricsHTTPHandler(pool: pool, exposition: exposition))
                }
            }
        do {
            let channel = try bootstrap.bind(host: listen.host, port: listen.port).wait()
            let port = channel.localAddress?.port ?? listen.port
            return MetricsServer(address: ListenAddress(host: listen.host, port: port), group: group, pool: pool, channel: channel)
        } catch {
            try? group.syncShutdownGracefully()
            try? pool.syncShutdownGracefully()
            throw MetricsServerError(address: listen, reason: Self.reason(error))
        }
    }

    /// Stops listening, lets a scrape being made finish, and waits for the threads to end: the
    /// pool first, so no scrape answers through an event loop that is already gone.
    public func stop() {
        try? channel.close().wait()
        try? pool.syncShutdownGracefully()
        try? group.syncShutdownGracefully()
    }

    private static func reason(_ error: any Error) -> String {
        if let io = error as? IOError {
            switch io.errnoCode {
            case EADDRINUSE: return "another process already listens there"
            case EACCES: return "this user may not listen on that port"
            case EADDRNOTAVAIL: return "no interface of this machine has that address"
            default: return String(cString: strerror(io.errnoCode))
            }
        }
        return "\(error)"
    }
}

/// Why `migctl metrics` could not listen.
public struct MetricsServerError: Error, Sendable, CustomStringConvertible {
    public var address: ListenAddress
    public var reason: String

    public var description: String {
        "cannot listen on \(address): \(reason.terminalSafe); choose another address with --listen."
    }
}
