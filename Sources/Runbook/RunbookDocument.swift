import CCmark

/// A runbook parsed with cmark-gfm (GitHub-flavoured Markdown, task lists included) into
/// the blocks the console draws and the checklist the gates count.
///
/// Task items (`- [ ] ...`) are numbered from 1 in document order; that number is how
/// ticks are stored, so `init` and every console must parse with this same type.
///
/// ```swift
/// let doc = RunbookDocument(markdown: "# Go\n- [ ] backups verified\n")
/// doc.checklist   // ["backups verified"]
/// ```
public struct RunbookDocument: Sendable, Equatable {
    /// A run of text with its inline style.
    public struct Span: Sendable, Equatable {
        /// `gate` is a ``GateMarker``: its text is the gate's name, and the console shows the
        /// gate's live figure in its place.
        public enum Kind: Sendable, Equatable { case text, emphasis, strong, code, link, gate }
        public var text: String
        public var kind: Kind

        public init(_ text: String, _ kind: Kind = .text) {
            self.text = text
            self.kind = kind
        }
    }

    public enum Block: Sendable, Equatable {
        case heading(level: Int, spans: [Span])
        case paragraph(spans: [Span], depth: Int)
        /// A bullet or numbered item; `marker` is `•` or `3.`.
        case item(marker: String, spans: [Span], depth: Int)
        /// A checklist item: its 1-based number among the runbook's task items.
        case task(number: Int, spans: [Span], depth: Int)
        case code(lines: [String])
        case quote(spans: [Span])
        case rule
    }

    public let blocks: [Block]

    /// The text of each task item, in order (item 1 first); a gate marker reads `(gate: NAME)`.
    public var checklist: [String] {
        blocks.compactMap { block in
            if case .task(_, let spans, _) = block { return spans.plainText }
            return nil
        }
    }

    public init(markdown: String) {
        cmark_gfm_core_extensions_ensure_registered()
        guard let parser = cmark_parser_new(CMARK_OPT_DEFAULT) else {
            blocks = [.paragraph(spans: [Span(markdown)], depth: 0)]
            return
        }
        defer { cmark_parser_free(parser) }
        if let tasklist = cmark_find_syntax_extension("tasklist") {
            cmark_parser_attach_syntax_extension(parser, tasklist)
        }
        cmark_parser_feed(parser, markdown, markdown.utf8.count)
        guard let root = cmark_parser_finish(parser) else {
            blocks = []
            return
        }
        defer { cmark_node_free(root) }
        var walker = BlockWalker()
        walker.visitChildren(of: root, depth: 0)
        blocks = walker.blocks
    }
}

/// Flattens cmark's block tree into the console's list of blocks.
private struct BlockWalker {
    var blocks: [RunbookDocument.Block] = []
    var taskCount = 0

    mutating func visitChildren(of node: OpaquePointer, depth: Int) {
        var child = cmark_node_first_child(node)
        while let current = child {
            visit(current, depth: depth)
            child = cmark_node_next(current)
        }
    }

    mutating func visit(_ node: OpaquePointer, depth: Int) {
        switch cmark_node_get_type(node) {
        case CMARK_NODE_HEADING:
            blocks.append(.heading(level: Int(cmark_node_get_heading_level(node)), spans: spans(of: node)))
        case CMARK_NODE_PARAGRAPH:
            blocks.append(.paragraph(spans: spans(of: node), depth: depth))
        case CMARK_NODE_LIST:
            let ordered = cmark_node_get_list_type(node) == CMARK_ORDERED_LIST
            var number = Int(cmark_node_get_list_start(node))
            var item = cmark_node_first_child(node)
            while let current = item {
                visitItem(current, marker: ordered ? "\(number)." : "•", depth: depth)
                number += 1
                item = cmark_node_next(current)
            }
        case CMARK_NODE_CODE_BLOCK:
            let text = cmark_node_get_literal(node).map { String(cString: $0) } ?? ""
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            blocks.append(.code(lines: lines))
        case CMARK_NODE_BLOCK_QUOTE:
            var child = cmark_node_first_child(node)
            while let current = child {
                blocks.append(.quote(spans: spans(of: current)))
                child = cmark_node_next(current)
            }
        case CMARK_NODE_THEMATIC_BREAK:
            blocks.append(.rule)
        case CMARK_NODE_HTML_BLOCK:
            let text = cmark_node_get_literal(node).map { String(cString: $0) } ?? ""
            blocks.append(.code(lines: text.split(separator: "\n").map(String.init)))
        default:
            visitChildren(of: node, depth: depth)
        }
    }

    /// A list item: its first paragraph carries the marker (or the checkbox); the rest nests.
    mutating func visitItem(_ item: OpaquePointer, marker: String, depth: Int) {
        let isTask = String(cString: cmark_node_get_type_string(item)) == "tasklist"
        var child = cmark_node_first_child(item)
        var first = true
        while let current = child {
            if first, cmark_node_get_type(current) == CMARK_NODE_PARAGRAPH {
                if isTask {
                    taskCount += 1
                    blocks.append(.task(number: taskCount, spans: spans(of: current), depth: depth))
                } else {
                    blocks.append(.item(marker: marker, spans: spans(of: current), depth: depth))
                }
            } else {
                visit(current, depth: depth + 1)
            }
            first = false
            child = cmark_node_next(current)
        }
        if first {
            blocks.append(isTask ? .task(number: { taskCount += 1; return taskCount }(), spans: [], depth: depth)
                                 : .item(marker: marker, spans: [], depth: depth))
        }
    }

    /// The inline content of a block as styled spans; soft and hard breaks become spaces.
    func spans(of node: OpaquePointer, kind: RunbookDocument.Span.Kind = .text) -> [RunbookDocument.Span] {
        var result: [RunbookDocument.Span] = []
        var child = cmark_node_first_child(node)
        while let current = child {
            switch cmark_node_get_type(current) {
            case CMARK_NODE_TEXT:
                result.append(.init(cmark_node_get_literal(current).map { String(cString: $0) } ?? "", kind))
            case CMARK_NODE_CODE:
                let literal = cmark_node_get_literal(current).map { String(cString: $0) } ?? ""
                result.append(GateMarker.name(inCode: literal).map { .init($0, .gate) } ?? .init(literal, .code))
            case CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK:
                result.append(.init(" ", kind))
            case CMARK_NODE_EMPH:
                result += spans(of: current, kind: kind == .strong ? .strong : .emphasis)
            case CMARK_NODE_STRONG:
                result += spans(of: current, kind: .strong)
            case CMARK_NODE_LINK:
                result += spans(of: current, kind: .link)
            default:
                result += spans(of: current, kind: kind)
            }
            child = cmark_node_next(current)
        }
        return GateMarker.splittingPlainMarkers(result)
    }
}
