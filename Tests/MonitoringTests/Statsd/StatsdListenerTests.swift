import Foundation
import Monitoring
import Testing
import TestSupport

/// The UDP side, on real loopback sockets: binding, receiving whole datagrams, the kernel's
/// drop counter, and `/proc/net/udp` read as the kernel writes it.
struct StatsdListenerTests {
    /// A UDP socket that sends to `port` on loopback.
    final class Sender {
        let fd: Int32
        var address = sockaddr_in()

        init(port: Int) {
            fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        }

        func send(_ bytes: [UInt8]) {
            let sent = bytes.withUnsafeBytes { buffer in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            #expect(sent == bytes.count, "sendto: \(String(cString: strerror(errno)))")
        }

        deinit { close(fd) }
    }

    @Test func itReceivesWholeDatagramsOnThePortTheKernelGave() throws {
        let listener = try StatsdListener(ListenAddress("127.0.0.1:0"), receiveBuffer: 1 << 20)
        #expect(listener.address.host == "127.0.0.1" && listener.address.port > 0)
        #expect(listener.receiveBufferBytes >= 200_000, "granted \(listener.receiveBufferBytes)")
        let sender = Sender(port: listener.address.port)
        let big = Array(repeating: UInt8(ascii: "a"), count: 65_000)
        sender.send(Array("hit:1|c".utf8))
        sender.send([])
        sender.send(big)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: StatsdListener.datagramCapacity, alignment: 8)
        defer { buffer.deallocate() }
        var received: [[UInt8]] = []
        #expect(eventually {
            if let length = listener.receive(into: buffer, waiting: true) { received.append(Array(buffer[..<length])) }
            return received.count == 3
        })
        #expect(received == [Array("hit:1|c".utf8), [], big])
        #expect(listener.receive(into: buffer, waiting: false) == nil, "nothing more, at once")
        let start = ContinuousClock.now
        #expect(listener.receive(into: buffer, waiting: true) == nil)
        #expect(ContinuousClock.now - start < .seconds(2), "a wait ends after about \(StatsdListener.wait) s")
        #expect(listener.kernelDrops() == 0)
    }

    @Test func aPortInUseIsOneSentenceAndIPv6Binds() throws {
        let first = try StatsdListener(ListenAddress("127.0.0.1:0"), receiveBuffer: 1 << 16)
        #expect(throws: StatsdListenError.self) {
            try StatsdListener(ListenAddress("127.0.0.1:\(first.address.port)"), receiveBuffer: 1 << 16)
        }
        do {
            _ = try StatsdListener(ListenAddress("127.0.0.1:\(first.address.port)"), receiveBuffer: 1 << 16)
        } catch let error as StatsdListenError {
            #expect(error.description == "could not listen for statsd on UDP 127.0.0.1:\(first.address.port): address already in use; stop what listens there, or choose another --listen.")
        }
        let v6 = try StatsdListener(ListenAddress("[::1]:0"), receiveBuffer: 1 << 16)
        #expect(v6.address.host == "::1" && v6.address.port > 0)
        #expect(v6.kernelDrops() == 0, "found in /proc/net/udp6")
        #expect(throws: StatsdListenError.self) { try StatsdListener(ListenAddress("192.0.2.1:0"), receiveBuffer: 1 << 16) }
    }

    /// A small buffer nobody reads overflows; the kernel counts each datagram it drops, and both
    /// the listener (by its socket) and `UDPDrops` (by port) read the same number.
    @Test func overflowShowsInTheKernelsDropCounter() throws {
        let listener = try StatsdListener(ListenAddress("127.0.0.1:0"), receiveBuffer: 1 << 16)
        let sender = Sender(port: listener.address.port)
        let packet = Array(repeating: UInt8(ascii: "x"), count: 1000)
        for _ in 0..<2000 { sender.send(packet) }
        let drops = try #require(listener.kernelDrops())
        #expect(drops > 0 && drops < 2000, "\(drops)")
        #expect(UDPDrops.drops(port: UInt16(listener.address.port)) == drops)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: StatsdListener.datagramCapacity, alignment: 8)
        defer { buffer.deallocate() }
        var read: Int64 = 0
        while listener.receive(into: buffer, waiting: false) != nil { read += 1 }
        #expect(read + drops == 2000, "every datagram either read or counted as dropped: \(read) + \(drops)")
    }

    @Test func procNetUDPParses() {
        let text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
             1234: 0100007F:1FBD 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 98765 2 0000000000000000 17
             1235: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 111 2 0000000000000000 0
             garbage line
             1236: 00000000000000000000000001000000:1FBD 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 5

            """
        let sockets = UDPDrops.sockets(in: text)
        #expect(sockets == [
            UDPDrops.Socket(localPort: 8125, inode: 98765, drops: 17),
            UDPDrops.Socket(localPort: 68, inode: 111, drops: 0),
            UDPDrops.Socket(localPort: 8125, inode: 4242, drops: 5),
        ])
        #expect(UDPDrops.sockets(in: "").isEmpty && UDPDrops.sockets(in: "\u{0}\u{FF}\n1: x").isEmpty)
        #expect(UDPDrops.drops(port: 8125, files: ["/nonexistent"]) == nil)
    }
}
