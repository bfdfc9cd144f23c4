import Dispatch
import NIOCore
import NIOHTTP1
import Synchronization

/// One webhook request's life, shared by the event loop, which connects and reads the answer,
/// and the delivering thread, which waits for it, gives up at the deadline or cancels.
///
/// The first outcome wins: the answer's status, or the first error. Whoever gives up calls
/// ``abandon()``, which closes the channel now or, if it is still connecting, as soon as it
/// connects: no connection outlives its delivery.
///
/// ```swift
/// let exchange = WebhookExchange(request: endpoint.request(body: bytes))
/// bootstrap.connect(to: address).whenComplete { exchange.connected($0) }
/// while exchange.wait(for: .milliseconds(50)) == nil { … }   // on the delivering thread
/// ```
final class WebhookExchange: Sendable {
    /// What the channel's handler writes once connected.
    let request: WebhookRequest
    private let state = Mutex(State())
    private let settled = DispatchSemaphore(value: 0)

    private struct State {
        var channel: (any Channel)?
        var abandoned = false
        var outcome: Result<Int, any Error>?
    }

    init(request: WebhookRequest) {
        self.request = request
    }

    /// The connect attempt's result; called on the event loop.
    func connected(_ result: Result<any Channel, any Error>) {
        switch result {
        case .success(let channel):
            let late = state.withLock { state in
                state.channel = channel
                return state.abandoned
            }
            if late { channel.close(promise: nil) }
        case .failure(let error):
            settle(.failure(error))
        }
    }

    /// The answer's status code, or why there is none; only the first call counts.
    func settle(_ outcome: Result<Int, any Error>) {
        let first = state.withLock { state in
            guard state.outcome == nil else { return false }
            state.outcome = outcome
            return true
        }
        if first { settled.signal() }
    }

    /// Waits at most `limit` for the outcome; called on the delivering thread, never on the loop.
    func wait(for limit: Duration) -> Result<Int, any Error>? {
        let (seconds, attoseconds) = limit.components
        let nanoseconds = max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        _ = settled.wait(timeout: .now() + .nanoseconds(Int(clamping: nanoseconds)))
        return state.withLock { $0.outcome }
    }

    /// Gives the request up (cancel, deadline): closes its channel, now or once connected.
    func abandon() {
        let channel = state.withLock { state in
            state.abandoned = true
            return state.channel
        }
        channel?.close(promise: nil)
    }
}

/// Writes the request when the connection is up, then reads the answer's head and closes:
/// the status is all a webhook's answer is for, its body is never read into memory.
final class WebhookResponseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let exchange: WebhookExchange
    private var sent = false
    private var answered = false

    init(exchange: WebhookExchange) {
        self.exchange = exchange
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { send(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        send(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Informational answers (1xx but 101) never get here: the decoder drops them.
        guard !answered, case .head(let head) = unwrapInboundIn(data) else { return }
        answered = true
        exchange.settle(.success(Int(head.status.code)))
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        exchange.settle(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange.settle(.failure(WebhookConnectionClosed()))
        context.fireChannelInactive()
    }

    /// Head, body and end in one flush; through TLS, they wait in NIOSSL until the handshake is done.
    private func send(context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        let request = exchange.request
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: request.body)))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        let exchange = exchange, channel = context.channel
        written.futureResult.whenFailure { error in
            exchange.settle(.failure(error))
            channel.close(promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
    }
}

/// The connection closed before the answer's head arrived.
struct WebhookConnectionClosed: Error {}
