import Console
import Foundation
import MigrationCore
import Testing

/// Values a foreign writer can store, drawn without trapping and without breaking the layout.
struct HostileDataViewTests {
    @Test func hugeGaugesAndCountersAreDrawn() {
        let gauges = [Gauge(name: "backfill.total", value: 1e19, updatedAt: Fixtures.now),
                      Gauge(name: "backfill.done", value: -1e300, updatedAt: Fixtures.now)]
        var data = Fixtures.data(gauges: gauges)
        data.totals = ["hit": .max, "miss": .max, "backfill": .max]
        data.traffic.values = ["hit": [.max, .max], "miss": [.max, 1], "backfill": [.max, .max]]
        let text = frame(data).text
        #expect(text.contains("copied 0/9,223,372,036,854,775,807 0.0%"), "a negative count is none")
    }

    @Test func aHugeETAIsDrawn() {
        let gauges = [Gauge(name: "backfill.total", value: 1e300, updatedAt: Fixtures.now),
                      Gauge(name: "backfill.done", value: 1, updatedAt: Fixtures.now),
                      Gauge(name: "backfill.rate", value: 0.001, updatedAt: Fixtures.now)]
        let text = frame(Fixtures.data(gauges: gauges)).text
        #expect(text.contains("0.0% · 0.00/s · ETA 1"), "\(text)")
    }

    @Test func wideCharactersKeepEveryLineAndTheDialogFrameAligned() {
        var data = Fixtures.data(reason: "漢字の理由 🚀 e\u{301}\u{200B} 한국어 텍스트")
        data.recentEvents[1].actor = "操作員"
        var state = ConsoleState()
        for width in [80, 81, 120] {
            let screen = frame(data, state: state, width: width)
            for line in screen.lines { #expect(DisplayWidth.of(line) == width, "\(line)") }
        }
        state.dialog = Dialog(kind: .refusal("漢字の理由 🚀 mixed 한국어 text that wraps around the dialog box 漢字漢字漢字漢字漢字漢字漢字漢字",
                                             detail: ["操作員 한국어 漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字"]),
                              title: "理由 refused")
        let screen = frame(data, state: state)
        for line in screen.lines { #expect(DisplayWidth.of(line) == 80, "\(line)") }
        // The box's right border sits in one column on every line of the dialog.
        let rightBorders = screen.lines.filter { $0.filter { $0 == "│" }.count >= 2 }.compactMap { line in line.lastIndex(of: "│").map { DisplayWidth.of(line[..<$0]) } }
        #expect(rightBorders.count > 4 && Set(rightBorders).count == 1, "\(screen.text)")
    }

    @Test func skippedRowsShowAsAWarningLine() {
        var data = Fixtures.data()
        data.skippedRows = [RowProblem(table: "gauges", row: "lag", column: "value", value: "'n/a'", expected: "a finite number"),
                            RowProblem(table: "instances", row: "x", column: "pid", value: "'x'", expected: "an integer")]
        let screen = frame(data)
        #expect(screen.lines[22].contains("warning: 2 rows skipped; gauges row 'lag': value holds 'n/a', not a finite num"))
    }
}

struct AuditChainWarningTests {
    @Test func aBrokenAuditChainIsARedLineAboveTheFooter() {
        var data = Fixtures.data()
        data.auditChainBreak = "audit row 7 does not match its hash: it was rewritten, or inserted out of order"
        let screen = frame(data)
        #expect(screen.lines[22].contains("AUDIT LOG TAMPERED: audit row 7 does not match its hash"))
    }
}
