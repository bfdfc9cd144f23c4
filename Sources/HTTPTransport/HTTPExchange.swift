import Dispatch
import NIOCore
import NIOHTTP1
import Synchronization

/// One request's life, shared by the event loop, which connects and reads the answer, and the
/// calling thread, which waits for it, gives up at the deadline or cancels.
///
/// The first outcome wins: the answer, or the first error. Whoever gives up calls
/// ``abandon()``, which closes the channel now or, if it is still connecting, as soon as it
/// connects: no connection outlives its request.
///
/// ```swift
/// let exchange = HTTPExchange(head: head, body: bytes, bodyLimit: 0)
/// bootstrap.connect(to: address).whenComplete { exchange.connected($0) }
/// while exchange.wait(for: .milliseconds(50)) == nil { … }   // on the calling thread
/// ```
final class HTTPExchange: Sendable {
    /// What the channel's handler writes once connected.
    let head: HTTPRequestHead
    let body: [UInt8]
    /// How many bytes of the answer's body are read; 0 reads the head only.
    let bodyLimit: Int
    private let state = Mutex(State())
    private let settled = DispatchSemaphore(value: 0)

    private struct State {
        var channel: (any Channel)?
        var abandoned = false
        var outcome: Result<HTTPResponse, any Error>?
    }

    init(head: HTTPRequestHead, body: [UInt8], bodyLimit: Int) {
        self.head = head
        self.body = body
        self.bodyLimit = bodyLimit
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

    /// The answer, or why there is none; only the first call counts.
    func settle(_ outcome: Result<HTTPResponse, any Error>) {
        let first = state.withLock { state in
            guard state.outcome == nil else { return false }
            state.outcome = outcome
            return true
        }
        if first { settled.signal() }
    }

    /// Waits at most `limit` for the outcome; called on the calling thread, never on the loop.
    func wait(for limit: Duration) -> Result<HTTPResponse, any Error>? {
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

/// Writes the request when the connection is up, then reads the answer and closes: the head
/// alone when the exchange wants no body (a webhook's answer is its status), else the body up
/// to the exchange's limit, and not a byte past it.
final class HTTPResponseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let exchange: HTTPExchange
    /// The server as failure sentences name it (`host:port`).
    private let shown: String
    private var sent = false
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var done = false

    init(exchange: HTTPExchange, shown: String) {
        self.exchange = exchange
        self.shown = shown
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
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            let length = head.headers.first(name: "content-length").flatMap { Int($0) }
            if exchange.bodyLimit == 0 {
                finish(context: context)
            } else if let length, length > exchange.bodyLimit {
                fail(HTTPFailure.bodyTooLarge(server: shown, limit: exchange.bodyLimit), context: context)
            }
        case .body(var buffer):
            guard buffer.readableBytes <= exchange.bodyLimit - body.count else {
                return fail(HTTPFailure.bodyTooLarge(server: shown, limit: exchange.bodyLimit), context: context)
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            finish(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        exchange.settle(.failure(HTTPConnectionClosed()))
        context.fireChannelInactive()
    }

    private func finish(context: ChannelHandlerContext) {
        guard let head else { return }
        done = true
        exchange.settle(.success(HTTPResponse(status: Int(head.status.code), contentType: head.headers.first(name: "content-type"),
                                              body: body)))
        context.close(promise: nil)
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        done = true
        exchange.settle(.failure(error))
        context.close(promise: nil)
    }

    /// Head, body and end in one flush; through TLS, they wait in NIOSSL until the handshake is done.
    private func send(context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if !exchange.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: exchange.body)))), promise: nil)
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        let exchange = exchange, channel = context.channel
        written.futureResult.whenFailure { error in
            exchange.settle(.failure(error))
            channel.close(promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
    }
}

/// The connection closed before the whole answer arrived.
struct HTTPConnectionClosed: Error {}
