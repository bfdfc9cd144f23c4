import Foundation

/// Who makes a change: recorded with every audit event.
public struct Operator: Sendable, Equatable, Codable {
    /// The operator's name: `--actor`, else `$MIGCTL_ACTOR`, else the login name.
    public var name: String
    /// The host the change was made from.
    public var host: String

    public init(name: String, host: String) {
        self.name = name
        self.host = host
    }

    /// The operator running this process: `explicit` if given, else `$MIGCTL_ACTOR`,
    /// else the login name, on this host.
    public static func current(explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> Operator {
        let name = [explicit, environment["MIGCTL_ACTOR"], environment["USER"], environment["LOGNAME"]]
            .compactMap { $0?.trimmingWhitespace() }
            .first { !$0.isEmpty } ?? ProcessInfo.processInfo.userName
        return Operator(name: name, host: ProcessInfo.processInfo.hostName)
    }
}
