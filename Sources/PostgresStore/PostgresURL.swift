import Foundation
import MigrationCore

/// A `postgresql://` or `postgres://` URL as `--db` and `MIGCTL_DB` take it, read with libpq's
/// conventions (postgresql.org/docs/15/libpq-connect.html, "Connection URIs"):
///
///     postgresql://[user[:password]@][host][:port][/dbname][?param=value&...]
///
/// - `host` may be a name, an IPv4 address or `[IPv6]`; with no host, or `?host=/folder`, the
///   connection goes through the Unix socket `/folder/.s.PGSQL.PORT` (default folder
///   `/var/run/postgresql`);
/// - the user defaults to `PGUSER`, then the login name; the database to the user;
/// - parameters: `host`, `port`, `user`, `password`, `dbname`, `sslmode` (`disable`, `allow`,
///   `prefer`, `require`, `verify-ca`, `verify-full`; default `prefer`), `connect_timeout`
///   (seconds), `sslrootcert` (a PEM file of trusted authorities), `application_name`, and migctl's own `schema` (default `migctl`), which lets one
///   server hold several migrations. Any other parameter is refused, as libpq does.
///
/// A password is never printed: ``description`` leaves it out.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// The login, which on PostgreSQL is the actor of every change.
    public var user: String
    public var password: String?
    /// A TCP host, or nil for the Unix socket in ``socketFolder``.
    public var host: String?
    public var socketFolder: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    public var connectTimeout: Int
    public var applicationName: String
    /// The schema that holds the control store's tables: validated once, since it is written
    /// into SQL as an identifier.
    public private(set) var schema: String
    /// A PEM file of the certificate authorities to trust for `verify-ca` and `verify-full`
    /// (libpq's `sslrootcert`); nil: the system's.
    public var sslRootCertificate: String?

    /// The default schema, `migctl`.
    public static let defaultSchema = "migctl"

    /// Whether `text` is meant as a PostgreSQL URL rather than a file path.
    public static func isURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://")
    }

    /// Why a URL cannot be used, in one sentence.
    public struct Refusal: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Reads `text`.
    /// - Parameter environment: where `PGUSER` and `PGPASSWORD` come from, as libpq reads them.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(Refusal) {
        func refuse(_ why: String) -> Refusal {
            Refusal(description: "the --db URL \(Self.redacted(text).terminalSafe) \(why)")
        }
        guard Self.isURL(text), let schemeEnd = text.range(of: "://") else {
            throw refuse("must start with postgresql:// or postgres://")
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = rest[..<mark]
        }
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        var userInfo: Substring?
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        func decode(_ part: some StringProtocol, _ what: String) throws(Refusal) -> String {
            guard let decoded = String(part).removingPercentEncoding else { throw refuse("has a badly %-encoded \(what)") }
            return decoded
        }
        var user: String?, password: String?
        if let userInfo {
            let pieces = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            user = try decode(pieces[0], "user")
            if pieces.count == 2 { password = try decode(pieces[1], "password") }
        }
        var host: String?, port: String?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw refuse("has an IPv6 host without its closing ']'") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { port = String(after.dropFirst()) } else if !after.isEmpty { throw refuse("has text after its IPv6 host") }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            port = String(rest[rest.index(after: colon)...])
        } else if !rest.isEmpty {
            host = String(rest)
        }
        if let h = host, h.contains(",") { throw refuse("names several hosts; migctl connects to one") }
        var database = path.isEmpty ? nil : try decode(path, "database name")
        var sslMode = SSLMode.prefer, timeout = 10, applicationName = "migctl", schema = Self.defaultSchema
        var rootCertificate: String?
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try decode(kv[0], "parameter name")
            let value = kv.count == 2 ? try decode(kv[1], "value of \(key)") : ""
            switch key {
            case "host": host = value
            case "port": port = value
            case "user": user = value
            case "password": password = value
            case "dbname": database = value
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw refuse("has sslmode=\(value.terminalSafe); use one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "connect_timeout":
                guard let seconds = Int(value), (0...3600).contains(seconds) else { throw refuse("has connect_timeout=\(value.terminalSafe); use whole seconds 0-3600") }
                timeout = seconds == 0 ? 3600 : max(seconds, 2)
            case "application_name": applicationName = value
            case "sslrootcert": rootCertificate = value
            case "schema":
                guard Self.isValidSchema(value) else {
                    throw refuse("has schema=\(value.terminalSafe); use 1-40 of a-z, 0-9 and '_', starting with a letter or '_', not pg_… nor an SQL key word")
                }
                schema = value
            default:
                throw refuse("has the parameter '\(key.terminalSafe)', which migctl does not know; it takes host, port, user, password, dbname, sslmode, sslrootcert, connect_timeout, application_name and schema")
            }
        }
        let portNumber = port.map { $0.isEmpty ? "5432" : $0 } ?? "5432"
        guard let p = Int(portNumber), (1...65535).contains(p) else { throw refuse("has the port '\(portNumber.terminalSafe)'; use 1-65535") }
        let login = user.flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGUSER"] ?? Self.loginName()
        self.user = login
        self.password = password ?? environment["PGPASSWORD"]
        if let h = host, h.hasPrefix("/") {
            self.host = nil
            socketFolder = h
        } else {
            self.host = host.flatMap { $0.isEmpty ? nil : $0 }
            socketFolder = "/var/run/postgresql"
        }
        self.port = p
        self.database = database.flatMap { $0.isEmpty ? nil : $0 } ?? login
        self.sslMode = sslMode
        connectTimeout = timeout
        self.applicationName = applicationName
        self.schema = schema
        sslRootCertificate = rootCertificate
    }

    /// The Unix socket's path, when there is no TCP host.
    public var socketPath: String? { host == nil ? "\(socketFolder)/.s.PGSQL.\(port)" : nil }

    /// Where the store lives, for messages: the URL without its password.
    public var description: String {
        let schemaPart = schema == Self.defaultSchema ? "" : "schema=\(schema)"
        guard let host else {
            return "postgresql://\(user)@/\(database)?host=\(socketFolder)&port=\(port)" + (schemaPart.isEmpty ? "" : "&\(schemaPart)")
        }
        let server = host.contains(":") ? "[\(host)]" : host
        return "postgresql://\(user)@\(server):\(port)/\(database)" + (schemaPart.isEmpty ? "" : "?\(schemaPart)")
    }

    /// A schema name migctl accepts: 1–40 of a-z, 0-9 and `_`, starting with a letter or `_`,
    /// so that it and its role names (`<schema>_operator`) are plain PostgreSQL identifiers.
    public static func isValidSchema(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 40,
              first == "_" || ("a"..."z").contains(first), !name.hasPrefix("pg_"), !reservedWords.contains(name) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    /// PostgreSQL's reserved key words (postgresql.org/docs/15/sql-keywords-appendix.html), which
    /// cannot name a schema without quotes.
    static let reservedWords: Set<String> = [
        "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "binary", "both", "case",
        "cast", "check", "collate", "collation", "column", "concurrently", "constraint", "create", "cross", "current_catalog",
        "current_date", "current_role", "current_schema", "current_time", "current_timestamp", "current_user", "default",
        "deferrable", "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze", "from",
        "full", "grant", "group", "having", "ilike", "in", "initially", "inner", "intersect", "into", "is", "isnull", "join",
        "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp", "natural", "not", "notnull", "null",
        "offset", "on", "only", "or", "order", "outer", "overlaps", "placing", "primary", "references", "returning", "right",
        "select", "session_user", "similar", "some", "symmetric", "system_user", "table", "tablesample", "then", "to",
        "trailing", "true", "union", "unique", "user", "using", "variadic", "verbose", "when", "where", "window", "with",
    ]

    /// `text` with any password replaced by `***`, for messages about a URL that did not parse.
    public static func redacted(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        var result = text
        let authorityEnd = text[schemeEnd.upperBound...].firstIndex { $0 == "/" || $0 == "?" } ?? text.endIndex
        if let at = text[schemeEnd.upperBound..<authorityEnd].lastIndex(of: "@"),
           let colon = text[schemeEnd.upperBound..<at].firstIndex(of: ":") {
            result.replaceSubrange(text.index(after: colon)..<at, with: "***")
        }
        // A password parameter, however its name is %-encoded.
        if let mark = result.firstIndex(of: "?") {
            let pairs = result[result.index(after: mark)...].split(separator: "&", omittingEmptySubsequences: false).map { pair in
                let key = pair.split(separator: "=", maxSplits: 1).first.map { String($0).removingPercentEncoding ?? String($0) } ?? ""
                return key.lowercased() == "password" ? "password=***" : String(pair)
            }
            result = String(result[...mark]) + pairs.joined(separator: "&")
        }
        return result
    }

    private static func loginName() -> String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "postgres" }
        return String(cString: name)
    }
}
