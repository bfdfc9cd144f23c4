import Foundation
import MigrationCore
import Synchronization

/// The console's loop: read keys, apply them to the pure state, reload the data when the
/// control database changes, and draw a frame only when something changed.
///
/// It blocks on the terminal for input with a timeout; between keys it asks the store
/// for a change token (SQLite's `data_version`), which costs microseconds, so an idle
/// console wakes a few times a second and redraws about once a second for its clock.
public final class ConsoleSession {
    /// How long to wait for a key before checking the database for changes.
    public static let pollMilliseconds = 250
    /// Reload at least this often, so the chart slides even when nothing is written.
    public static let maximumStaleness: TimeInterval = 10

    private let control: MigrationControl
    private let device: any TerminalDevice
    private let context: RenderContext
    private let now: @Sendable () -> Date
    public private(set) var state: ConsoleState
    public private(set) var data: ConsoleData?
    public private(set) var problem: String?
    private var lastToken: Int64?
    private var lastLoad = Date.distantPast
    private var lastSize = (width: 0, height: 0)
    private var lastDrawnSecond = -1
    /// The gate check running off the UI thread, if any.
    private var check: GateCheckInFlight?
    /// The audit chain's last verification: the newest event it covered, when, and what it found.
    private var chain: (newest: Int64?, at: Date, problem: String?)?
    /// How often the whole chain is walked again even when no event was added.
    static let chainRecheckSeconds: TimeInterval = 60
    /// Whether the operator picked the chart window (`w`); until then it follows the phase's age.
    private var windowChosen = false

    /// - Parameter quitQuestion: what `q` asks before quitting, when quitting ends more than the
    ///   console (the demo's service); nil quits at once.
    public init(control: MigrationControl, device: any TerminalDevice, context: RenderContext, readOnly: Bool,
                quitQuestion: String? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.control = control
        self.device = device
        self.context = context
        self.now = now
        state = ConsoleState(readOnly: readOnly, quitQuestion: quitQuestion)
    }

    /// Runs until the operator quits (or `maxIterations` loop turns pass, for tests).
    public func run(maxIterations: Int = .max) {
        reload()
        draw(repaint: true)
        var iterations = 0
        defer { check?.cancelAndWait() }
        while iterations < maxIterations {
            iterations += 1
            let key = device.nextKey(timeoutMilliseconds: check == nil ? Self.pollMilliseconds : 50)
            if let key, step(key) == .quit { return }
            collectCheck()
            refreshIfChanged(force: key != nil)
        }
    }

    /// Opens the advance dialog once the gate check running off the UI thread has ended.
    func collectCheck() {
        guard let check, let result = check.result else { return }
        self.check = nil
        switch result {
        case .success(let report): state.openAdvance(report, data: data)
        case .failure(let error):
            state.busy = nil
            state.message = ConsoleState.Message(error.description, isError: true)
        }
        reload()
        draw(repaint: false)
    }

    /// Applies one key and carries out its effect.
    @discardableResult
    public func step(_ key: Key) -> Effect {
        (state.log.terminalRows, state.log.terminalColumns) = (device.size.height, device.size.width)
        let window = state.window
        let effect = state.handle(key, data: data)
        if state.window != window { windowChosen = true }
        switch effect {
        case .none:
            if key == .resize { reload() }
        case .quit:
            return .quit
        case .repaint:
            draw(repaint: true)
        case .reload:
            reload()
        case .checkGates:
            check?.cancelAndWait()
            check = GateCheckInFlight(control: control)
            // Quick gates open the dialog at once; slow ones show the busy line meanwhile.
            check?.wait(upTo: .milliseconds(300))
            collectCheck()
        case .cancelCheck:
            check?.cancel()
            check = nil
        case .perform(let request, let version, let reason, let confirmation, let checked, let force):
            let result: Result<StateChange, ControlError>
            do {
                result = .success(try control.perform(request, expectVersion: version, reason: reason,
                                                      authority: AdvanceAuthority(force: force, confirmation: confirmation, checked: checked)))
            } catch {
                result = .failure(error)
            }
            state.finish(result)
            reload()
        case .clearGuard(let firing, let reason):
            state.finishClear(firing, clearGuard(firing, reason: reason))
            reload()
        case .changeJob(let job, let change):
            let result = Result { () throws(ControlStoreError) in
                let signer = control.signer
                try control.store.changeJobControl(job, change, event: AuditEvent(
                    at: now(), actor: signer.name, host: signer.host, action: job.auditAction.rawValue, details: change.summary))
            }
            state.finishJobChange(job, change, result)
            reload()
        case .tick(let phase, let item, let ticked):
            do {
                try control.store.setTick(phase: phase, item: item, ticked: ticked, by: control.signer, at: now())
            } catch {
                state.message = ConsoleState.Message(error.description, isError: true)
            }
            reload()
        }
        draw(repaint: false)
        return effect
    }

    /// Clears `firing` with an audit event by the console's operator, as `migctl guard clear` does;
    /// nil (nothing written) when it is no longer the open firing of its guard: cleared by someone
    /// else, or cleared and fired again since the operator saw it.
    private func clearGuard(_ firing: GuardFiring, reason: String) -> Result<GuardFiring?, ControlStoreError> {
        Result { () throws(ControlStoreError) -> GuardFiring? in
            let store = control.store
            let open = try store.guardFirings(openOnly: true, limit: ConsoleData.guardFiringLimit)
            guard open.contains(where: { $0.id == firing.id }) else { return nil }
            return try store.clearGuard(name: firing.name, event: GuardSummary.clearEvent(
                name: firing.name, reason: reason, by: control.signer, at: store.now()))
        }
    }

    /// Reloads when another process committed, the terminal resized, or the data is old; redraws when
    /// anything on screen would change.
    func refreshIfChanged(force: Bool) {
        let token = try? control.store.changeToken()
        let size = device.size
        let stale = now().timeIntervalSince(lastLoad) >= Self.maximumStaleness
        if token != lastToken || stale || size != lastSize {
            reload()
            draw(repaint: false)
        } else if force || Int(now().timeIntervalSince1970) != lastDrawnSecond {
            data?.now = now()
            draw(repaint: false)
        }
    }

    private func reload() {
        let size = device.size
        do {
            lastToken = try control.store.changeToken()
            var loaded = try ConsoleData.load(
                from: control.store, window: state.window,
                slots: ConsoleView.chartSlots(width: size.width, height: size.height), actor: control.signer.name, now: now())
            loaded.auditChainBreak = verifiedChain(newest: loaded.recentEvents.first?.id)
            data = loaded
            problem = nil
        } catch {
            problem = error.description
            data?.now = now()
        }
        lastLoad = now()
        fitWindow()
    }

    /// Until the operator picks a chart window with `w`, the chart shows the smallest window
    /// that covers the current phase (``ChartWindow/fitting(_:)``): the phase's own series
    /// start when it was entered, so a 5-minute-old phase fills the chart, not a few columns.
    private func fitWindow() {
        guard !windowChosen, let data else { return }
        let fitted = ChartWindow.fitting(now().timeIntervalSince(data.state.phaseSince))
        guard fitted != state.window else { return }
        state.window = fitted
        reload()
    }

    /// The audit chain's break, walked again when an event was added or a minute has passed.
    private func verifiedChain(newest: Int64?) -> String? {
        if let chain, chain.newest == newest, now().timeIntervalSince(chain.at) < Self.chainRecheckSeconds { return chain.problem }
        let found: String?
        do {
            found = try control.store.verifyAuditChain()?.description
        } catch {
            found = nil
        }
        chain = (newest, now(), found)
        return found
    }

    /// Draws a frame; a new terminal size always repaints every cell, since the terminal
    /// may have moved or dropped what it showed.
    private func draw(repaint: Bool) {
        let size = device.size
        let repaint = repaint || size != lastSize
        lastSize = size
        // Messages are stamped and expire by this clock; the loop draws at least once a second.
        state.ageMessage(now: now())
        var screen = Screen(width: size.width, height: size.height)
        ConsoleView.render(data: data, state: state, operatorName: "\(control.signer.name)@\(control.signer.host)",
                           problem: problem, context: context, into: &screen)
        device.present(screen, repaint: repaint)
        lastDrawnSecond = Int(now().timeIntervalSince1970)
    }
}

/// One evaluation of the next phase's gates on a thread of its own, so the console keeps
/// answering keys while a command check runs.
final class GateCheckInFlight: Sendable {
    private let outcome = Mutex<Result<GateReport?, ControlStoreError>?>(nil)
    private let flag = CancelFlag()
    private let done = DispatchSemaphore(value: 0)

    init(control: MigrationControl) {
        let thread = Thread { [self] in
            let result = Result { () throws(ControlStoreError) in try control.checkNext(cancel: flag) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        thread.name = "migctl-gates"
        thread.start()
    }

    /// The report, once the check has ended.
    var result: Result<GateReport?, ControlStoreError>? { outcome.withLock { $0 } }

    /// Waits for the check to end, for at most `limit`.
    func wait(upTo limit: Duration) {
        if done.wait(timeout: .now() + .milliseconds(limit.wholeMilliseconds)) == .success {
            done.signal()
        }
    }

    /// Kills any command check still running; its result is ignored.
    func cancel() { flag.set() }

    /// Cancels and waits until the thread has stopped its programs.
    func cancelAndWait() {
        flag.set()
        done.wait()
        done.signal()
    }
}
