import Foundation
import MigrationCore

extension MigrationClient {
    /// What the refresher knows of the file it reads, kept under the refresh lock.
    struct RefreshCursor: Sendable {
        /// The change token of the last state read; nil forces a read.
        var token: Int64?
        /// When the database now followed was created (`migration.created_at`).
        var createdAt: Date
        /// Which database file, in the order the client met them; a new one may start at any version.
        var generation = 0
        /// The version of the last state refused as unusable, said once rather than at every read.
        var refusedVersion: Int64?
    }

    /// Reads the state now if the database changed. Called by the refresher; public so a
    /// caller that just changed the state can see it at once.
    ///
    /// Refreshes run one at a time, so each reads the database after the one before it; and
    /// whatever order they finish in, only a strictly newer version of the same file is
    /// published. When the file at the path is another one (replaced, restored from a backup,
    /// or copied over in place), the client reopens it, says so, and follows it, even to an
    /// older version; it never follows a file of another migration (another bucketing salt).
    public func refresh() {
        cursor.withLock { cursor in
            do throws(ControlStoreError) {
                try refresh(&cursor)
                reader.succeeded()
                lastRefreshed.withLock { $0 = .now }
            } catch {
                reader.failed()
                report(.refreshFailed(error, retryIn: reader.delay(after: refreshInterval)))
            }
        }
    }

    private func refresh(_ cursor: inout RefreshCursor) throws(ControlStoreError) {
        var (store, reopened) = try reader.connection()
        var token = try store.changeToken()
        guard reopened != nil || token != cursor.token else { return }
        var state = try store.state()
        let known = snapshot.withLock { $0.state.version }
        if reopened == nil, state.version < known {
            // Versions only grow within a file, so this one was written behind SQLite's back
            // and the connection's cache may mix two files: read it again afresh.
            reader.invalidate()
            (store, _) = try reader.connection()
            reopened = .file(.rewritten)
            token = try store.changeToken()
            state = try store.state()
        }
        var plan: Plan?
        if let reopened {
            let info = try store.migration()
            guard info.name == salt else {
                foreign.store(true, ordering: .relaxed)
                throw .io(path: store.location, message: "it now holds migration '\(info.name.terminalSafe)', not '\(salt.terminalSafe)'; this client keeps routing by what it knew and writes nothing there")
            }
            foreign.store(false, ordering: .relaxed)
            if let change = Self.fileChange(reopened, createdAt: (cursor.createdAt, info.createdAt), version: (known, state.version)) {
                cursor.createdAt = info.createdAt
                cursor.generation += 1
                plan = try store.plan()
                writer.invalidate()
                report(.fileChanged(path: store.location, change, now: state))
            }
        }
        cursor.token = token
        if let incident = adopt(state, plan: plan, generation: cursor.generation), cursor.refusedVersion != state.version {
            cursor.refusedVersion = state.version
            report(incident)
        }
    }

    /// Whether the state in force is older than the serving lease: no refresh has succeeded
    /// for longer than the plan allows an instance to route by what it last knew.
    var isStale: Bool {
        let lease = Duration.seconds(snapshot.withLock { $0.plan.servingLeaseSeconds })
        return ContinuousClock.now - lastRefreshed.withLock { $0 } > lease
    }

    /// What makes a reopened file another database than the one followed so far, in words;
    /// nil when it is the same (a checkpoint, a reopening after a failure).
    private static func fileChange(
        _ reopened: StoreLink.Reopening, createdAt: (was: Date, now: Date), version: (was: Int64, now: Int64)
    ) -> String? {
        if createdAt.now != createdAt.was {
            return "it holds a database created at \(Timestamp.string(createdAt.now)), not the one created at \(Timestamp.string(createdAt.was))"
        }
        if version.now < version.was {
            return "its state went back from version \(version.was) to \(version.now) (restored from a backup?)"
        }
        if reopened == .file(.replaced) { return "another file is at the path (replaced, e.g. from a backup)" }
        return nil
    }

    /// Publishes `state` if it is newer than the one in force, or read from a file met later,
    /// and routes by a phase of the plan. Decided inside the snapshot lock, which also
    /// serialises the publishes the sequence lock needs.
    /// - Returns: why the state was not usable, if it was not.
    private func adopt(_ state: MigrationState, plan: Plan?, generation: Int) -> Incident? {
        snapshot.withLock { snap in
            guard generation > snap.generation || state.version > snap.state.version else { return nil }
            let next = Snapshot(salt: snap.salt, plan: plan ?? snap.plan, state: state, generation: generation)
            guard let routes = next.routes else { return .unknownPhase(state.phase, version: state.version, keeping: snap.state) }
            snap = next
            self.routes.publish(rollout: state.rollout.basisPoints, version: state.version, current: routes.current, previous: routes.previous)
            return nil
        }
    }
}
