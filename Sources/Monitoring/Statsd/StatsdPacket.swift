/// The statsd wire format: a datagram of metric lines, each `name:value|type` with optional
/// fields, parsed from bytes without trusting any of them.
///
/// ```swift
/// let packet = Array("hit:1|c\nmiss:1|c|@0.1|#migration:users\n".utf8)
/// StatsdPacket.lines(in: packet)   // [.metric(hit …), .metric(miss … sampleRate 0.1, tags ["migration:users"])]
/// ```
///
/// Lines are separated by `\n` (a `\r` before it is dropped) and empty lines are not lines, so
/// a trailing newline is harmless. After `name:value|type` come, in any order and each at most
/// once, `@rate`, `#tags`, and DogStatsD's `T<unix time>` and `key:value` fields (`c:container`,
/// `e:…`, `card:…`), which are accepted and ignored. The value of a counter or gauge must be a
/// plain decimal number (`12`, `-0.5`, `1e3`): `nan`, `inf` and hexadecimal are invalid.
/// Values of the other types are not read, since migctl skips them whatever they hold.
public enum StatsdPacket {
    /// The longest value or rate read, in bytes; a longer one is invalid.
    static let maximumNumberLength = 64

    /// Calls `body` with each non-empty line of `packet`.
    public static func forEachLine(in packet: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        var start = 0
        let count = packet.count
        while start < count {
            var end = start
            while end < count, packet[end] != newline { end += 1 }
            var stop = end
            if stop > start, packet[stop - 1] == carriageReturn { stop -= 1 }
            if stop > start { try body(UnsafeRawBufferPointer(rebasing: packet[start..<stop])) }
            start = end + 1
        }
    }

    /// Every line of `packet`, parsed: for tests and tools; the listener uses ``forEachLine(in:_:)``.
    public static func lines(in packet: [UInt8]) -> [StatsdLine] {
        packet.withUnsafeBytes { bytes in
            var lines: [StatsdLine] = []
            forEachLine(in: bytes) { lines.append(parse($0)) }
            return lines
        }
    }

    /// Parses one line (without its newline).
    public static func parse(_ line: UnsafeRawBufferPointer) -> StatsdLine {
        if line.first == 0x5F, line.starts(with: eventStart) || line.starts(with: serviceCheckStart) { return .event }
        guard let nameEnd = line.firstIndex(of: colon) else { return .problem(.noValue) }
        guard nameEnd > 0 else { return .problem(.noName) }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: line[..<nameEnd]), as: UTF8.self)

        var fields = FieldCursor(line, from: nameEnd + 1)
        guard let valueField = fields.next(), let typeField = fields.next() else { return .problem(.noType) }
        guard let type = statsdType(typeField) else { return .problem(.badType) }

        var metric = StatsdMetric(name: name, type: type)
        if type == .counter || type == .gauge {
            guard let (value, signed) = decimal(valueField, signAllowed: true) else { return .problem(.badValue) }
            metric.value = value
            metric.signed = signed
        }
        var seenRate = false, seenTags = false, seenTime = false
        var seenKeys: [[UInt8]] = []
        while let field = fields.next() {
            guard let first = field.first else { return .problem(.badField) }
            switch first {
            case at:
                guard !seenRate else { return .problem(.repeatedField) }
                seenRate = true
                guard let (rate, signed) = decimal(UnsafeRawBufferPointer(rebasing: field.dropFirst()), signAllowed: false), !signed,
                      rate > 0, rate <= 1 else { return .problem(.badRate) }
                metric.sampleRate = rate
            case hash:
                guard !seenTags else { return .problem(.repeatedField) }
                seenTags = true
                metric.tags = tags(UnsafeRawBufferPointer(rebasing: field.dropFirst()))
            case capitalT where field.count > 1 && field.dropFirst().allSatisfy(isDigit):
                guard !seenTime else { return .problem(.repeatedField) }
                seenTime = true
            default:
                guard let key = extensionKey(field) else { return .problem(.badField) }
                guard !seenKeys.contains(key) else { return .problem(.repeatedField) }
                seenKeys.append(key)
            }
        }
        return .metric(metric)
    }

    // MARK: - Pieces

    /// The fields after the name, split at `|`: the value first, then the type, then the extras.
    struct FieldCursor {
        let line: UnsafeRawBufferPointer
        var position: Int?

        init(_ line: UnsafeRawBufferPointer, from start: Int) {
            self.line = line
            position = start
        }

        mutating func next() -> UnsafeRawBufferPointer? {
            guard let start = position else { return nil }
            var end = start
            while end < line.count, line[end] != pipe { end += 1 }
            position = end < line.count ? end + 1 : nil
            return UnsafeRawBufferPointer(rebasing: line[start..<end])
        }
    }

    static func statsdType(_ field: UnsafeRawBufferPointer) -> StatsdType? {
        switch field.count {
        case 1:
            switch field[0] {
            case UInt8(ascii: "c"): .counter
            case UInt8(ascii: "g"): .gauge
            case UInt8(ascii: "h"): .histogram
            case UInt8(ascii: "d"): .distribution
            case UInt8(ascii: "s"): .set
            default: nil
            }
        case 2 where field[0] == UInt8(ascii: "m") && field[1] == UInt8(ascii: "s"): .timer
        default: nil
        }
    }

    /// A plain decimal number, `[+-]?(digits[.digits]|.digits)([eE][+-]?digits)?`, finite, with
    /// whether it had a sign; nil for anything else.
    static func decimal(_ text: UnsafeRawBufferPointer, signAllowed: Bool) -> (Double, Bool)? {
        // The common case, a few digits (`1`, `500`), without going through a String.
        if (1...15).contains(text.count), text.allSatisfy(isDigit) {
            return (Double(text.reduce(0) { $0 * 10 + Int64($1 &- UInt8(ascii: "0")) }), false)
        }
        guard (1...maximumNumberLength).contains(text.count) else { return nil }
        var i = 0
        let signed = text[0] == plus || text[0] == minus
        if signed {
            guard signAllowed else { return nil }
            i = 1
        }
        var mantissaDigits = 0
        while i < text.count, isDigit(text[i]) { i += 1; mantissaDigits += 1 }
        if i < text.count, text[i] == dot {
            i += 1
            while i < text.count, isDigit(text[i]) { i += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { return nil }
        if i < text.count, text[i] == UInt8(ascii: "e") || text[i] == UInt8(ascii: "E") {
            i += 1
            if i < text.count, text[i] == plus || text[i] == minus { i += 1 }
            var exponentDigits = 0
            while i < text.count, isDigit(text[i]) { i += 1; exponentDigits += 1 }
            guard exponentDigits > 0 else { return nil }
        }
        guard i == text.count, let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else { return nil }
        return (value, signed)
    }

    /// `a,b:c,,d` as `["a", "b:c", "d"]`.
    static func tags(_ text: UnsafeRawBufferPointer) -> [String] {
        text.split(separator: comma).map { String(decoding: UnsafeRawBufferPointer(rebasing: $0), as: UTF8.self) }
    }

    /// The key of a DogStatsD `key:value` field (`c:…`, `e:…`, `card:…`): 1–16 lowercase letters before a colon.
    static func extensionKey(_ field: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let keyEnd = field.firstIndex(of: colon), (1...16).contains(keyEnd),
              field[..<keyEnd].allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }) else { return nil }
        return Array(field[..<keyEnd])
    }

    static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    // Computed, not stored: a stored static is a lazy global, checked at every access in the loops above.
    static var newline: UInt8 { 0x0A }
    static var carriageReturn: UInt8 { 0x0D }
    static var colon: UInt8 { 0x3A }
    static var pipe: UInt8 { 0x7C }
    static var at: UInt8 { 0x40 }
    static var hash: UInt8 { 0x23 }
    static var comma: UInt8 { 0x2C }
    static var plus: UInt8 { 0x2B }
    static var minus: UInt8 { 0x2D }
    static var dot: UInt8 { 0x2E }
    static var capitalT: UInt8 { 0x54 }
    /// `_e{`, a DogStatsD event.
    static var eventStart: [UInt8] { [0x5F, 0x65, 0x7B] }
    /// `_sc|`, a DogStatsD service check.
    static var serviceCheckStart: [UInt8] { [0x5F, 0x73, 0x63, 0x7C] }
}
