import Foundation
import Logging
import PostgresNIO
import PostgresStore

/// A plain connection to the benchmark's PostgreSQL server as the URL's login (a superuser in
/// scripts/with-postgres's throwaway cluster), for what the control store does not do: dropping
/// a figure's schema and roles, and reading `pg_stat_activity` and `pg_locks`. Synchronous, like
/// the rest of the benchmark: each call waits on its future from the caller's own thread.
final class PostgresAdmin: Sendable {
    let connection: PostgresConnection
    private let logger: Logger

    init(_ text: String) throws {
        let url = try PostgresURL(text)
        var logger = Logger(label: "migctl-bench.postgres")
        logger.logLevel = .critical
        self.logger = logger
        let configuration: PostgresConnection.Configuration
        if let socket = url.socketPath {
            configuration = .init(unixSocketPath: socket, username: url.user, password: url.password, database: url.database)
        } else {
            configuration = .init(host: url.host ?? "localhost", port: url.port, username: url.user, password: url.password,
                                  database: url.database, tls: .disable)
        }
        connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                                                    id: Int.random(in: 1...Int(Int32.max)), logger: logger).wait()
    }

    /// PostgresNIO insists that a connection is closed before it is released; never released on an event loop.
    deinit { if !connection.isClosed { try? (connection.close() as EventLoopFuture<Void>).wait() } }

    /// `base` with `parameters` added to its query string (replacing any of the same name).
    static func url(_ base: String, adding parameters: [String: String]) -> String {
        var (head, query) = (base, [String]())
        if let mark = base.firstIndex(of: "?") {
            head = String(base[..<mark])
            query = base[base.index(after: mark)...].split(separator: "&").map(String.init)
                .filter { pair in !parameters.keys.contains { pair.hasPrefix($0 + "=") } }
        }
        query += parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return head + "?" + query.joined(separator: "&")
    }

    func execute(_ sql: String) throws {
        _ = try connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).wait()
    }

    /// The first column of the first row, as an integer.
    func integer(_ sql: String) throws -> Int64 {
        let result = try connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).wait()
        guard let cell = result.rows.first?.first(where: { _ in true }) else { throw BenchError("no row from: \(sql)") }
        return try cell.decode(Int64.self)
    }

    /// Drops a figure's schema and its three group roles; says so on stderr when it cannot.
    func dropSchema(_ schema: String) {
        do {
            try execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
            try execute("DROP ROLE IF EXISTS \(schema)_operator, \(schema)_approver, \(schema)_app")
        } catch {
            FileHandle.standardError.write(Data("migctl-bench: could not drop schema \(schema) and its roles: \(String(reflecting: error))\n".utf8))
        }
    }

    /// Client connections with this `application_name`.
    func connections(applicationName: String) throws -> Int64 {
        try integer("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name = '\(applicationName)'")
    }

    /// Backends of this database waiting for a lock now (a row lock shows as a wait on a
    /// transaction id or a tuple).
    func lockWaiters() throws -> Int64 {
        try integer("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
    }

    /// The server's processes, if it runs on this machine: the postmaster (the parent of this
    /// connection's backend) and its children.
    func serverProcesses() throws -> ServerProcesses? {
        let backend = try integer("SELECT pg_backend_pid()")
        guard let postmaster = ProcessCPU.parent(of: Int32(backend)) else { return nil }
        return ServerProcesses(postmaster: postmaster)
    }
}

/// CPU time of processes, read from `/proc/PID/stat` (utime + stime, in clock ticks).
enum ProcessCPU {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// The fields after the command name, or nil when the process is gone.
    static func fields(_ pid: Int32) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// utime + stime of `pid`, plus its reaped children's when `children` (cutime + cstime).
    static func ticks(_ pid: Int32, children: Bool = false) -> Int {
        guard let f = fields(pid), f.count > 14 else { return 0 }
        let own = (Int(f[11]) ?? 0) + (Int(f[12]) ?? 0)
        return children ? own + (Int(f[13]) ?? 0) + (Int(f[14]) ?? 0) : own
    }

    static func parent(of pid: Int32) -> Int32? {
        guard let f = fields(pid), f.count > 1 else { return nil }
        return Int32(f[1])
    }

    /// Every process whose parent is `pid`.
    static func children(of pid: Int32) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let child = Int32(entry), parent(of: child) == pid else { return nil }
            return child
        }
    }
}

/// A PostgreSQL server's processes, to read the CPU they used over an interval.
struct ServerProcesses {
    let postmaster: Int32

    /// CPU ticks by process now: the postmaster with what it reaped, and each live child.
    func sample() -> [Int32: Int] {
        var ticks = [postmaster: ProcessCPU.ticks(postmaster, children: true)]
        for child in ProcessCPU.children(of: postmaster) { ticks[child] = ProcessCPU.ticks(child) }
        return ticks
    }

    /// Seconds of CPU between two samples; a process that started in between counts from zero.
    static func seconds(from before: [Int32: Int], to after: [Int32: Int]) -> Double {
        Double(after.reduce(0) { $0 + max(0, $1.value - (before[$1.key] ?? 0)) }) / ProcessCPU.ticksPerSecond
    }
}
