import Foundation
import MigrationCore

/// Walks a migration through every phase the way a careful operator would, through the same
/// `MigrationControl` the console and CLI use: ramp along the ladder, tick the runbook's
/// checklist, ask a second operator's approval where a gate wants it, wait for every gate,
/// and type the confirmation at the point of no return.
public struct Autopilot: Sendable {
    public let control: MigrationControl
    /// The second operator who approves where an approval gate asks for one.
    public let approver: Operator
    /// The approver's own connection, where the server knows who is connected (PostgreSQL's
    /// login is the actor); nil: the operator's.
    public let approverStore: (any ControlStore)?
    /// Pause between ramp steps, so the counters see traffic at each rollout.
    public let rampPause: TimeInterval
    /// Give up when one phase's gates do not pass within this many seconds; nil: the
    /// ``patience(for:)`` the plan implies.
    public let phaseTimeout: TimeInterval?
    public let log: @Sendable (String) -> Void

    public init(control: MigrationControl, approver: Operator, approverStore: (any ControlStore)? = nil, rampPause: TimeInterval = 1,
                phaseTimeout: TimeInterval? = nil, log: @escaping @Sendable (String) -> Void = { print($0) }) {
        self.control = control
        self.approver = approver
        self.approverStore = approverStore
        self.rampPause = rampPause
        self.phaseTimeout = phaseTimeout
        self.log = log
    }

    /// How long the autopilot waits for the gates of `target` once the current phase is at
    /// 100%: twice the longest any of them needs before it can pass (a soak, a counter window
    /// filling with the current phase's traffic, a gauge's or a heartbeat's freshness, a
    /// command's timeout), plus a minute for a slow machine. The wait follows from the plan:
    /// the demo plan's `new-primary` (60 s windows) gets 3 minutes, a real plan's hour-long
    /// windows get hours.
    ///
    /// ```swift
    /// Autopilot.patience(for: Plan.demo().phase("new-primary")!)   // 180
    /// ```
    public static func patience(for target: Phase) -> TimeInterval {
        2 * Double(target.gates.map(\.kind.secondsToSettle).max() ?? 0) + 60
    }

    public enum Failure: Error, CustomStringConvertible {
        case stuck(phase: String, after: TimeInterval, blocking: [GateResult])

        public var description: String {
            switch self {
            case .stuck(let phase, let seconds, let blocking):
                "autopilot gave up advancing into \(phase) after \(Int(seconds)) s: " + blocking.map { "\($0.label): \($0.sentence)" }.joined(separator: "; ")
            }
        }
    }

    /// Runs until the plan's last phase.
    public func run() throws {
        let store = control.store
        let plan = try store.plan()
        while true {
            let state = try store.state()
            guard let next = plan.next(after: state.phase), let current = plan.phase(state.phase) else {
                log("autopilot: reached \(state.phase), the last phase")
                return
            }
            if current.ramp, state.rollout != .full {
                let step = state.rollout.stepUp ?? .full
                Thread.sleep(forTimeInterval: rampPause)
                try control.perform(.setRollout(step), expectVersion: state.version, reason: "autopilot: ramp after a clean step")
                log("autopilot: \(current.id) at \(step)")
                continue
            }
            for item in try store.checklist(phase: current.id) where !item.isTicked {
                try store.setTick(phase: current.id, item: item.number, ticked: true, by: control.signer, at: Date())
            }
            if next.gates.contains(where: { if case .approval = $0.kind { true } else { false } }),
               try !store.approvals(phase: next.id).contains(where: { $0.actor == approver.name }) {
                try (approverStore ?? store).approve(phase: next.id, by: approver, at: Date(), reason: "autopilot's second operator: dashboards reviewed")
            }
            let patience = phaseTimeout ?? Self.patience(for: next)
            let deadline = Date().addingTimeInterval(patience)
            var report = try control.checkNext()
            while let current = report, !current.allPass {
                guard Date() < deadline else { throw Failure.stuck(phase: next.id, after: patience, blocking: current.blocking) }
                Thread.sleep(forTimeInterval: 0.5)
                report = try control.checkNext()
            }
            try control.perform(.advance(to: next.id, rollout: next.ramp ? try Rollout(basisPoints: 100) : nil),
                                reason: "autopilot: every gate of \(next.id) passed",
                                authority: AdvanceAuthority(confirmation: next.irreversible ? next.id : nil))
            log("autopilot: advanced to \(next.id)\(next.irreversible ? " (irreversible, confirmed)" : "")")
        }
    }
}

extension GateKind {
    /// The longest this kind of gate may need, from the moment a phase is entered, before it can pass.
    var secondsToSettle: Int64 {
        switch self {
        case .soak(let seconds): seconds
        // A whole-phase count needs only its sample, which the demo's load gives within a minute.
        case .counter(let check): check.spansPhase ? 60 : check.windowSeconds
        case .gauge(let check): check.maxAgeSeconds
        case .fleet(let heartbeatSeconds): heartbeatSeconds
        case .command(let check): check.timeoutSeconds
        case .prometheus(let check): check.timeoutSeconds
        // The service verifies once the backfill is done; the minute of slack covers the demo's stores.
        case .rollout, .checklist, .approval, .verified: 0
        // A closed window opens within a week; an autopilot does not wait that long.
        case .window: 0
        }
    }
}
