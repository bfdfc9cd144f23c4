import ArgumentParser
import Foundation
import MigrationClient
import MigrationCore
import PostgresStore

/// A client over the store at `location` (a SQLite path or a postgresql:// URL), as an
/// application process opens it.
func openClient(_ location: String) throws -> MigrationClient {
    try MigrationClient(store: try ControlStores.open(location))
}

/// A child of the propagation figure: prints when it sees each new state version.
struct Follow: ParsableCommand {
    static let configuration = CommandConfiguration(shouldDisplay: false)

    @Argument var db: String
    @Argument var changes: Int

    func run() throws {
        let client = try openClient(db)
        var version = client.current.state.version
        print("ready")
        fflush(nil)
        var seen = 0
        let deadline = Date().addingTimeInterval(Double(changes) * 0.4 + 10)
        while seen < changes, Date() < deadline {
            let now = client.current.state.version
            if now != version {
                print("\(now) \(Measure.now())")
                fflush(nil)
                version = now
                seen += 1
            }
            usleep(500)
        }
        print("done")
        fflush(nil)
        client.shutdown()
    }
}

/// A child of the ingest figure: counts into one counter as fast as it can, then shuts down
/// cleanly and prints how many.
struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(shouldDisplay: false)

    @Argument var db: String
    @Argument var seconds: Double

    func run() throws {
        let client = try openClient(db)
        let counter = client.counter("ingest")
        print("ready")
        fflush(nil)
        let end = Measure.now() + UInt64(seconds * 1e9)
        var total: Int64 = 0
        while Measure.now() < end {
            for _ in 0..<4096 { counter.add() }
            total += 4096
        }
        client.shutdown(timeout: .seconds(60))
        print(total)
    }
}

/// A child of the fleet figure: an application instance that counts `rate` events a second
/// (in ten steps) until the file `stop` appears, then shuts down cleanly and prints how many.
struct Member: ParsableCommand {
    static let configuration = CommandConfiguration(shouldDisplay: false)

    @Argument var db: String
    @Argument var rate: Int64
    @Argument var stop: String

    func run() throws {
        let client = try openClient(db)
        let counter = client.counter("fleet")
        print("ready")
        fflush(nil)
        var total: Int64 = 0
        while !FileManager.default.fileExists(atPath: stop) {
            counter.add(rate / 10)
            total += rate / 10
            usleep(100_000)
        }
        client.shutdown(timeout: .seconds(30))
        print(total)
    }
}
