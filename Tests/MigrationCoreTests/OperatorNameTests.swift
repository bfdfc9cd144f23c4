import Foundation
import MigrationCore
import Testing

/// Actor names are normalised before they are stored or compared, and names that could pass
/// for someone else are refused.
struct OperatorNameTests {
    @Test func namesAreFoldedTrimmedAndCompatibilityMapped() throws {
        #expect(try Operator.normalisedName("  Alice ") == "alice")
        #expect(try Operator.normalisedName("ＡＬＩＣＥ") == "alice")      // full-width letters
        #expect(try Operator.normalisedName("Straße") == "strasse")
        #expect(try Operator.normalisedName("Ana Lima") == "ana lima")
    }

    @Test func invisibleCharactersAreRefused() {
        for name in ["alice\u{200B}", "al\u{200D}ice", "\u{2066}alice", "alice\u{202E}", "ali\u{00AD}ce", "alice\u{1B}]52;c;eA==\u{07}", "al\tice", "\u{FEFF}alice"] {
            #expect(throws: ActorNameError.self, "\(name.unicodeScalars.map { String($0.value, radix: 16) })") {
                try Operator.normalisedName(name)
            }
        }
    }

    @Test func namesMixingConfusableScriptsAreRefused() {
        for name in ["\u{0430}lice", "p\u{0430}ypal", "\u{03BF}mar", "\u{0430}\u{03B1}"] {
            #expect(throws: ActorNameError.self) { try Operator.normalisedName(name) }
        }
        #expect((try? Operator.normalisedName("\u{0430}\u{043B}\u{0438}\u{0441}\u{0430}")) == "\u{0430}\u{043B}\u{0438}\u{0441}\u{0430}")   // all Cyrillic
        #expect((try? Operator.normalisedName("jürgen")) == "jürgen")
    }

    @Test func emptyAndOverlongNamesAreRefused() {
        #expect(throws: ActorNameError.self) { try Operator.normalisedName("   ") }
        #expect(throws: ActorNameError.self) { try Operator.normalisedName(String(repeating: "a", count: 129)) }
        #expect(throws: ActorNameError.self) { try Operator.normalisedName("e" + String(repeating: "\u{0301}", count: 60_000)) }
        #expect((try? Operator.normalisedName(String(repeating: "a", count: 128))) != nil)
    }

    @Test func everySourceIsNormalisedAndChecked() throws {
        #expect(try Operator.current(explicit: " Bob ", environment: [:]).name == "bob")
        #expect(try Operator.current(environment: ["MIGCTL_ACTOR": "Alice"]).name == "alice")
        #expect(try Operator.current(environment: ["USER": "CAROL"]).name == "carol")
        let long = String(repeating: "x", count: 200)
        #expect(throws: ActorNameError.self) { try Operator.current(environment: ["MIGCTL_ACTOR": long]) }
        #expect(throws: ActorNameError.self) { try Operator.current(environment: ["USER": "alice\u{200B}"]) }
        do {
            _ = try Operator.current(environment: ["MIGCTL_ACTOR": "alice\u{200B}"])
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("MIGCTL_ACTOR") && error.description.contains("U+200B"), "\(error)")
        }
    }

    @Test func storedNamesCompareAsTheSamePerson() {
        #expect(Operator.isSamePerson("alice", "Alice"))
        #expect(Operator.isSamePerson("alice\u{200B}", "alice"))
        #expect(Operator.isSamePerson("\u{0430}lice", "alice"))
        #expect(Operator.isSamePerson(" ALICE", "alice"))
        #expect(!Operator.isSamePerson("alice", "bob"))
    }
}
