import Foundation
import MigrationCore

/// An audit event's `details` column, read for people: the gate report an advance recorded
/// (`{"gates": [...], "overridden": [...], "confirmed": ...}`, written by `MigrationControl` and
/// the guard's automatic advance), a guard's firing (`{"guard": ..., "observed": ...}`), or the
/// plain words of a job or fleet change.
///
/// The column is text anyone with the file can write (the sqlite3 shell, a foreign client), so
/// every value may be hostile: the decoding never throws and never trusts a shape. What cannot
/// be read becomes ``problem``, one sentence, and the text is shown as stored (terminal-safe,
/// cut at ``shownLimit``).
public struct AuditDetails: Sendable, Equatable {
    /// One gate as the advance recorded it; fields missing from the row are empty.
    public struct RecordedGate: Sendable, Equatable {
        public var label = ""
        public var kind = ""
        /// `pass`, `fail`, `unknown`, or whatever the row holds.
        public var status = ""
        public var observed = ""
        public var bound = ""
        public var sentence = ""
        public var overridable: Bool?
        /// The last lines a command gate printed.
        public var output: [String] = []
    }

    /// The gates recorded, when the details hold a gate report.
    public var gates: [RecordedGate]?
    /// The gates an override let through.
    public var overridden: [String] = []
    /// The phase id typed at the point of no return.
    public var confirmed: String?
    /// Any other fields of a JSON object, in key order, each value as text.
    public var fields: [(key: String, value: String)] = []
    /// The details as stored, when they are not a JSON object (or could not be read as one).
    public var text: String?
    /// Why the details, or part of them, could not be read: one sentence.
    public var problem: String?

    /// The longest details decoded; longer ones are shown cut, with a problem saying so.
    public static let decodeLimit = 64 * 1024
    /// The most characters of stored text shown.
    public static let shownLimit = 4096

    /// Reads `details` (nil: the event has none).
    public init?(_ details: String?) {
        guard let details, !details.isEmpty else { return nil }
        let utf8 = details.utf8.count
        guard utf8 <= Self.decodeLimit else {
            text = Self.cut(details)
            problem = "the details are \(utf8) bytes, more than the console decodes (\(Self.decodeLimit)); the start is shown as stored, and migctl log --json prints them whole"
            return
        }
        let trimmed = details.drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard trimmed.first == "{" || trimmed.first == "[" else {
            text = Self.cut(details)
            return
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(details.utf8)) else {
            text = Self.cut(details)
            problem = "the details look like JSON but are not valid JSON; they are shown as stored"
            return
        }
        guard case .object(let object) = value else {
            text = Self.cut(details)
            return
        }
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "gates": readGates(value)
            case "overridden":
                if case .array(let labels) = value { overridden = labels.map(\.text) } else { overridden = [value.text] }
            case "confirmed": confirmed = value == .null ? nil : value.text
            default: fields.append((key, value.text))
            }
        }
    }

    private mutating func readGates(_ value: JSONValue) {
        guard case .array(let entries) = value else {
            problem = "the stored gate results are not a list; they are shown as stored"
            fields.append(("gates", value.text))
            return
        }
        var unreadable = 0
        gates = entries.compactMap { entry in
            guard case .object(let object) = entry else {
                unreadable += 1
                return nil
            }
            var gate = RecordedGate()
            gate.label = object["label"]?.text ?? ""
            gate.kind = object["kind"]?.text ?? ""
            gate.status = object["status"]?.text ?? ""
            gate.observed = object["observed"]?.text ?? ""
            gate.bound = object["bound"]?.text ?? ""
            gate.sentence = object["sentence"]?.text ?? ""
            if case .bool(let flag)? = object["overridable"] { gate.overridable = flag }
            if case .array(let lines)? = object["output"] { gate.output = lines.map(\.text) }
            return gate
        }
        if unreadable > 0 {
            problem = "\(unreadable) of the \(entries.count) stored gate results \(unreadable == 1 ? "is" : "are") not a gate result and \(unreadable == 1 ? "is" : "are") left out"
        }
    }

    /// `text` cut to ``shownLimit`` characters, saying how much more there is.
    static func cut(_ text: String) -> String {
        let head = text.unicodeScalars.prefix(shownLimit)
        let rest = text.unicodeScalars.count - head.count
        return String(String.UnicodeScalarView(head)) + (rest > 0 ? "… (\(rest) more characters)" : "")
    }

    public static func == (lhs: AuditDetails, rhs: AuditDetails) -> Bool {
        lhs.gates == rhs.gates && lhs.overridden == rhs.overridden && lhs.confirmed == rhs.confirmed
            && lhs.fields.map(\.key) == rhs.fields.map(\.key) && lhs.fields.map(\.value) == rhs.fields.map(\.value)
            && lhs.text == rhs.text && lhs.problem == rhs.problem
    }
}

/// Any JSON value, decoded without a schema (JSONDecoder refuses nesting deeper than it allows,
/// so a hostile row cannot exhaust the stack).
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// The value as one line of text: strings as they are, numbers as gate figures, lists
    /// joined by commas, objects as `key: value` pairs in key order (cut at a few hundred
    /// characters, so one field cannot fill the screen).
    var text: String {
        let full: String
        switch self {
        case .null: full = "null"
        case .bool(let flag): full = flag ? "true" : "false"
        case .number(let number): full = GateFormat.number(number)
        case .string(let text): return AuditDetails.cut(text)
        case .array(let values): full = "[" + values.prefix(50).map(\.text).joined(separator: ", ") + (values.count > 50 ? ", …]" : "]")
        case .object(let object):
            full = "{" + object.sorted { $0.key < $1.key }.prefix(50).map { "\($0.key): \($0.value.text)" }.joined(separator: ", ")
                + (object.count > 50 ? ", …}" : "}")
        }
        return AuditDetails.cut(full)
    }
}
