import MigrationCore
import Testing

/// The one sanitiser every view, log line and message passes text from the store or arguments
/// through: controls, bidi marks and overrides, and line separators become `?`; the rest stays.
struct TerminalSafeTests {
    @Test(arguments: [
        "\u{00}", "\u{07}", "\u{1B}", "\u{7F}", "\u{9B}",                           // C0, DEL, C1 (CSI)
        "\u{061C}", "\u{200E}", "\u{200F}", "\u{202A}", "\u{202E}", "\u{2066}", "\u{2069}",  // bidi
        "\u{2028}", "\u{2029}",                                                     // separators
    ])
    func eachUnsafeCharacterBecomesAQuestionMark(_ unsafe: String) {
        #expect("a\(unsafe)b".terminalSafe == "a?b")
    }

    @Test
    func ordinaryTextStaysAsItIs() {
        let text = "users-v2 é e\u{0301} 漢字 🙂 שלום العربية"
        #expect(text.terminalSafe == text)
    }
}
