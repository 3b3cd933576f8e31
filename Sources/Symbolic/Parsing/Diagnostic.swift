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
    public var description: String {
        guard let loc = location else { return "error: \(message)" }
        var out = "error: \(loc.line):\(loc.column): \(message)"
        if let source {
            let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
            if loc.line >= 1 && loc.line <= lines.count {
                let text = String(lines[loc.line - 1])
                out += "\n  " + text + "\n  " + String(repeating: " ", count: max(0, loc.column - 1))
                    + String(repeating: "^", count: width)
            }
        }
        return out
    }
}
