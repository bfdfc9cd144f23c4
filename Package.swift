// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "migctl",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "migctl", targets: ["migctl"]),
        .executable(name: "migctl-bench", targets: ["MigctlBench"]),
        .library(name: "MigrationCore", targets: ["MigrationCore"]),
        .library(name: "MigrationClient", targets: ["MigrationClient"]),
        .library(name: "PostgresStore", targets: ["PostgresStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        // Already in the graph through postgres-nio; named here so that HTTPTransport can use NIOHTTP1 and NIOSSL.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // The Prometheus text format for `migctl metrics`; adds only swift-metrics' CoreMetrics (Atomics is in the graph already).
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        .target(
            name: "MigrationCore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                "CGateSpawn",
            ],
            swiftSettings: strict,
            plugins: ["EmbedRunbooks"]
        ),
        .target(
            name: "MigrationClient",
            dependencies: ["MigrationCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // The control store on a PostgreSQL server, in its own target so that an application that
        // only uses the SQLite file never compiles postgres-nio, swift-nio and BoringSSL.
        .target(
            name: "PostgresStore",
            dependencies: ["MigrationCore", .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "Logging", package: "swift-log"), .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        // The guard: the daemon that watches a migration, acts on its guards and ramps, and notifies people.
        // Its own target, so that an application linking the client never carries webhooks or an HTTP client. Webhooks
        // are posted through HTTPTransport, over swift-nio and NIOSSL, which migctl links anyway through PostgresStore:
        // no libcurl, no FoundationNetworking loaded at every start.
        .target(
            name: "GuardService",
            dependencies: ["MigrationCore", "HTTPTransport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // A blocking HTTP/1.1 client with a deadline and a cancel, over swift-nio and NIOSSL: webhooks and PromQL queries.
        .target(
            name: "HTTPTransport",
            dependencies: [
                "MigrationCore",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // What speaks the monitoring tools operators already run: /metrics for Prometheus, PromQL gates, statsd ingest.
        .target(
            name: "Monitoring",
            dependencies: [
                "MigrationCore", "HTTPTransport", .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(name: "DemoService", dependencies: ["MigrationClient", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strict),
        .target(name: "CGateSpawn"),
        .systemLibrary(name: "CCmark"),
        .target(name: "Runbook", dependencies: ["CCmark", "MigrationCore"], swiftSettings: strict),
        .target(name: "CCurses", linkerSettings: [.linkedLibrary("ncursesw")]),
        .target(name: "Console", dependencies: ["MigrationCore", "Runbook"], swiftSettings: strict),
        .target(name: "Terminal", dependencies: ["CCurses", "Console"], swiftSettings: strict),
        .executableTarget(name: "RunbookEmbedder", swiftSettings: strict),
        .plugin(name: "EmbedRunbooks", capability: .buildTool(), dependencies: ["RunbookEmbedder"]),
        .executableTarget(
            name: "migctl",
            dependencies: [
                "MigrationCore", "PostgresStore", "Console", "Terminal", "Runbook", "DemoService", "GuardService", "Monitoring",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // What the test targets share: temporary folders, the ungated plan, waiting for conditions, a fresh store of either kind.
        .target(name: "TestSupport", dependencies: ["MigrationCore", "PostgresStore"], path: "Tests/TestSupport",
                exclude: ["ungated-plan.yaml"], swiftSettings: strict),
        .testTarget(
            name: "MigrationCoreTests",
            dependencies: ["MigrationCore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "MigctlBench",
            dependencies: [
                "MigrationClient", "Console", "Runbook", "PostgresStore", "Monitoring", "DemoService", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Fuzz targets (scripts/fuzz runs them under libFuzzer; built normally they replay their corpus).
        .target(name: "FuzzDriver", path: "Fuzz/FuzzDriver", swiftSettings: strict),
        .executableTarget(name: "FuzzPlanFile", dependencies: ["FuzzDriver", "MigrationCore"], path: "Fuzz/FuzzPlanFile",
                          swiftSettings: strict),
        .executableTarget(
            name: "FuzzControlRows",
            dependencies: ["FuzzDriver", "MigrationCore", "Console", "Runbook", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Fuzz/FuzzControlRows", swiftSettings: strict
        ),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "Runbook", "TestSupport"], exclude: ["Snapshots"], swiftSettings: strict),
        .testTarget(
            name: "MigrationClientTests",
            dependencies: ["MigrationClient", "TestSupport", .product(name: "InMemoryLogging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(name: "DemoServiceTests", dependencies: ["DemoService", "Runbook", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "GuardServiceTests", dependencies: ["GuardService", "TestSupport"], resources: [.copy("Fixtures")],
                    swiftSettings: strict),
        .testTarget(name: "MonitoringTests", dependencies: ["Monitoring", "TestSupport"], resources: [.copy("Fixtures")],
                    swiftSettings: strict),
        .testTarget(name: "RunbookTests", dependencies: ["Runbook"], swiftSettings: strict),
        .testTarget(
            name: "MigctlCLITests",
            // The tests run the built migctl binary (and migctl-bench's fleet-client), so they must be built first.
            dependencies: ["MigrationCore", "TestSupport", "migctl", "MigctlBench"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
