import Foundation

/// Polls `value` every few milliseconds until it is non-nil, for at most `limit`: wait for a
/// condition, never sleep and hope. A slow machine only makes a test slower, never wrong.
public func eventually<T>(within limit: Duration = .seconds(10), _ value: () throws -> T?) rethrows -> T? {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if let found = try value() { return found }
        Thread.sleep(forTimeInterval: 0.005)
    }
    return try value()
}

/// Polls `condition` until it holds, for at most `limit`; returns whether it held.
public func eventually(within limit: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
    try eventually(within: limit) { try condition() ? true : nil } ?? false
}
