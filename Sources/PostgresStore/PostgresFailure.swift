import MigrationCore
import PostgresNIO

/// How a failure talking to PostgreSQL reaches the caller: one ``ControlStoreError`` sentence.
enum PostgresFailure {
    /// The server's SQLSTATE classes and codes migctl tells apart.
    static let insufficientPrivilege = "42501"
    static let undefinedTable = "42P01"
    static let invalidSchemaName = "3F000"
    static let lockNotAvailable = "55P03"
    static let queryCanceled = "57014"

    static func storeError(_ error: any Error, location: String, schema: String = PostgresURL.defaultSchema) -> ControlStoreError {
        if let error = error as? ControlStoreError { return error }
        if let error = error as? PostgresURL.Refusal { return .io(path: location, message: error.description) }
        guard let error = error as? PSQLError else {
            return .io(path: location, message: "\(error)")
        }
        if let info = error.serverInfo {
            let message = info[.message] ?? "the server refused the statement"
            switch info[.sqlState] {
            case insufficientPrivilege?:
                let needed = message.contains("approvals") ? PostgresSchema.approverRole(schema)
                    : ["state", "audit", "checklist_ticks"].contains(where: message.hasSuffix) ? PostgresSchema.operatorRole(schema) : nil
                return .permissionDenied(path: location, message: message + (needed.map { " (that takes the role \($0))" } ?? ""))
            case undefinedTable?, invalidSchemaName?: return .notAControlDatabase(path: location)
            case let state? where state.hasPrefix("22") || state.hasPrefix("23"):
                // A value or a rule of the contract refused (a check, a trigger): retrying cannot help.
                return .invalidValue("\(location) refused it: \(message)")
            case lockNotAvailable?:
                return .io(path: location, message: "another session held the lock it needs for 30 s (lock_timeout); see pg_stat_activity, then try again")
            case queryCanceled?:
                return .io(path: location, message: "the server cancelled it after 60 s (statement_timeout); try again")
            default: return .io(path: location, message: message)
            }
        }
        let reason: String = switch error.code {
        case .connectionError: "cannot reach the server (\(connectionProblem(error.underlying)))"
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown: "the connection to the server was lost"
        case .sslUnsupported: "the server does not offer TLS, which sslmode asks for"
        case .authMechanismRequiresPassword: "the server asks for a password; put it in the URL or PGPASSWORD"
        case .unsupportedAuthMechanism, .saslError: "the server refused the login"
        default: "PostgreSQL error \(error.code)"
        }
        return .io(path: location, message: reason)
    }
}

extension PostgresFailure {
    /// Why a connection could not be made, in a few words: what the system said, when it is one
    /// of the usual reasons, else the underlying error as it describes itself.
    static func connectionProblem(_ underlying: (any Error)?) -> String {
        let text = underlying.map { "\($0)" } ?? ""
        let usual = ["Connection refused", "No route to host", "Network is unreachable", "timed out", "No such file or directory",
                     "Permission denied", "Name or service not known", "Temporary failure in name resolution"]
        if let reason = usual.first(where: { text.localizedCaseInsensitiveContains($0) }) {
            return reason == "No such file or directory" ? "no server socket at that host folder and port" : reason.lowercased()
        }
        return text.isEmpty ? "connection failed" : text
    }
}

extension ControlStoreError {
    /// The error's own words, without the location a caller adds again.
    var reason: String {
        if case .io(_, let message) = self { return message }
        return description
    }
}
