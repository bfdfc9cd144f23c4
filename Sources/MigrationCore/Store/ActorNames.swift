import Foundation

/// The Unicode rules behind ``Operator/normalisedName(_:)`` and ``Operator/isSamePerson(_:_:)``.
enum ActorNames {
    /// NFKC, full case folding, NFKC again (folding can denormalise).
    static func fold(_ text: String) -> String {
        text.precomposedStringWithCompatibilityMapping
            .folding(options: [.caseInsensitive], locale: nil)
            .precomposedStringWithCompatibilityMapping
    }

    /// Characters that show nothing, or steer how the rest shows: controls, format characters
    /// (zero-width space and joiners, bidi controls, soft hyphen, BOM), line separators and
    /// every other default-ignorable code point (variation selectors, Hangul fillers), plus
    /// private-use and unassigned code points, which no one can read reliably.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: true
        default: scalar.properties.isDefaultIgnorableCodePoint
        }
    }

    /// The scripts whose letters pass for one another.
    enum Script: String, CaseIterable {
        case latin = "Latin", greek = "Greek", cyrillic = "Cyrillic"

        init?(_ scalar: Unicode.Scalar) {
            switch scalar.value {
            case 0x41...0x5A, 0x61...0x7A, 0xAA, 0xBA, 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x24F, 0x1E00...0x1EFF,
                 0x2C60...0x2C7F, 0xA720...0xA7FF, 0xAB30...0xAB6F:
                self = .latin
            case 0x370...0x3FF, 0x1F00...0x1FFF: self = .greek
            case 0x400...0x52F, 0x1C80...0x1C8F, 0x2DE0...0x2DFF, 0xA640...0xA69F: self = .cyrillic
            default: return nil
            }
        }
    }

    /// The confusable scripts `name` mixes, or nil when its letters come from at most one.
    static func mixedScripts(_ name: String) -> [String]? {
        var seen: Set<Script> = []
        for scalar in name.unicodeScalars where scalar.properties.isAlphabetic {
            if let script = Script(scalar) { seen.insert(script) }
        }
        return seen.count > 1 ? Script.allCases.filter(seen.contains).map(\.rawValue) : nil
    }

    /// What a name looks like: folded, trimmed, without invisible characters, with Cyrillic
    /// and Greek letters that look Latin read as Latin.
    static func skeleton(_ name: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in fold(name).unicodeScalars where !isInvisible(scalar) {
            scalars.append(lookalikes[scalar] ?? scalar)
        }
        return String(scalars).trimmingWhitespace()
    }

    /// Lower-case Cyrillic and Greek letters (names are folded first) and the Latin letter
    /// they pass for, in their own or their capital form.
    static let lookalikes: [Unicode.Scalar: Unicode.Scalar] = [
        // Cyrillic
        "\u{0430}": "a", "\u{0432}": "b", "\u{0435}": "e", "\u{0451}": "e", "\u{04BB}": "h", "\u{043D}": "h",
        "\u{0456}": "i", "\u{0457}": "i", "\u{0458}": "j", "\u{043A}": "k", "\u{04CF}": "l", "\u{043C}": "m",
        "\u{043E}": "o", "\u{0440}": "p", "\u{051B}": "q", "\u{0455}": "s", "\u{0441}": "c", "\u{0442}": "t",
        "\u{0443}": "y", "\u{04AF}": "y", "\u{0445}": "x", "\u{0501}": "d", "\u{051D}": "w",
        // Greek
        "\u{03B1}": "a", "\u{03B2}": "b", "\u{03B5}": "e", "\u{03B7}": "h", "\u{03B9}": "i", "\u{03BA}": "k",
        "\u{03BC}": "m", "\u{03BD}": "v", "\u{03BF}": "o", "\u{03C1}": "p", "\u{03C4}": "t", "\u{03C5}": "u",
        "\u{03C7}": "x", "\u{03F2}": "c", "\u{03F3}": "j", "\u{03B6}": "z",
    ]
}
