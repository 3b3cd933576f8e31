/// Splits source text into tokens with their positions. `#` starts a comment to end of line.
public struct Lexer {
    let source: String

    public init(_ source: String) { self.source = source }

    public func tokens() throws -> [Token] {
        let chars = Array(source.unicodeScalars)
        var out: [Token] = []
        var i = 0, line = 1, column = 1
        func loc() -> SourceLocation { SourceLocation(line: line, column: column) }
        func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
        func isIdentStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
        func isIdent(_ c: Unicode.Scalar) -> Bool { isIdentStart(c) || isDigit(c) }
        while i < chars.count {
            let c = chars[i]
            let start = loc()
            if c == "\n" {
                out.append(Token(kind: .newline, location: start, length: 1))
                i += 1; line += 1; column = 1; continue
            }
            if c == " " || c == "\t" || c == "\r" { i += 1; column += 1; continue }
            if c == "#" { while i < chars.count && chars[i] != "\n" { i += 1; column += 1 }; continue }
            if isDigit(c) || (c == "." && i + 1 < chars.count && isDigit(chars[i + 1])) {
                var j = i
                while j < chars.count && isDigit(chars[j]) { j += 1 }
                if j < chars.count && chars[j] == "." { j += 1; while j < chars.count && isDigit(chars[j]) { j += 1 } }
                if j < chars.count && (chars[j] == "e" || chars[j] == "E") {
                    var k = j + 1
                    if k < chars.count && (chars[k] == "+" || chars[k] == "-") { k += 1 }
                    if k < chars.count && isDigit(chars[k]) {
                        while k < chars.count && isDigit(chars[k]) { k += 1 }
                        j = k
                    }
                }
                if j < chars.count && isIdentStart(chars[j]) {
                    throw Diagnostic("a number cannot run into a name; write '*' for a product (\(String(String.UnicodeScalarView(chars[i...j])))...)",
                                     at: SourceLocation(line: line, column: column + (j - i)), in: source)
                }
                let text = String(String.UnicodeScalarView(chars[i..<j]))
                out.append(Token(kind: .number(text), location: start, length: j - i))
                column += j - i; i = j; continue
            }
            if isIdentStart(c) {
                var j = i
                while j < chars.count && isIdent(chars[j]) { j += 1 }
                let text = String(String.UnicodeScalarView(chars[i..<j]))
                out.append(Token(kind: .identifier(text), location: start, length: j - i))
                column += j - i; i = j; continue
            }
            if c == "\"" {
                var j = i + 1
                while j < chars.count && chars[j] != "\"" && chars[j] != "\n" { j += 1 }
                guard j < chars.count && chars[j] == "\"" else {
                    throw Diagnostic("unterminated string: a closing '\"' is missing", at: start, in: source)
                }
                let text = String(String.UnicodeScalarView(chars[(i + 1)..<j]))
                out.append(Token(kind: .string(text), location: start, length: j - i + 1))
                column += j - i + 1; i = j + 1; continue
            }
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            var kind: TokenKind
            var length = 1
            switch c {
            case "+": kind = .plus
            case "-": kind = .minus
            case "*":
                if next == "*" { kind = .caret; length = 2 } else { kind = .star }
            case "/": kind = .slash
            case "^": kind = .caret
            case "(": kind = .leftParen
            case ")": kind = .rightParen
            case "[": kind = .leftBracket
            case "]": kind = .rightBracket
            case ",": kind = .comma
            case ":": kind = .colon
            case ";": kind = .semicolon
            case ".": kind = .dot
            case "=":
                if next == "=" { kind = .equal; length = 2 } else { kind = .assign }
            case "!":
                guard next == "=" else { throw Diagnostic("unexpected character '!' (did you mean '!='?)", at: start, in: source) }
                kind = .notEqual; length = 2
            default:
                throw Diagnostic("unexpected character '\(c)'", at: start, in: source)
            }
            out.append(Token(kind: kind, location: start, length: length))
            i += length; column += length
        }
        out.append(Token(kind: .end, location: loc(), length: 1))
        return out
    }
}
