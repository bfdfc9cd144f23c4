import Foundation
import MigrationCore

/// `migctl log --follow`: the last events oldest first, as `tail -f` shows a file's last lines,
/// then each new event as it lands, until SIGINT or SIGTERM (exit 0).
///
/// It follows the audit log by id: appends are serialised and numbered in commit order, so
/// reading the events after the last id read never misses or repeats one. Before each read it
/// checks that the last event it printed is still there as printed; when it is not (the store
/// was replaced by another history, or rewritten), it stops with exit 1 rather than print a
/// log that is not a continuation of what it printed. Other trouble is handled as
/// ``WatchedStore`` does: one stderr line per problem, and it keeps trying.
struct LogFollow {
    let limit: Int
    let json: Bool

    /// How often the store is asked whether anything changed (cheap: a pragma on a file, memory
    /// on a server, which announces each audit row).
    static let poll = 0.25
    /// How many rows one read takes, so a burst of events after a pause is read in pages.
    static let page = 500

    func run(_ opened: any ControlStore, stop: StopRequest) throws {
        let tail = Array(try opened.auditLog(limit: limit).reversed())
        for event in tail { try print(event) }
        var last = tail.last
        var through = last?.id ?? 0
        let watched = WatchedStore(opened)
        var token: Int64?
        while !stop.isRequested {
            if let now = try watched.read({ try $0.changeToken() }), now != token {
                var complete = false
                while !stop.isRequested {
                    guard let page = try watched.read({ store in try readAfter(last, through: through, in: store) }) else { break }
                    let (events, next) = page
                    for event in events { try print(event) }
                    last = events.last ?? last
                    let advanced = next != through
                    through = next
                    if !advanced {
                        complete = true
                        break
                    }
                }
                // Read up to the end: nothing is left behind this token. Else the next turn reads again.
                if complete { token = now }
            }
            stop.wait(seconds: Self.poll)
        }
    }

    /// The events after `through`, and the id of the last row read.
    /// - Throws: ``WatchedStore/Ended`` when `last` is no longer in the log as it was printed.
    private func readAfter(_ last: AuditEvent?, through: Int64, in store: any ControlStore) throws -> ([AuditEvent], Int64) {
        if let last {
            let found = try store.auditLog(after: last.id - 1, limit: 1).events.first
            guard found == last else {
                throw WatchedStore.Ended(description: "the audit log at \(store.location) no longer holds event #\(last.id) as it was printed: the store was replaced by another or rewritten; run 'migctl log --follow' again")
            }
        }
        let (events, next) = try store.auditLog(after: through, limit: Self.page)
        return (events, next)
    }

    private func print(_ event: AuditEvent) throws {
        if json {
            try JSONOutput.printLine(event)
        } else {
            sayLine(Log.line(event))
        }
    }
}
