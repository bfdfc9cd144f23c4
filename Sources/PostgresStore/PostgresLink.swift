import Foundation
import GRDB
import Logging
import MigrationCore
import PostgresNIO
import Synchronization

/// The one connection a process holds to the PostgreSQL server, used from synchronous code.
///
/// `ControlStore` is synchronous, and postgres-nio runs on NIO event loops: each call here
/// waits on an `EventLoopFuture` from the caller's own thread (never an event loop, never the
/// `route()` path, which reads memory only). Calls take turns on the connection, so a
/// transaction's statements are never interleaved with another thread's.
///
/// The connection is opened at the first use and again after it drops, with a jittered
/// backoff between failed attempts, so a fleet that lost its server does not reconnect in
/// step. Once open, it LISTENs on the schema's channel: every notification bumps
/// ``notifications`` and calls the change handlers.
final class PostgresLink: Sendable {
    let url: PostgresURL
    private let logger: Logger
    private let tls: PostgresConnection.Configuration.TLS

    private struct Connection {
        var open: PostgresConnection?
        /// Failed attempts in a row, and when the next may start.
        var failures = 0
        var retryAt = ContinuousClock.now
        /// When the open connection was made: one that dies young counts as a failed attempt.
        var openedAt = ContinuousClock.now

        /// Counts a failed attempt and sets when the next may start: 100 ms doubling to 5 s,
        /// each wait drawn from 50–150% of it, so a fleet does not reconnect in step.
        mutating func failed(because reason: String) {
            failures += 1
            lastError = reason
            let base = min(0.1 * Double(1 << min(failures - 1, 10)), 5)
            retryAt = ContinuousClock.now + .milliseconds(Int(base * Double.random(in: 0.5...1.5) * 1000))
        }
        var lastError: String?
        /// How many connections were opened: a new one may have missed notifications.
        var generation: Int64 = 0
        /// The login the server knows this connection by (`session_user`).
        var login: String?
        /// The server's clock minus this host's, measured at each connection.
        var clockOffset: TimeInterval = 0
    }

    private let connection = Mutex(Connection())
    /// Serialises the calls on the connection (one transaction at a time).
    private let turn = NSLock()
    private let notified = Atomic<Int64>(0)
    private let handlers = Mutex<[@Sendable () -> Void]>([])

    init(url: PostgresURL) throws(ControlStoreError) {
        self.url = url
        var logger = Logger(label: "migctl.postgres")
        logger.logLevel = .critical
        self.logger = logger
        tls = try Self.tls(url)
    }

    deinit {
        if let open = connection.withLock({ $0.open }) { _ = open.close() as EventLoopFuture<Void> }
    }

    /// Notifications received, plus a jump for each new connection: a number that changes
    /// whenever the server announced a change or the link was re-established.
    var changeCount: (notifications: Int64, generation: Int64) {
        (notified.load(ordering: .relaxed), connection.withLock { $0.generation })
    }

    /// The server's clock as of the last connection: this host's clock plus the offset measured then.
    var serverNow: Date { Date().addingTimeInterval(connection.withLock { $0.clockOffset }) }

    /// Whether a connection is open now.
    var isOpen: Bool { connection.withLock { $0.open.map { !$0.isClosed } ?? false } }

    /// Registers `handler` to run (on an event loop: keep it short) at each notification.
    func onNotification(_ handler: @escaping @Sendable () -> Void) {
        handlers.withLock { $0.append(handler) }
    }

    /// The login of the connection, opening it if needed.
    func login() throws(ControlStoreError) -> String {
        try withConnection { _ in }
        return connection.withLock { $0.login } ?? url.user
    }

    /// Runs `body` with the connection, alone.
    func withConnection<T>(_ body: (Session) throws -> T) throws(ControlStoreError) -> T {
        turn.lock()
        defer { turn.unlock() }
        let open = try opened()
        do {
            return try body(Session(connection: open, logger: logger))
        } catch {
            let failure = PostgresFailure.storeError(error, location: url.description, schema: url.schema)
            if open.isClosed { dropped(open, because: failure.description) }
            throw failure
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// - Parameter snapshot: one snapshot for every statement (REPEATABLE READ, read only), for
    ///   reads that must agree with each other; else READ COMMITTED, which writes need.
    func transaction<T>(snapshot: Bool = false, _ body: (Session) throws -> T) throws(ControlStoreError) -> T {
        try withConnection { session in
            try session.execute(snapshot ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN")
            do {
                let result = try body(session)
                try session.execute("COMMIT")
                return result
            } catch {
                try? session.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Closes the connection; the next call opens a new one.
    func close() {
        let open = connection.withLock { link in
            defer { link.open = nil }
            return link.open
        }
        _ = try? (open?.close() as EventLoopFuture<Void>?)?.wait()
    }

    // MARK: - Opening

    private func opened() throws(ControlStoreError) -> PostgresConnection {
        let now = ContinuousClock.now
        let (existing, retryAt, lastError) = connection.withLock { ($0.open, $0.retryAt, $0.lastError) }
        if let existing, !existing.isClosed { return existing }
        if now < retryAt, let lastError {
            throw .io(path: url.description, message: "\(lastError) (next try in \(Self.format(retryAt - now)))")
        }
        var opening: PostgresConnection?
        do {
            let loop = MultiThreadedEventLoopGroup.singleton.any()
            let open = try PostgresConnection.connect(
                on: loop, configuration: try configuration(on: loop), id: Int.random(in: 1...Int(Int32.max)), logger: logger
            ).wait()
            opening = open
            let session = Session(connection: open, logger: logger)
            let asked = Date()
            let hello = try session.records("""
                SELECT session_user::text AS login, extract(epoch FROM clock_timestamp())::float8 AS now
                """).first
            let answered = Date()
            let login = hello?["login"] as String?
            // The server read its clock about halfway through the round trip.
            let offset = (hello?["now"] as Double?).map { $0 - (asked.timeIntervalSince1970 + answered.timeIntervalSince1970) / 2 } ?? 0
            try listen(on: open, session)
            connection.withLock { link in
                link.open = open
                link.openedAt = .now
                link.lastError = nil
                link.generation += 1
                link.login = login
                link.clockOffset = offset
            }
            open.closeFuture.whenComplete { [weak self] _ in self?.dropped(open, because: "the connection closed") }
            return open
        } catch {
            // A connection made but not set up (its first query or LISTEN failed) is closed, not leaked.
            _ = opening?.close() as EventLoopFuture<Void>?
            let failure = PostgresFailure.storeError(error, location: url.description, schema: url.schema)
            connection.withLock { $0.failed(because: failure.reason) }
            throw failure
        }
    }

    private func dropped(_ open: PostgresConnection, because reason: String) {
        connection.withLock { link in
            guard link.open === open else { return }
            link.open = nil
            // A connection that lived a while resets the backoff; one killed soon after it was
            // made (a pooler's limit, a terminate loop) is one more failed attempt.
            if ContinuousClock.now - link.openedAt < .seconds(5) {
                link.failed(because: reason)
            } else {
                link.failures = 0
                link.lastError = reason
            }
        }
        _ = open.close() as EventLoopFuture<Void>
    }

    private func listen(on open: PostgresConnection, _ session: Session) throws {
        let channel = PostgresSchema.channel(url.schema)
        open.addListener(channel: channel) { [weak self] _, _ in
            guard let self else { return }
            self.notified.add(1, ordering: .relaxed)
            for handler in self.handlers.withLock({ $0 }) { handler() }
        }
        try session.execute(PostgresQuery(unsafeSQL: "LISTEN \(channel)"))
    }

    /// A TCP connection gives up on data the server has not acknowledged within the connect
    /// timeout (`TCP_USER_TIMEOUT`): a partition drops packets without a reset, and a query sent
    /// into it would otherwise wait out the kernel's retransmissions (many minutes) holding the
    /// connection, so the client would count no refresh error and never say it is stale. A slow
    /// query is unaffected: the server's kernel acknowledges it at once.
    private func configuration(on loop: any EventLoop) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socket = url.socketPath {
            configuration = .init(unixSocketPath: socket, username: url.user, password: url.password, database: url.database)
        } else {
            let userTimeout = ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: 18))   // TCP_USER_TIMEOUT
            let channel = try ClientBootstrap(group: loop)
                .connectTimeout(.seconds(Int64(url.connectTimeout)))
                .channelOption(userTimeout, value: SocketOptionValue(url.connectTimeout * 1000))
                .connect(host: url.host ?? "localhost", port: url.port).wait()
            configuration = .init(establishedChannel: channel, tls: tls, username: url.user, password: url.password, database: url.database)
            // What PostgresNIO would name the server for TLS (SNI, verify-full) had it connected itself.
            if let host = url.host, !Self.isIPAddress(host) { configuration.options.tlsServerName = host }
        }
        configuration.options.connectTimeout = .seconds(Int64(url.connectTimeout))
        // Like the SQLite file's lock wait: a change waits at most 30 s for a lock another session
        // holds (a psql left in a transaction), and no statement runs longer than a minute.
        configuration.options.additionalStartupParameters = [
            ("application_name", url.applicationName), ("lock_timeout", "30s"), ("statement_timeout", "60s"),
        ]
        return configuration
    }

    private static func tls(_ url: PostgresURL) throws(ControlStoreError) -> PostgresConnection.Configuration.TLS {
        guard url.sslMode != .disable, url.host != nil else { return .disable }
        var tls = TLSConfiguration.makeClientConfiguration()
        switch url.sslMode {
        case .disable: return .disable
        case .allow, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let roots = url.sslRootCertificate { tls.trustRoots = .file(roots) }
        do {
            let context = try NIOSSLContext(configuration: tls)
            return url.sslMode == .allow || url.sslMode == .prefer ? .prefer(context) : .require(context)
        } catch {
            throw .io(path: url.description, message: "TLS could not be set up: \(error)")
        }
    }

    private static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    private static func format(_ duration: Duration) -> String {
        String(format: "%.1fs", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    /// The connection during one call.
    struct Session {
        let connection: PostgresConnection
        let logger: Logger

        /// Runs `query` and returns its rows as the stores' shared row type, each value as
        /// the SQLite file would hold it: integers and booleans (0 or 1) as integers, reals as
        /// reals, instants as text like 2026-11-25T12:58:08.123Z, anything else as text.
        func records(_ query: PostgresQuery) throws -> [GRDB.Row] {
            let result = try connection.query(query, logger: logger).wait()
            return try result.rows.map { row in
                var values: [String: (any DatabaseValueConvertible)?] = [:]
                for cell in row { values[cell.columnName] = try Self.value(cell) }
                return GRDB.Row(values)
            }
        }

        private static func value(_ cell: PostgresCell) throws -> (any DatabaseValueConvertible)? {
            guard cell.bytes != nil else { return nil }
            switch cell.dataType {
            case .int2, .int4, .int8: return try cell.decode(Int64.self)
            case .float4, .float8: return try cell.decode(Double.self)
            case .bool: return try cell.decode(Bool.self) ? 1 : 0 as Int64
            case .timestamptz, .timestamp: return Timestamp.string(try cell.decode(Date.self))
            default: return try cell.decode(String.self)
            }
        }

        func execute(_ query: PostgresQuery) throws {
            _ = try connection.query(query, logger: logger).wait()
        }
    }
}
