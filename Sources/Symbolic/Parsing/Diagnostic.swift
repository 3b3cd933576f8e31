/// A position in source text, 1-based.
public struct SourceLocation: Hashable, Sendable {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
}

/// An error in what the user typed or loaded: where, what, and the source line with a caret.
public struct Diagnostic: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var location: SourceLocation?
    /// The full source text the location refers to (to print the line and caret).
    public var source: String?
    /// How many columns the caret underlines (at least one).
    public var width: Int

    public init(_ message: String, at location: SourceLocation? = nil, in source: String? = nil, width: Int = 1) {
        self.message = message
        self.location = location
        self.source = source
        self.width = max(1, width)
    }

    /// `error: 1:11: message`, then the source line and a caret under the place.
    ///
    /// What is echoed is safe for a terminal and short: control characters (an escape sequence
    /// typed or loaded by accident or on purpose) print as `\u{1B}`, and a line longer than
    /// `Diagnostic.window` columns is clipped to a window around the caret, with `…` where text
    /// was left out. The caret stays under the place it marks.
    public var description: String {
        let message = Diagnostic.escaped(Diagnostic.clipped(self.message), keepingNewlines: true)
        guard let loc = location else { return "error: \(message)" }
        var out = "error: \(loc.line):\(loc.column): \(message)"
        if let source {
            let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
            if loc.line >= 1 && loc.line <= lines.count {
                let (text, caret) = Diagnostic.excerpt(Array(lines[loc.line - 1].unicodeScalars), column: loc.column, width: width)
                out += "\n  " + text + "\n  " + caret
            }
        }
        return out
    }

    /// The widest source excerpt echoed under an error, in columns.
    public static let window = 100

    /// How a scalar of the source is shown: itself, a space for a tab (one column, as the lexer
    /// counts it), or an escape for a control or a direction-changing character.
    static func shown(_ c: Unicode.Scalar) -> String {
        if c == "\t" { return " " }
        let v = c.value
        let control = v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v)
            || (0x2066...0x2069).contains(v) || v == 0x2028 || v == 0x2029 || v == 0xFEFF
        return control ? "\\u{\(String(v, radix: 16, uppercase: true))}" : String(c)
    }

    /// The longest message shown, in characters: a message quoting a 200 KB name stays readable.
    public static let longestMessage = 1000

    /// `text` cut to `longestMessage` characters, with `…` where it was cut.
    public static func clipped(_ text: String) -> String {
        text.unicodeScalars.count <= longestMessage ? text : String(String.UnicodeScalarView(text.unicodeScalars.prefix(longestMessage))) + "…"
    }

    /// `text` with its control characters escaped (newlines kept when asked).
    public static func escaped(_ text: String, keepingNewlines: Bool = false) -> String {
        var out = ""
        for c in text.unicodeScalars { out += keepingNewlines && c == "\n" ? "\n" : shown(c) }
        return out
    }

    /// The echoed line and the caret line for `column` (1-based, in scalars, as the lexer
    /// counts) and `width` scalars underlined.
    static func excerpt(_ line: [Unicode.Scalar], column: Int, width: Int) -> (text: String, caret: String) {
        let pieces = line.map(shown)
        // Display offsets: piece k starts at offsets[k].
        var offsets = [0]
        offsets.reserveCapacity(pieces.count + 1)
        for p in pieces { offsets.append(offsets[offsets.count - 1] + p.count) }
        let total = offsets[pieces.count]
        let first = min(max(0, column - 1), pieces.count)
        let last = min(max(first, column - 1 + width), pieces.count)
        let caretStart = column - 1 > pieces.count ? total + (column - 1 - pieces.count) : offsets[first]
        var caretWidth = max(1, offsets[last] - offsets[first])
        guard total > window else {
            return (pieces.joined(), String(repeating: " ", count: caretStart) + String(repeating: "^", count: caretWidth))
        }
        // A window that starts a little before the caret (a third of it), ends within the line,
        // and is cut at piece boundaries so no escape is split.
        caretWidth = min(caretWidth, window * 2 / 3)
        var from = max(0, min(caretStart - window / 3, total - window))
        var k0 = 0
        while k0 < pieces.count && offsets[k0] < from { k0 += 1 }
        from = offsets[k0]
        var k1 = k0
        while k1 < pieces.count && offsets[k1 + 1] - from <= window { k1 += 1 }
        let head = k0 > 0 ? "…" : "", tail = k1 < pieces.count ? "…" : ""
        let text = head + pieces[k0..<k1].joined() + tail
        let pad = head.count + max(0, caretStart - from)
        return (text, String(repeating: " ", count: pad) + String(repeating: "^", count: caretWidth))
    }
}
