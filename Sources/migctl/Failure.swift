import ArgumentParser
import Foundation
import MigrationCore
import PostgresStore

/// The exit codes every command shares; scripts branch on them.
enum ExitStatus: Int32, CaseIterable {
    case done = 0
    case error = 1
    case gateFailed = 3
    case confirmation = 4
    case conflict = 5
    case refused = 6
    /// The demo's service failed to start.
    case service = 7
    /// A rollout decrease or rollback would leave stale copies in a store; `--force --reason` overrides.
    case strandsCopies = 8
    /// An approval by the operator who made the migration's last change, which would not count.
    case selfApproval = 9
    case usage = 64

    /// What the code means, for `--help` and the README.
    var meaning: String {
        switch self {
        case .done: "done"
        case .error: "error (file, database, I/O, a broken audit chain)"
        case .gateFailed: "a gate failed, or a fired guard holds the migration"
        case .confirmation: "confirmation missing or wrong"
        case .conflict: "conflict (the state changed under you)"
        case .refused: "refused by the plan"
        case .service: "the demo's service did not start"
        case .strandsCopies: "refused: the move would leave stale copies in a store (--force --reason overrides)"
        case .selfApproval: "an approval by the operator moving the migration, which never counts (nothing recorded)"
        case .usage: "usage"
        }
    }

    /// Every code and its meaning: `0 done; 1 error (...); ...`.
    static var summary: String { allCases.map { "\($0.rawValue) \($0.meaning)" }.joined(separator: "; ") }
}

/// Runs a command body, turning migctl's errors into one sentence on stderr and the
/// exit code of their kind.
///
/// Rows the command skipped because they held values it could not use are reported as
/// warnings, one sentence each, whether the command succeeded or not.
func reportingFailures(_ body: () throws -> Void) throws {
    defer {
        for problem in OpenedStores.shared.takeRowProblems() {
            printError("warning: \(problem); that row was skipped.")
        }
    }
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        let (status, message) = describe(error)
        if let plan = error as? PlanError {
            printError(lines: plan.lines)
        } else {
            printError(message)
        }
        throw ExitCode(status.rawValue)
    }
}

/// Prints one `migctl:` line on stderr, with nothing in it that could steer a terminal (a
/// newline in it included: the message stays one line).
func printError(_ message: String) {
    FileHandle.standardError.write(Data("migctl: \(message.terminalSafe)\n".utf8))
}

/// Prints a `migctl:` line and the lines that detail it (a plan's problems), each sanitised
/// on its own.
func printError(lines: [String]) {
    let text = lines.enumerated().map { $0.offset == 0 ? "migctl: \($0.element.terminalSafe)" : $0.element.terminalSafe }
    FileHandle.standardError.write(Data((text.joined(separator: "\n") + "\n").utf8))
}

private func describe(_ error: any Error) -> (ExitStatus, String) {
    switch error {
    case let error as ControlError:
        switch error {
        case .store(let store): describe(store)
        case .refused(let refusal):
            if case .strandsCopies = refusal { (.strandsCopies, refusal.description) } else { (.refused, refusal.description) }
        case .gatesFailed, .heldByGuard: (.gateFailed, error.description)
        case .confirmationMissing, .confirmationWrong: (.confirmation, error.description)
        case .overrideNeedsReason: (.usage, error.description)
        }
    case let error as ControlStoreError:
        (error.isConflict ? .conflict : error.isBadLocation ? .usage : .error, error.description)
    case let error as PlanError:
        (.error, error.description)
    case let error as PathRefusal:
        (.error, error.description)
    case let error as ActorNameError:
        (.usage, error.description)
    case let error as ActorRefusal:
        (.usage, error.description)
    case let error as PostgresURL.Refusal:
        (.usage, error.description)
    case let error as RolloutError:
        (.usage, error.description)
    case let error as DemoError:
        (.service, error.description)
    case let error as SelfApproval:
        (.selfApproval, error.description)
    case let error as JobWaitFailure:
        if case .mismatches = error { (.gateFailed, error.description) } else { (.error, error.description) }
    default:
        (.error, "\(error)")
    }
}

extension ControlStoreError {
    var isConflict: Bool {
        if case .conflict = self { return true }
        return false
    }

    /// A `--db` that names no store at all is a usage error, like any malformed argument.
    var isBadLocation: Bool {
        if case .badLocation = self { return true }
        return false
    }
}
