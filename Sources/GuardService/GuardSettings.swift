import Foundation
import MigrationCore

/// How a guard runs: how often it looks, how long its lease lasts, and who it is.
public struct GuardSettings: Sendable {
    /// Seconds between two evaluations.
    public var intervalSeconds: Double
    /// How long the lease lasts after each renewal: a standby takes over this long after the
    /// acting guard stopped renewing (it crashed, hung or lost its link).
    public var leaseSeconds: Int64
    /// Who signs the guard's audit events: `guard@HOST` on a file; the guard's login on a server.
    public var signer: Operator
    /// This run's lease holder name: `guard@HOST pid N #tag`, unique per run.
    public var holder: String
    public var pid: Int64
    /// How often the audit chain is walked (it reads every row).
    public var chainCheckSeconds: Double

    public init(intervalSeconds: Double, leaseSeconds: Int64, signer: Operator, holder: String? = nil,
                pid: Int64 = Int64(ProcessInfo.processInfo.processIdentifier), chainCheckSeconds: Double = 60) {
        self.intervalSeconds = intervalSeconds
        self.leaseSeconds = leaseSeconds
        self.signer = signer
        self.pid = pid
        self.holder = holder ?? "guard@\(signer.host) pid \(pid) #\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        self.chainCheckSeconds = chainCheckSeconds
    }

    /// What in `plan` this guard could not do within its lease: a command it runs or a
    /// Prometheus query it asks (a guard's condition, or a gate of a phase it may advance into)
    /// whose timeout leaves no room in one interval's lease. One sentence each; empty when the plan fits.
    public func problems(with plan: Plan) -> [String] {
        let room = Double(leaseSeconds) - intervalSeconds
        var problems: [String] = []
        for phase in plan.phases {
            let watched = phase.automation.guards.map { ("guard '\($0.name)' of '\(phase.id)'", $0.when) }
            let entered = phase.automation.autoAdvance ? phase.gates.map { ("a gate of '\(phase.id)' (auto_advance)", $0) } : []
            for (what, gate) in watched + entered {
                let probe: (what: String, seconds: Int64)
                switch gate.kind {
                case .command(let check): probe = ("runs a command", check.timeoutSeconds)
                case .prometheus(let check): probe = ("asks Prometheus a query", check.timeoutSeconds)
                default: continue
                }
                guard Double(probe.seconds) >= room else { continue }
                problems.append("\(what) \(probe.what) with a \(probe.seconds)s timeout, which does not fit in the lease (\(leaseSeconds)s less one \(GateFormat.number(intervalSeconds))s interval); give --lease more than \(probe.seconds + Int64(intervalSeconds.rounded(.up)))s")
            }
        }
        return problems
    }

    /// The shortest lease a guard accepts for `intervalSeconds`: three intervals, so one slow
    /// evaluation never loses it.
    public static func minimumLease(intervalSeconds: Double) -> Int64 { Int64((3 * intervalSeconds).rounded(.up)) }
}
