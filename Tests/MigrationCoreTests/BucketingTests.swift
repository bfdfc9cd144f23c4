import Foundation
import MigrationCore
import Testing

struct BucketingTests {
    struct Vectors: Decodable {
        struct Case: Decodable {
            let salt: String
            let key: String
            let bucket: Int
        }

        let cases: [Case]
    }

    static let vectors: [Vectors.Case] = {
        let url = Bundle.module.url(forResource: "bucketing", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url)).cases
    }()

    @Test func reproducesEverySharedVector() {
        #expect(Self.vectors.count >= 30)
        for vector in Self.vectors {
            #expect(Bucketing.bucket(salt: vector.salt, key: vector.key) == vector.bucket, "\(vector.salt) / \(vector.key)")
        }
    }

    @Test func thePrehashedSaltGivesTheSameBuckets() {
        for vector in Self.vectors {
            #expect(Bucketing.hasher(salt: vector.salt).bucket(vector.key) == vector.bucket, "\(vector.salt) / \(vector.key)")
        }
    }

    @Test func bucketsSpreadEvenly() {
        var perDecile = [Int](repeating: 0, count: 10)
        for i in 0..<100_000 { perDecile[Bucketing.bucket(salt: "spread", key: "k\(i)") / 1000] += 1 }
        #expect(perDecile.allSatisfy { (9_500...10_500).contains($0) }, "\(perDecile)")
    }

    @Test func rolloutIncludesExactlyTheBucketsBelowIt() throws {
        let rollout = try Rollout(percent: "12.34")
        #expect(rollout.includes(bucket: 1233))
        #expect(!rollout.includes(bucket: 1234))
        #expect(!Rollout.none.includes(bucket: 0))
        #expect(Rollout.full.includes(bucket: 9999))
    }
}
