/// The kinds of token of the Noether language.
public enum TokenKind: Equatable, Sendable {
    case number(String)
    case identifier(String)
    case string(String)
    case plus, minus, star, slash, caret
    case leftParen, rightParen, leftBracket, rightBracket
    case comma, colon, semicolon, dot
    case assign, equal, notEqual
    case newline
    case end

    /// How the token reads in an error message.
    public var spelling: String {
        switch self {
        case .number(let s): return "number '\(s)'"
        case .identifier(let s): return "name '\(s)'"
        case .string(let s): return "string \"\(s)\""
        case .plus: return "'+'"
        case .minus: return "'-'"
        case .star: return "'*'"
        case .slash: return "'/'"
        case .caret: return "'^'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .leftBracket: return "'['"
        case .rightBracket: return "']'"
        case .comma: return "','"
        case .colon: return "':'"
        case .semicolon: return "';'"
        case .dot: return "'.'"
        case .assign: return "'='"
        case .equal: return "'=='"
        case .notEqual: return "'!='"
        case .newline: return "end of line"
        case .end: return "end of input"
        }
    }
}

public struct Token: Sendable {
    public var kind: TokenKind
    public var location: SourceLocation
    public var length: Int
}
