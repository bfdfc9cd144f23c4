import Foundation

/// Waits until `condition` holds, checking every few milliseconds, for at most `limit`.
/// - Returns: whether it held before the deadline; tests `#expect` the result, so a slow
///   machine only makes them slower, never wrong.
func eventually(within limit: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.005)
    }
    return try condition()
}

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
