import Console
import Foundation
import MigrationCore
import Testing

/// The guard's rows on the dashboard: whether one acts, what fired with its figures, the next
/// automatic ramp step, failing notification targets; and values a foreign writer could store.
struct GuardViewTests {
    func rows(_ screen: Screen) -> [String] { screen.lines.map { String($0.reversed().drop { $0 == " " }.reversed()) } }

    /// The rows from the guard's first row on (the next phase's gates above it vary with the fixture).
    func guardRows(_ screen: Screen) -> [String] { Array(rows(screen).drop { !$0.hasPrefix(" Guard") }) }

    @Test func nothingFiredIsOneRowWithTheLeaseAndTheNextRampStep() {
        let screen = frame(Fixtures.guarded())
        let lines = guardRows(screen)
        #expect(lines[0] == " Guard    guard@db1 pid 4242 #9f2c acting · ramp 50% in 20m · watching 2")
        #expect(lines[1] == " Recent", "one row only: the audit list keeps the rest")
        #expect(lines[2].contains("ana  rollout"), "events still show: \(lines)")
    }

    @Test func aPlanWithoutGuardsAndNoGuardShowsNoGuardRowAtAll() {
        #expect(!frame(Fixtures.data()).text.contains("Guard"))
        // The same plan with a lease (a guard that only notifies) does show it.
        var data = Fixtures.data()
        data.guardLease = Fixtures.lease()
        data.guardStatus = data.guardLease?.decodedStatus
        #expect(frame(data).text.contains("Guard    guard@db1 pid 4242 #9f2c acting · watching 2\n"))
    }

    @Test func aHoldFiredShowsItsFiguresAndTheKeyAndHoldsTheRamp() {
        let screen = frame(Fixtures.guarded(firings: [Fixtures.firing()]))
        assertSnapshot(screen, named: "dashboard-guard-held-80x24")
        let lines = guardRows(screen)
        #expect(lines[0] == " Guard    guard@db1 pid 4242 #9f2c acting · ramp 50% held · watching 2")
        #expect(lines[1] == "   ✗ HOLD new-store-errors 0.05 (50/1000) want ≤ 0.01 · since 08:40 · G clears")
        #expect(lines[2] == " Recent")
        let readOnly = guardRows(frame(Fixtures.guarded(firings: [Fixtures.firing()]), state: ConsoleState(readOnly: true)))
        #expect(readOnly[1] == "   ✗ HOLD new-store-errors 0.05 (50/1000) want ≤ 0.01 · since 08:40", "no key offered read-only")
    }

    @Test func aNotifyFiringIsMarkedApartAndHoldsNothing() {
        let text = frame(Fixtures.guarded(firings: [Fixtures.firing("replication-lag", action: "notify", observed: "31", bound: "≤ 10")])).text
        #expect(text.contains("   ! NOTIFY replication-lag 31 want ≤ 10 · since 08:40 · G clears"))
        #expect(text.contains("ramp 50% in 20m"), "a notify guard does not hold the ramp")
    }

    @Test func anExpiredLeaseSaysNoneActsAndDropsItsStaleFigures() {
        var status = GuardStatus(intervalSeconds: 5, guards: [GuardStatus.Watched(name: "x", action: "hold", status: .pass, observed: "1", bound: "≤ 2")],
                                 targets: [GuardStatus.Target(name: "slack hooks.example.com:443", delivered: 0, failed: 4, pending: 0, lastError: "HTTP 500")])
        status.waiting = "stale"
        let text = frame(Fixtures.guarded(lease: Fixtures.lease(alive: false, status: status))).text
        #expect(text.contains(" Guard    none acting (lease expired 08:00) · ramp 50% needs a guard running\n Recent"))
        #expect(!text.contains("watching") && !text.contains("hooks.example.com") && !text.contains("stale"))
    }

    @Test func aGuardThatNeverRanSaysSo() {
        let text = frame(Fixtures.guarded(lease: nil)).text
        #expect(text.contains(" Guard    never ran on this store · ramp 50% needs a guard running\n Recent"))
        let done = frame(Fixtures.guarded(lease: nil, rollout: 10_000)).text
        #expect(done.contains(" Guard    never ran on this store\n Recent"), "no step left at 100%")
    }

    @Test func aRampLoweredByAPersonIsPausedNotDue() {
        var data = Fixtures.guarded()
        data.recentEvents[0].fromRollout = try! Rollout(percent: "50")
        data.recentEvents[0].actor = "bo"
        #expect(frame(data).text.contains(" Guard    guard@db1 pid 4242 #9f2c acting · ramp paused: lowered by bo · watch"))
    }

    @Test func aDueStepAndWhatTheGuardWaitsFor() {
        var data = Fixtures.guarded()
        data.state.changedAt = data.now.addingTimeInterval(-7200)
        #expect(frame(data).text.contains("acting · ramp 50% due now · watching 2"))
        var status = GuardStatus(intervalSeconds: 5)
        status.waiting = "'new-primary' is irreversible: entering it takes a person"
        let waiting = frame(Fixtures.guarded(lease: Fixtures.lease(status: status), rollout: 10_000)).text
        #expect(waiting.contains(" Guard    guard@db1 pid 4242 #9f2c acting · 'new-primary' is irreversible: ente\n"))
    }

    @Test func aFailingNotificationTargetIsCountedAndShown() {
        let status = GuardStatus(intervalSeconds: 5, targets: [
            GuardStatus.Target(name: "json hooks.example.com:443", delivered: 12, failed: 0, pending: 0),
            GuardStatus.Target(name: "slack hooks.slack.com:443", delivered: 3, failed: 2, pending: 1, lastError: "HTTP 500"),
        ])
        let lines = guardRows(frame(Fixtures.guarded(lease: Fixtures.lease(status: status))))
        #expect(lines[0] == " Guard    guard@db1 pid 4242 #9f2c acting · ramp 50% in 20m")
        #expect(lines[1] == "   ! notify slack hooks.slack.com:443: 2 failed, 1 pending · HTTP 500")
        #expect(!lines.joined().contains("json hooks"), "a target that delivers is not news")
    }

    @Test func manyRowsLeaveTheAuditListItsTitleAndOneEvent() {
        let firings = (1...6).map { Fixtures.firing("guard-\($0)", id: Int64($0)) }
        let status = GuardStatus(intervalSeconds: 5, targets: [GuardStatus.Target(name: "exec /bin/page", delivered: 0, failed: 9, pending: 3)])
        let lines = guardRows(frame(Fixtures.guarded(lease: Fixtures.lease(status: status), firings: firings)))
        #expect(lines[1].contains("HOLD guard-1"), "\(lines)")
        #expect(lines[2] == "   +6 more: migctl guard status shows them all", "guard-2 to guard-6 and the target")
        #expect(lines[3] == " Recent" && lines[4].contains("08:50:00  ana  rollout"))
        // A taller terminal shows them all.
        let tall = frame(Fixtures.guarded(lease: Fixtures.lease(status: status), firings: firings), width: 100, height: 40).text
        #expect(tall.contains("HOLD guard-6") && tall.contains("! notify exec /bin/page: 9 failed, 3 pending") && !tall.contains("more:"))
    }

    @Test func inASCIIEveryGuardRowIsASCII() {
        let status = GuardStatus(intervalSeconds: 5, targets: [GuardStatus.Target(name: "slack", delivered: 0, failed: 1, pending: 0)])
        let screen = frame(Fixtures.guarded(lease: Fixtures.lease(status: status), firings: [Fixtures.firing()]), glyphs: .ascii)
        #expect(screen.lines.allSatisfy { $0.unicodeScalars.allSatisfy(\.isASCII) })
        #expect(screen.text.contains("   x HOLD new-store-errors 0.05 (50/1000) want ? 0.01 - since 08:40 - G clears"))
    }

    /// Values a foreign writer (or a broken guard) can store: escapes, bidi overrides, newlines,
    /// wide characters, and strings as long as the store takes (and longer).
    @Test func hostileValuesAreNeutralisedAndKeepTheLayout() {
        let evil = "\u{1b}]0;owned\u{07}\u{1b}[2J\u{202e}\n\r\u{9b}31m"
        let holder = evil + String(repeating: "漢", count: 120) + evil
        let observed = evil + String(repeating: "9", count: 100_000) + "e\u{301}" + String(repeating: "\u{301}", count: 60_000)
        // As large as a status the console reads (64 KiB); a larger one is not read at all.
        let status = GuardStatus(
            intervalSeconds: 5,
            guards: [GuardStatus.Watched(name: evil, action: evil, status: .unknown, observed: String(observed.prefix(20_000)), bound: evil)],
            targets: [GuardStatus.Target(name: evil + String(repeating: "x", count: 10_000), delivered: .max, failed: .max, pending: .min,
                                         lastError: evil + String(repeating: "🚀", count: 2000))],
            waiting: evil)
        #expect(Fixtures.lease(status: status).decodedStatus == status)
        var data = Fixtures.guarded(lease: Fixtures.lease(holder: holder, status: status),
                                    firings: [Fixtures.firing(evil + "名前", action: evil, observed: observed, bound: observed),
                                              Fixtures.firing("ok", id: 2, observed: "", bound: "")])
        data.guardFirings[0].phase = evil
        for (width, height) in [(80, 24), (81, 25), (120, 40)] {
            let screen = frame(data, width: width, height: height)
            for line in screen.lines { #expect(DisplayWidth.of(line) == width, "\(line)") }
            let text = screen.text
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7f...0x9f).contains($0.value) || $0.value == 0x202e })
            #expect(text.contains(" Guard    ?]0;owned??[2J????31m漢漢"), "\(text)")
            #expect(text.contains("漢… acting · ramp 50% held · watching 1"))
            if height > 24 { #expect(text.contains("   ! notify ?]0;owned??[2J????31mxxx")) }
            let fired = screen.lines.filter { $0.contains(" · since ") }
            // At 80x24 the next phase's gates take rows too: the first firing shows, the rest are counted.
            #expect(fired.count == (height == 24 ? 1 : 2) && fired.allSatisfy { $0.contains(" · G clears") },
                    "the key stays on the row, however long the figures")
            #expect(text.contains(" Recent"))
        }
        // The clear dialog too.
        var state = ConsoleState()
        _ = state.handle(.character("G"), data: data)
        _ = state.handle(.enter, data: data)
        let screen = frame(data, state: state)
        for line in screen.lines { #expect(DisplayWidth.of(line) == 80, "\(line)") }
        #expect(screen.text.contains("Reason (for the audit log):"))
        #expect(!screen.text.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x202e })
    }

    @Test func anUnreadableLeaseIsAWarningNotAFailure() {
        var data = Fixtures.guarded(lease: nil)
        data.guardProblem = "guard_lease row '1': expires_at holds 'soon', not an instant"
        #expect(frame(data).text.contains(" Guard    the lease cannot be read: guard_lease row '1': expires_at holds 'soon\n"))
    }
}
