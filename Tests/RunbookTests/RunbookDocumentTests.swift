import Runbook
import Testing

struct RunbookDocumentTests {
    let markdown = """
        # Read new

        Reads go to the **new** store, with *fallback* to `old`.

        ## Checklist

        - [ ] miss rate below 5%
        - [x] dashboards show `verify.mismatch`
        - plain bullet
          - [ ] nested task

        1. first
        2. second

        ```
        migctl status
        ```

        > quoted warning

        ---
        """

    @Test func parsesHeadingsEmphasisAndCode() {
        let doc = RunbookDocument(markdown: markdown)
        #expect(doc.blocks.first == .heading(level: 1, spans: [.init("Read new")]))
        #expect(doc.blocks[1] == .paragraph(spans: [
            .init("Reads go to the "), .init("new", .strong), .init(" store, with "), .init("fallback", .emphasis),
            .init(" to "), .init("old", .code), .init("."),
        ], depth: 0))
        #expect(doc.blocks.contains(.code(lines: ["migctl status"])))
        #expect(doc.blocks.contains(.quote(spans: [.init("quoted warning")])))
        #expect(doc.blocks.last == .rule)
        #expect(doc.blocks.contains(.item(marker: "2.", spans: [.init("second")], depth: 0)))
    }

    @Test func numbersTaskItemsInDocumentOrderIncludingNestedOnes() {
        let doc = RunbookDocument(markdown: markdown)
        #expect(doc.checklist == ["miss rate below 5%", "dashboards show verify.mismatch", "nested task"])
        #expect(doc.blocks.contains(.task(number: 3, spans: [.init("nested task")], depth: 1)))
    }

    @Test func taskLookalikesInCodeAreNotTasks() {
        let doc = RunbookDocument(markdown: "```\n- [ ] not a task\n```\n\n- [ ] a task\n")
        #expect(doc.checklist == ["a task"])
    }

    @Test func emptyAndOddInputIsHarmless() {
        #expect(RunbookDocument(markdown: "").blocks.isEmpty)
        #expect(RunbookDocument(markdown: "\u{1b}[2J *unclosed").checklist.isEmpty)
    }
}
