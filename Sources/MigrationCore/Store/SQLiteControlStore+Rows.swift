import Foundation
import GRDB

/// A row read from the control database, decoded without trusting it.
///
/// GRDB's typed subscripts trap on a value of the wrong type; every read of a control
/// database row goes through these accessors instead, which throw a ``RowProblem`` naming
/// the table, row, column and value.
package struct StoredRow {
    let row: Row
    let table: String
    /// The row's key, for messages.
    package let key: String

    package init(_ row: Row, table: String, key: (Row) -> String) {
        self.row = row
        self.table = table
        self.key = key(row)
    }

    /// The key of a row as text, whatever type its key column holds.
    package static func keyText(_ row: Row, _ columns: String...) -> String {
        columns.map { column in
            switch (row[column] as DatabaseValue?)?.storage {
            case .string(let text)?: text
            case .int64(let value)?: String(value)
            case .double(let value)?: String(value)
            default: "?"
            }
        }.joined(separator: "/")
    }

    private func value(_ column: String) -> DatabaseValue { row[column] ?? .null }

    private func problem(_ column: String, _ expected: String) -> RowProblem {
        let shown: String = switch value(column).storage {
        case .null: "NULL"
        case .int64(let number): String(number)
        case .double(let number): String(number)
        case .string(let text): "'\(text)'"
        case .blob(let data): "a blob of \(data.count) bytes"
        }
        return RowProblem(table: table, row: key, column: column, value: shown, expected: expected)
    }

    package func int64(_ column: String) throws(RowProblem) -> Int64 {
        guard let number = integer(column) else { throw problem(column, "an integer") }
        return number
    }

    /// An integer within `range`.
    package func int(_ column: String, in range: ClosedRange<Int64> = Int64(Int32.min)...Int64(Int32.max)) throws(RowProblem) -> Int {
        let number = try int64(column)
        guard range.contains(number) else { throw problem(column, "an integer in \(range.lowerBound)…\(range.upperBound)") }
        return Int(number)
    }

    package func optionalInt64(_ column: String) throws(RowProblem) -> Int64? {
        if value(column).isNull { return nil }
        return try int64(column)
    }

    private func integer(_ column: String) -> Int64? {
        switch value(column).storage {
        case .int64(let number): number
        case .double(let number) where number == number.rounded() && abs(number) < 9.2e18: Int64(number)
        default: nil
        }
    }

    package func bool(_ column: String) throws(RowProblem) -> Bool {
        switch value(column).storage {
        case .int64(0): false
        case .int64(1): true
        default: throw problem(column, "0 or 1")
        }
    }

    /// A boolean, or nil for NULL or a column the row does not have.
    package func optionalBool(_ column: String) throws(RowProblem) -> Bool? {
        if value(column).isNull { return nil }
        return try bool(column)
    }

    package func text(_ column: String) throws(RowProblem) -> String {
        switch value(column).storage {
        case .string(let text): text
        case .int64(let number): String(number)
        case .double(let number): String(number)
        default: throw problem(column, "text")
        }
    }

    package func optionalText(_ column: String) throws(RowProblem) -> String? {
        if value(column).isNull { return nil }
        return try text(column)
    }

    /// A finite real number (an integer is taken as one).
    package func finite(_ column: String) throws(RowProblem) -> Double {
        switch value(column).storage {
        case .double(let number) where number.isFinite: number
        case .int64(let number): Double(number)
        default: throw problem(column, "a finite number")
        }
    }

    /// An instant in one of the forms ``Timestamp/date(_:)`` reads, or a number of Unix seconds.
    package func instant(_ column: String) throws(RowProblem) -> Date {
        let date: Date? = switch value(column).storage {
        case .string(let text): Timestamp.date(text)
        case .int64(let seconds): Timestamp.date(unixSeconds: Double(seconds))
        case .double(let seconds): Timestamp.date(unixSeconds: seconds)
        default: nil
        }
        guard let date else { throw problem(column, "an instant such as 2026-11-25T12:58:08.123Z") }
        return date
    }

    package func optionalInstant(_ column: String) throws(RowProblem) -> Date? {
        if value(column).isNull { return nil }
        return try instant(column)
    }
}

/// A store that decodes rows with ``StoredRow``, skipping bad list rows into ``rowProblems``.
package protocol RowDecoding {
    var location: String { get }
    var rowProblems: RowProblemLog { get }
}

extension RowDecoding {
    /// Decodes each row with `body`, skipping and recording the rows it cannot decode.
    package func decodeEach<T>(_ rows: [Row], table: String, key: (Row) -> String,
                       _ body: (StoredRow) throws(RowProblem) -> T) -> [T] {
        rows.compactMap { row -> T? in
            do throws(RowProblem) {
                return try body(StoredRow(row, table: table, key: key))
            } catch {
                rowProblems.record(error)
                return nil
            }
        }
    }

    /// Decodes the one row a read cannot do without; a bad value fails the read.
    package func decodeOne<T>(_ row: Row, table: String, key: String,
                      _ body: (StoredRow) throws(RowProblem) -> T) throws(ControlStoreError) -> T {
        do {
            return try body(StoredRow(row, table: table) { _ in key })
        } catch {
            throw .badRow(path: location, error)
        }
    }
}
