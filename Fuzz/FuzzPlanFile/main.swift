// Fuzz target: the YAML plan parser must turn any bytes into a plan or a PlanError, never a crash.
// Built normally it replays the files given as arguments; see scripts/fuzz.
import Foundation
import FuzzDriver
import MigrationCore

func fuzzOne(_ bytes: UnsafeBufferPointer<UInt8>) {
    let text = String(decoding: bytes, as: UTF8.self)
    if let plan = try? PlanFile.parse(text, file: "fuzz.yaml", paths: .unchecked) {
        // A parsed plan must survive the rules every reader applies to it.
        for phase in plan.phases {
            _ = plan.next(after: phase.id)
            _ = plan.previous(before: phase.id)
        }
        _ = plan.pointOfNoReturn
    }
}

runFuzzTarget(fuzzOne)
