import Foundation

/// migctl's arguments are text: each must be valid UTF-8. Swift's `CommandLine.arguments`
/// repairs invalid bytes into U+FFFD, which would bucket another key than the one a script
/// passed, or open another path: the contract says to refuse such a key rather than guess.
enum ArgumentText {
    /// The sentence refusing the first argument that is not valid UTF-8, or nil when all are.
    static func refusal(argc: Int32 = CommandLine.argc, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = CommandLine.unsafeArgv) -> String? {
        for index in 1..<Int(max(argc, 1)) {
            guard let raw = argv[index] else { continue }
            let bytes = UnsafeRawBufferPointer(start: raw, count: strlen(raw))
            if String(validating: bytes, as: UTF8.self) == nil {
                return "argument \(index) is not valid UTF-8; migctl takes text arguments only (a key is hashed as its UTF-8 bytes, so one that is not UTF-8 has no bucket)"
            }
        }
        return nil
    }
}
