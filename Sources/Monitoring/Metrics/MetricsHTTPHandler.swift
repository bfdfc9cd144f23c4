import NIOCore
import NIOHTTP1
import NIOPosix

/// One connection of ``MetricsServer``: routes each request and writes its answer.
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let pool: NIOThreadPool
    private let exposition: @Sendable () -> [UInt8]
    private var request: HTTPRequestHead?

    init(pool: NIOThreadPool, exposition: @escaping @Sendable () -> [UInt8]) {
        self.pool = pool
        self.exposition = exposition
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break   // a scrape has no body; whatever a client sends is dropped
        case .end:
            guard let head = request else { return }
            request = nil
            answer(head, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = Self.path(of: head.uri)
        guard head.method == .GET || head.method == .HEAD else {
            return respond(head, .methodNotAllowed, Array("only GET and HEAD are served here\n".utf8), context: context,
                           extra: [("Allow", "GET, HEAD")])
        }
        switch path {
        case "/metrics":
            let loop = context.eventLoop, bound = NIOLoopBound((self, context), eventLoop: loop)
            let channel = context.channel, exposition = exposition
            // A scrape whose client went away while it waited its turn is not made.
            pool.runIfActive(eventLoop: loop) { channel.isActive ? exposition() : nil }.whenComplete { result in
                let (handler, context) = bound.value
                switch result {
                case .success(let body?):
                    handler.respond(head, .ok, body, context: context, contentType: PrometheusExposition.contentType)
                case .success(nil):
                    break
                case .failure:
                    handler.respond(head, .serviceUnavailable, Array("migctl metrics is stopping\n".utf8), context: context)
                }
            }
        case "/":
            respond(head, .ok, Array("migctl metrics: the Prometheus exposition is at /metrics\n".utf8), context: context)
        default:
            respond(head, .notFound, Array("not found; the metrics are at /metrics\n".utf8), context: context)
        }
    }

    /// The path of a request target: origin form (`/metrics?x`) or absolute form
    /// (`http://host:9464/metrics`, which RFC 9112 asks servers to accept).
    static func path(of target: String) -> String {
        var rest = Substring(target)
        if let scheme = rest.range(of: "://"), rest[..<scheme.lowerBound].allSatisfy(\.isLetter) {
            rest = rest[scheme.upperBound...]
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        return String(rest.prefix { $0 != "?" && $0 != "#" })
    }

    private func respond(_ head: HTTPRequestHead, _ status: HTTPResponseStatus, _ body: [UInt8], context: ChannelHandlerContext,
                         contentType: String = "text/plain; charset=utf-8", extra: [(String, String)] = []) {
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", String(body.count))] + extra)
        let keepAlive = head.isKeepAlive
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
