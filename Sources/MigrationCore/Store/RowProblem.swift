import Synchronization

/// One stored value migctl cannot use: the table, the row, the column and what it held.
///
/// Any process may write the control database (a foreign client, a script, a person with
/// `sqlite3`), so readers decode every value defensively. A row of a list (a gauge, an
/// instance, an audit event) that holds such a value is skipped and reported; a value the
/// reader cannot do without (the state, the plan) fails that read with this problem.
///
/// ```
/// gauges row 'backfill.total': value holds 'n/a', not a finite number
/// ```
public struct RowProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The table, e.g. `gauges`.
    public var table: String
    /// The row's key as text: its id, name or composite key.
    public var row: String
    /// The column holding the value.
    public var column: String
    /// The value as stored, shortened to 40 characters; printed terminal-safe.
    public var value: String
    /// What the column should hold, e.g. `an integer`.
    public var expected: String

    public init(table: String, row: String, column: String, value: String, expected: String) {
        self.table = table
        self.row = row
        self.column = column
        self.value = value.count > 40 ? String(value.prefix(39)) + "…" : value
        self.expected = expected
    }

    public var description: String {
        "\(table) row '\(row.terminalSafe)': \(column) holds \(value.terminalSafe), not \(expected)"
    }
}

/// The row problems a store met while reading, for the caller to report once.
///
/// Readers of lists skip a bad row and record it here; the CLI prints what it finds after a
/// command and the console shows it as a warning line. It keeps at most 100 distinct problems.
public final class RowProblemLog: Sendable {
    private let problems = Mutex<[RowProblem]>([])

    public init() {}

    /// Notes `problem` unless it is already noted.
    public func record(_ problem: RowProblem) {
        problems.withLock { list in
            if list.count < 100, !list.contains(problem) { list.append(problem) }
        }
    }

    /// Every problem noted since the last call, oldest first.
    public func take() -> [RowProblem] {
        problems.withLock { list in
            defer { list.removeAll() }
            return list
        }
    }
}
