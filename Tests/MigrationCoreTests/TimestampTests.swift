import Foundation
import MigrationCore
import Testing

struct TimestampTests {
    @Test(arguments: [
        ("2026-11-26T09:00:00.300Z", 1_795_683_600.3),
        ("2026-11-26T09:00:00Z", 1_795_683_600),
        ("2026-11-26 09:00:00", 1_795_683_600),
        ("2026-11-26 09:00:00.250", 1_795_683_600.25),
        ("2026-11-26T09:00:00.123456", 1_795_683_600.123456),
        ("2026-11-26T10:00:00+01:00", 1_795_683_600),
        ("2026-11-26T04:30:00-04:30", 1_795_683_600),
        ("1795683600", 1_795_683_600),
        ("1969-12-31T23:59:59Z", -1),
        ("2024-02-29T00:00:00Z", 1_709_164_800),
    ])
    func readsTheFormsForeignWritersUse(text: String, seconds: Double) throws {
        let date = try #require(Timestamp.date(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_01)
    }

    @Test(arguments: ["", "n/a", "2026-02-30T00:00:00Z", "2026-11-26T24:00:00Z", "2026-13-01T00:00:00Z",
                      "2026-11-26T09:00:00.Z", "2026-11-26T09:00:00+1", "-5", "1e400", "99999999999999999999"])
    func refusesEverythingElse(text: String) {
        #expect(Timestamp.date(text) == nil)
    }

    @Test func printsMillisecondsRoundedSoTextRoundTrips() throws {
        for text in ["2026-11-26T09:00:00.300Z", "2026-11-26T09:00:00.299Z", "1999-12-31T23:59:59.999Z", "1969-07-20T20:17:40.001Z"] {
            #expect(Timestamp.string(try #require(Timestamp.date(text))) == text)
        }
    }

    @Test func extremeInstantsClampInsteadOfTrapping() {
        #expect(Timestamp.string(.distantFuture) == "4001-01-01T00:00:00.000Z")
        #expect(Timestamp.string(Date(timeIntervalSince1970: 1e18)) == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp.string(Date(timeIntervalSince1970: -.infinity)).hasPrefix("0000-01-01"))
    }
}
