/// Recursive-descent parser over `Lexer` tokens, one method per precedence level:
/// comparison < sum < product < unary minus < power (right-associative) < postfix < primary.
/// `-x^2` is `-(x^2)`; `x^-2` is allowed; there is no implicit multiplication.
public struct Parser {
    public let source: String
    public private(set) var tokens: [Token]
    public private(set) var position = 0
    /// Nesting depth of the current parse; bounded so deep input is an error, not a stack overflow.
    var depth = 0
    public static let maximumDepth = 256

    public init(_ source: String) throws {
        self.source = source
        self.tokens = try Lexer(source).tokens()
    }

    public var current: Token { tokens[position] }
    public var atEnd: Bool {
        switch current.kind { case .end, .newline, .semicolon: return true; default: return false }
    }

    public mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    public func error(_ message: String, at token: Token? = nil) -> Diagnostic {
        let t = token ?? current
        return Diagnostic(message, at: t.location, in: source, width: t.length)
    }

    public mutating func expect(_ kind: TokenKind, _ what: String) throws {
        guard current.kind == kind else { throw error("expected \(what), found \(current.kind.spelling)") }
        advance()
    }

    /// Parses one whole expression and requires the input to end there.
    public static func parseExpression(_ source: String) throws -> Syntax {
        var p = try Parser(source)
        while p.current.kind == .newline { p.advance() }
        let e = try p.parseExpression()
        while p.current.kind == .newline || p.current.kind == .semicolon { p.advance() }
        guard p.current.kind == .end else { throw p.error("unexpected \(p.current.kind.spelling) after the expression") }
        return e
    }

    public mutating func parseExpression() throws -> Syntax {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Parser.maximumDepth else {
            throw error("the expression is nested too deeply (more than \(Parser.maximumDepth) levels)")
        }
        let lhs = try parseSum()
        let op: Syntax.BinaryOperator
        switch current.kind {
        case .equal: op = .equal
        case .notEqual: op = .notEqual
        case .assign:
            throw error("'=' assigns only at the start of a statement (NAME = ...); write '==' to compare")
        default: return lhs
        }
        let at = current.location
        advance()
        return .binary(op, lhs, try parseSum(), at)
    }

    mutating func parseSum() throws -> Syntax {
        let head = try parseProduct()
        var steps: [Syntax.Step] = []
        while true {
            let op: Syntax.BinaryOperator
            switch current.kind { case .plus: op = .add; case .minus: op = .subtract; default: return steps.isEmpty ? head : .chain(head, steps) }
            let at = current.location
            advance()
            steps.append((op, try parseProduct(), at))
        }
    }

    mutating func parseProduct() throws -> Syntax {
        let head = try parseUnary()
        var steps: [Syntax.Step] = []
        while true {
            let op: Syntax.BinaryOperator
            switch current.kind { case .star: op = .multiply; case .slash: op = .divide; default: return steps.isEmpty ? head : .chain(head, steps) }
            let at = current.location
            advance()
            steps.append((op, try parseUnary(), at))
        }
    }

    mutating func parseUnary() throws -> Syntax {
        switch current.kind {
        case .minus:
            let at = current.location
            advance()
            depth += 1
            defer { depth -= 1 }
            guard depth <= Parser.maximumDepth else {
                throw error("the expression is nested too deeply (more than \(Parser.maximumDepth) levels)")
            }
            return .negate(try parseUnary(), at)
        case .plus:
            // A unary plus does nothing: skip any run of them without recursing (+++…+x).
            while current.kind == .plus { advance() }
            return try parseUnary()
        default:
            return try parsePower()
        }
    }

    mutating func parsePower() throws -> Syntax {
        let base = try parsePostfix()
        guard current.kind == .caret else { return base }
        let at = current.location
        advance()
        depth += 1
        defer { depth -= 1 }
        guard depth <= Parser.maximumDepth else {
            throw error("the expression is nested too deeply (more than \(Parser.maximumDepth) levels)")
        }
        return .binary(.power, base, try parseUnary(), at)
    }

    mutating func parsePostfix() throws -> Syntax {
        var e = try parsePrimary()
        while current.kind == .dot {
            advance()
            guard case .identifier(let name) = current.kind else { throw error("expected a name after '.', found \(current.kind.spelling)") }
            let at = current.location
            advance()
            var arguments: [Syntax.Argument]?
            if current.kind == .leftParen {
                advance()
                arguments = try parseArguments(closing: .rightParen, ")")
            }
            e = .member(e, name, arguments, at)
        }
        return e
    }

    mutating func parsePrimary() throws -> Syntax {
        let token = current
        switch token.kind {
        case .number(let text):
            advance()
            return .number(text, token.location)
        case .string(let text):
            advance()
            return .string(text, token.location)
        case .identifier(let name):
            advance()
            guard current.kind == .leftParen else { return .name(name, token.location) }
            advance()
            return .call(name, try parseArguments(closing: .rightParen, ")"), token.location)
        case .leftParen:
            advance()
            let e = try parseExpression()
            guard current.kind == .rightParen else {
                throw error("expected ')' to close the '(' at \(token.location.line):\(token.location.column), found \(current.kind.spelling)")
            }
            advance()
            return e
        case .leftBracket:
            advance()
            let args = try parseArguments(closing: .rightBracket, "]")
            if !args.isEmpty, args.allSatisfy({ $0.label != nil }) { return .record(args, token.location) }
            if let labelled = args.first(where: { $0.label != nil }) {
                throw error("a list holds values, or only labelled entries ([alpha: [1, 2], seed: [0, 1]]), not both ('\(labelled.label!):')", at: token)
            }
            return .list(args.map(\.value), token.location)
        default:
            throw error("expected an expression, found \(token.kind.spelling)")
        }
    }

    /// `a, b, name: c` up to the closing token. Labels are `IDENT ':'`.
    public mutating func parseArguments(closing: TokenKind, _ spelled: String) throws -> [Syntax.Argument] {
        var args: [Syntax.Argument] = []
        if current.kind == closing { advance(); return args }
        while true {
            var label: String?
            if case .identifier(let name) = current.kind, tokens[position + 1].kind == .colon {
                label = name
                advance(); advance()
            }
            args.append(Syntax.Argument(label: label, value: try parseExpression()))
            switch current.kind {
            case .comma: advance()
            case closing: advance(); return args
            default: throw error("expected ',' or '\(spelled)', found \(current.kind.spelling)")
            }
        }
    }
}
