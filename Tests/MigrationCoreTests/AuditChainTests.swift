import Foundation
import MigrationCore
import Testing

struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func matchesTheNISTVectors(message: String, digest: String) {
        #expect(SHA256.hex(Array(message.utf8)) == digest)
    }

    @Test func matchesAMillionAs() {
        #expect(SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func matchesPythonsHashlibOnEveryLengthAroundABlock() throws {
        for length in [55, 56, 63, 64, 65, 119, 120, 128] {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", "import hashlib,sys; print(hashlib.sha256(bytes(((i*31+7)&255) for i in range(\(length)))).hexdigest())"]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let expected = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            process.waitUntilExit()
            #expect(SHA256.hex(message) == expected, "length \(length)")
        }
    }
}

struct AuditChainTests {
    @Test func theCanonicalFormIsLengthPrefixedWithADashForNull() {
        #expect(String(decoding: AuditChain.canonical(["ab", nil, "", "é"]), as: UTF8.self) == "2:ab-0:2:é")
    }

    @Test func aChainVerifiesAndEachKindOfBreakIsNamed() {
        let plan = AuditChain.planHash(migration: ["m", "2026-11-26T09:00:00.000Z", "ana"], phases: [["1", "a"]], checklistItems: [])
        var rows: [AuditChain.Row] = []
        var previous = plan
        for id in Int64(1)...4 {
            let fields: [String?] = [String(id), "2026-11-26T09:00:0\(id).000Z", "ana", "h", "advance", nil, nil, nil, nil, String(id), nil, nil]
            previous = AuditChain.link(previous: previous, row: fields)
            rows.append(AuditChain.Row(id: id, fields: fields, hash: previous))
        }
        #expect(AuditChain.verify(planHash: plan, recordedPlanHash: plan, rows: rows) == nil)
        #expect(AuditChain.verify(planHash: "other", recordedPlanHash: plan, rows: rows)?.row == nil)
        var rewritten = rows
        rewritten[2].fields[10] = "nothing happened"
        #expect(AuditChain.verify(planHash: plan, recordedPlanHash: plan, rows: rewritten)?.row == 3)
        var deleted = rows
        deleted.remove(at: 1)
        #expect(AuditChain.verify(planHash: plan, recordedPlanHash: plan, rows: deleted)?.description.contains("row 2 is missing") == true)
        var unhashed = rows
        unhashed[3].hash = nil
        #expect(AuditChain.verify(planHash: plan, recordedPlanHash: plan, rows: unhashed)?.row == 4)
    }
}
