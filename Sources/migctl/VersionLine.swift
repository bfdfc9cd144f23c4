import MigrationCore
import PostgresStore

/// What `migctl --version` prints: the release, the control-store contract this build reads and
/// writes, and the older contracts `migctl upgrade` brings a store up from, on each store:
/// `migctl 0.1.0 (control store contract 4; upgrades SQLite files from 1–3, PostgreSQL stores from 3)`.
///
/// The release is written here once; the contract numbers come from the stores themselves.
enum VersionLine {
    /// The release.
    static let release = "0.1.0"

    static var text: String {
        "migctl \(release) (control store contract \(SQLiteControlStore.schemaVersion); upgrades SQLite files from "
            + "\(span(SQLiteControlStore.upgradableSchemaVersions)), PostgreSQL stores from \(span(PostgresControlStore.upgradableSchemaVersions)))"
    }

    /// `1–3`, or `3` alone.
    private static func span(_ versions: ClosedRange<Int>) -> String {
        versions.count == 1 ? "\(versions.lowerBound)" : "\(versions.lowerBound)–\(versions.upperBound)"
    }
}
