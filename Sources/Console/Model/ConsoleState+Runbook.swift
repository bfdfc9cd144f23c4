import Foundation
import MigrationCore
import Runbook

extension ConsoleState {
    /// Keys of the runbook view: move between blocks, jump between sections, tick with Space.
    mutating func handleRunbook(_ key: Key, data: ConsoleData?) -> Effect? {
        let blocks = data?.runbook?.blocks ?? []
        let last = max(0, blocks.count - 1)
        func isHeading(_ i: Int) -> Bool { if case .heading = blocks[i] { return true } else { return false } }
        switch key {
        case .down, .character("j"): runbookCursor = min(last, runbookCursor + 1)
        case .up, .character("k"): runbookCursor = max(0, runbookCursor - 1)
        case .pageDown: runbookCursor = min(last, runbookCursor + 10)
        case .pageUp: runbookCursor = max(0, runbookCursor - 10)
        case .home: runbookCursor = 0
        case .end: runbookCursor = last
        case .tab, .character("]"):
            runbookCursor = (blocks.indices.first { $0 > runbookCursor && isHeading($0) }) ?? runbookCursor
        case .character("["):
            runbookCursor = (blocks.indices.last { $0 < runbookCursor && isHeading($0) }) ?? 0
        case .character(" "):
            guard let data, blocks.indices.contains(runbookCursor), case .task(let number, _, _) = blocks[runbookCursor] else {
                message = Message("move the cursor to a checklist item to tick it", isError: true)
                return Effect.none
            }
            if readOnly {
                message = Message("read-only console: ticking is disabled", isError: true)
                return Effect.none
            }
            let ticked = data.checklist.first { $0.number == number }?.isTicked ?? false
            return .tick(phase: data.state.phase, item: number, ticked: !ticked)
        default: return nil
        }
        return Effect.none
    }

}

extension RunbookDocument {
    /// The plain text of the first section whose heading contains `word` (any case), up to the
    /// next heading of the same or a higher level.
    public func section(containing word: String) -> [String] {
        guard let start = blocks.firstIndex(where: {
            if case .heading(_, let spans) = $0 { return spans.map(\.text).joined().lowercased().contains(word) }
            return false
        }), case .heading(let level, let title) = blocks[start] else { return [] }
        var lines = [title.map(\.text).joined()]
        for block in blocks[(start + 1)...] {
            switch block {
            case .heading(let other, _) where other <= level: return lines
            case .heading(_, let spans), .paragraph(let spans, _), .quote(let spans): lines.append(spans.map(\.text).joined())
            case .item(let marker, let spans, _): lines.append("\(marker) " + spans.map(\.text).joined())
            case .task(_, let spans, _): lines.append("[ ] " + spans.map(\.text).joined())
            case .code(let code): lines += code
            case .rule: break
            }
        }
        return lines
    }
}
