extension RunbookDocument {
    /// The block of the heading an operator reads before advancing into the runbook's phase
    /// ("Before you advance"), if the runbook has one.
    public var advanceSection: Int? {
        blocks.firstIndex {
            if case .heading(_, let spans) = $0 { return spans.plainText.lowercased().contains("before you advance") }
            return false
        }
    }

    /// The plain text of the first section whose heading contains `word` (any case), up to the
    /// next heading of the same or a higher level.
    public func section(containing word: String) -> [String] {
        guard let start = blocks.firstIndex(where: {
            if case .heading(_, let spans) = $0 { return spans.plainText.lowercased().contains(word) }
            return false
        }), case .heading(let level, let title) = blocks[start] else { return [] }
        var lines = [title.plainText]
        for block in blocks[(start + 1)...] {
            switch block {
            case .heading(let other, _) where other <= level: return lines
            case .heading(_, let spans), .paragraph(let spans, _), .quote(let spans): lines.append(spans.plainText)
            case .item(let marker, let spans, _): lines.append("\(marker) " + spans.plainText)
            case .task(_, let spans, _): lines.append("[ ] " + spans.plainText)
            case .code(let code): lines += code
            case .rule: break
            }
        }
        return lines
    }
}
