import Foundation

/// The text searched for in a list view (`/`), and where its matches are.
public struct LogSearch: Sendable, Equatable {
    /// What is typed, while the prompt is open.
    public var editor: LineEditor?
    /// The query confirmed with Enter (empty while the first one is typed).
    public var query = ""
    /// The rows that matched at the last jump, by identity, in list order.
    public var matches: [String] = []
    /// Which of ``matches`` is selected, when one is.
    public var current: Int?

    public init(editor: LineEditor? = LineEditor()) {
        self.editor = editor
    }

    /// Whether the prompt is open.
    public var isEditing: Bool { editor != nil }

    /// `match 3 of 7`, `no match`, or nil while nothing was searched yet.
    public var status: String? {
        guard !query.isEmpty else { return nil }
        guard !matches.isEmpty else { return "no match" }
        return current.map { "match \($0 + 1) of \(matches.count)" } ?? "\(matches.count) match\(matches.count == 1 ? "" : "es")"
    }

    /// Whether `text` contains `query`, ignoring case (and nothing matches an empty query).
    static func text(_ text: String, contains query: String) -> Bool {
        !query.isEmpty && text.range(of: query, options: [.caseInsensitive]) != nil
    }
}
