import Foundation
import TestSupport

/// Runs `body` on `count` threads of their own, all at once (unlike `concurrentPerform`,
/// which runs no more at a time than there are cores), and returns when all have ended.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread {
            body(index)
            group.leave()
        }.start()
    }
    group.wait()
}
