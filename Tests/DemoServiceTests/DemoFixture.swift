import DemoService
import Foundation
import MigrationCore
import Runbook

/// A fresh folder with a control database (`migctl.db`), for the demo's stores beside it;
/// removed when the fixture goes away.
final class DemoFixture {
    let folder = FileManager.default.temporaryDirectory.appending(path: "demo-\(UUID().uuidString)").path
    var control: String { folder + "/migctl.db" }
    let store: SQLiteControlStore

    init(plan: Plan = .demo(soak: 1)) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        store = try SQLiteControlStore.create(at: folder + "/migctl.db", name: "demo", plan: plan, runbooks: Plan.defaultRunbooks,
                                              by: Operator(name: "t", host: "h"), at: Date())
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }
}
