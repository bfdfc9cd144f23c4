import MigrationCore
import Testing

struct RolloutTests {
    @Test(arguments: [("0", 0), ("5", 500), ("12.5", 1250), ("0.29", 29), ("99.99", 9999), ("100", 10_000), ("25%", 2500), (" 7 ", 700), ("100.00", 10_000)])
    func parsesPercentagesExactly(text: String, basisPoints: Int) throws {
        #expect(try Rollout(percent: text).basisPoints == basisPoints)
    }

    @Test(arguments: ["", "abc", "-1", "1e2", "12.", ".5", "1,5", "0x10", "nan", "5 0"])
    func refusesWhatIsNotAPercentage(text: String) {
        #expect(throws: RolloutError.notAPercentage(text)) { try Rollout(percent: text) }
    }

    @Test func refusesTooManyDecimalsAndOutOfRange() {
        #expect(throws: RolloutError.tooPrecise("1.234")) { try Rollout(percent: "1.234") }
        #expect(throws: RolloutError.outOfRange("100.01")) { try Rollout(percent: "100.01") }
        #expect(throws: RolloutError.outOfRange("10001 bp")) { try Rollout(basisPoints: 10_001) }
        #expect(throws: RolloutError.outOfRange("-1 bp")) { try Rollout(basisPoints: -1) }
    }

    @Test func printsTheShortestExactForm() throws {
        #expect(try Rollout(basisPoints: 1250).description == "12.5%")
        #expect(try Rollout(basisPoints: 5).description == "0.05%")
        #expect(try Rollout(basisPoints: 10_000).description == "100%")
        #expect(try Rollout(basisPoints: 1201).description == "12.01%")
    }
}
