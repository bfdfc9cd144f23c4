#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import MigrationCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

extension HTTPFailure {
    /// One clause for a request that got no answer, built from the error's type and code only:
    /// an error's own text may quote more than `host:port`.
    ///
    /// ```swift
    /// HTTPFailure.from(IOError(errnoCode: ECONNREFUSED, reason: "connect"), at: endpoint, timeout: .seconds(10))
    /// // .unreachable("could not connect to 127.0.0.1:9")
    /// ```
    static func from(_ error: any Error, at endpoint: HTTPEndpoint, timeout: Duration) -> HTTPFailure {
        let shown = endpoint.shown
        switch error {
        case let error as HTTPFailure:
            return error
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return from(first.error, at: endpoint, timeout: timeout) }
            return .unreachable("could not resolve the host of \(shown)")
        case ChannelError.connectTimeout:
            return .timedOut(server: shown, seconds: timeout.roundedUpSeconds)
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: return .unreachable("could not connect to \(shown)")
            case ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL: return .unreachable("no network route to \(shown)")
            case ETIMEDOUT: return .timedOut(server: shown, seconds: timeout.roundedUpSeconds)
            case ECONNRESET, EPIPE, ECONNABORTED: return .unreachable("the connection to \(shown) was lost before an answer")
            default: return .unreachable("the request to \(shown) failed (\(errnoName(error.errnoCode)))")
            }
        case is HTTPConnectionClosed, NIOSSLError.uncleanShutdown, ChannelError.eof, ChannelError.ioOnClosedChannel,
             ChannelError.alreadyClosed, ChannelError.outputClosed:
            return .unreachable("the connection to \(shown) was lost before an answer")
        case let error as NIOSSLExtraError where error == .failedToValidateHostname:
            let name = endpoint.serverName ?? endpoint.host
            return .unreachable("the TLS handshake with \(shown) failed: its certificate is not valid for \(name.terminalSafe)")
        case NIOSSLError.handshakeFailed(let cause):
            return tlsFailure(cause, at: shown)
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            return .unreachable("the TLS handshake with \(shown) failed")
        case is HTTPParserError:
            return .unreachable("\(shown) answered something that is not HTTP")
        default:
            return .unreachable("the request to \(shown) failed (\(String(describing: type(of: error)).terminalSafe))")
        }
    }

    private static func tlsFailure(_ cause: BoringSSLError, at shown: String) -> HTTPFailure {
        guard case .sslError(let stack) = cause else { return .unreachable("the TLS handshake with \(shown) failed") }
        if stack.contains(.eofDuringHandshake) || stack.contains(.eofDuringAdditionalCertficiateChainValidation) {
            return .unreachable("\(shown) closed the connection during the TLS handshake")
        }
        let reasons = stack.map { reason(of: $0) }
        if reasons.contains("CERTIFICATE_VERIFY_FAILED") {
            return .unreachable("the TLS handshake with \(shown) failed: its certificate could not be verified "
                + "(not issued by a trusted root, expired or not yet valid)")
        }
        guard let first = reasons.first(where: { !$0.isEmpty }) else { return .unreachable("the TLS handshake with \(shown) failed") }
        return .unreachable("the TLS handshake with \(shown) failed (\(first))")
    }

    /// BoringSSL's reason code (`CERTIFICATE_VERIFY_FAILED`) from an error's text
    /// (`Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at file:line`);
    /// nothing else of that text is kept.
    private static func reason(of error: BoringSSLInternalError) -> String {
        let text = String(describing: error)
        let message = text.range(of: " at ").map { text[..<$0.lowerBound] } ?? text[...]
        let last = message.split(separator: ":").last ?? ""
        let code = last.filter { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }
        return code.count == last.count ? String(code.prefix(60)) : ""
    }

    /// The C library's words for `code` and the number: "Broken pipe, errno 32".
    private static func errnoName(_ code: CInt) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return "\(String(cString: text).terminalSafe), errno \(code)"
    }
}
