import Foundation
import MigrationCore
import Testing

/// Every text limit counts Unicode scalars, so combining marks cannot hide length.
struct LimitsTests {
    @Test func lengthsCountUnicodeScalarsNotGraphemes() {
        let stacked = "e" + String(repeating: "\u{0301}", count: 60_000)
        #expect(stacked.count == 1)
        #expect(Limits.length(stacked) == 60_001)
        #expect(!Limits.fits(stacked, Limits.reasonScalars))
        #expect(Limits.fits(String(repeating: "r", count: 2000), Limits.reasonScalars))
        #expect(!Limits.fits(String(repeating: "r", count: 2001), Limits.reasonScalars))
    }

    @Test func reasonsAreCheckedInOnePlace() {
        #expect(Limits.reasonProblem("fine") == nil)
        #expect(Limits.reasonProblem("e" + String(repeating: "\u{0301}", count: 60_000))?.contains("2000") == true)
    }

    func problems(_ yaml: String) -> [PlanProblem] {
        do {
            _ = try PlanFile.parse(yaml, file: "p.yaml")
            return []
        } catch {
            return error.problems
        }
    }

    func plan(phases: Int) -> String {
        "phases:\n" + (0..<phases).map { "  - {id: p\($0), reads: old, writes: [old]}\n" }.joined()
    }

    @Test func aPlanHasAtMostSoManyPhases() {
        #expect(problems(plan(phases: Limits.phases)).isEmpty)
        let found = problems(plan(phases: Limits.phases + 1))
        #expect(found.count == 1 && found[0].field == "phases" && found[0].message.contains("\(Limits.phases)"), "\(found)")
    }

    @Test func aHugePlanIsRefusedBeforeItIsParsed() {
        let huge = plan(phases: 30_000)
        #expect(huge.utf8.count > Limits.planFileBytes)
        let start = Date()
        let found = problems(huge)
        #expect(found.count == 1 && found[0].message.contains("1 MiB"), "\(found)")
        #expect(Date().timeIntervalSince(start) < 1)
    }

    @Test func longStringsInAPlanAreRefusedWithTheirField() {
        let title = "t" + String(repeating: "\u{0301}", count: Limits.titleScalars)
        let found = problems("phases:\n  - id: a\n    title: \"\(title)\"\n    reads: old\n    writes: [old]\n")
        #expect(found.map(\.field) == ["phases[1].title"] && found.first?.line == 3, "\(found)")
        let arg = String(repeating: "x", count: Limits.argumentScalars + 1)
        let command = problems("phases:\n  - id: a\n    reads: old\n    writes: [old]\n    gates:\n      - kind: command\n        argv: [echo, \(arg)]\n")
        #expect(command.map(\.field) == ["phases[1].gates[1].argv"], "\(command)")
        let many = "[" + Array(repeating: "x", count: Limits.argumentCount + 1).joined(separator: ", ") + "]"
        #expect(problems("phases:\n  - id: a\n    reads: old\n    writes: [old]\n    gates:\n      - kind: command\n        argv: \(many)\n").count == 1)
    }

    @Test func aPhaseHasAtMostSoManyGates() {
        let gates = String(repeating: "      - kind: rollout\n", count: Limits.gatesPerPhase + 1)
        let found = problems("phases:\n  - id: a\n    reads: old\n    writes: [old]\n    gates:\n\(gates)")
        #expect(found.map(\.field) == ["phases[1].gates"], "\(found)")
    }

    @Test func aTitleWithAnEscapeSequenceIsRefused() {
        let found = problems("phases:\n  - id: a\n    title: \"x\\e]52;c;ZWNobyBwd25lZA==\\a\"\n    reads: old\n    writes: [old]\n")
        #expect(found.map(\.field) == ["phases[1].title"], "\(found)")
    }
}
