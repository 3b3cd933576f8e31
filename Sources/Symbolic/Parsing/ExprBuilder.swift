/// Turns syntax into a canonical `Expr`: names become symbols (`I` the imaginary unit, `pi`
/// the constant), calls of `sqrt` and the elementary functions become function nodes.
/// Anything else — an unknown function, a wrong number of arguments, division by an exact
/// zero, a comparison or a list — is a positioned `Diagnostic`.
public struct ExprBuilder {
    public let source: String
    /// Looks a name up before it becomes a symbol (a session's definitions); nil means "a symbol".
    public var resolveName: (String) -> Expr? = { _ in nil }

    public init(source: String) { self.source = source }

    public func build(_ s: Syntax) throws -> Expr {
        switch s {
        case .number(let text, let at):
            return try ExprBuilder.number(text, at: at, in: source)
        case .name(let name, _):
            if let e = resolveName(name) { return e }
            return ExprBuilder.atom(name)
        case .negate(let e, _):
            return -(try build(e))
        case .binary(let op, let l, let r, let at):
            if let (head, steps) = s.chain {
                var acc = try build(head)
                for (o, operand, location) in steps { acc = try ExprBuilder.arithmetic(o, acc, try build(operand), at: location, in: source) }
                return acc
            }
            let (a, b) = (try build(l), try build(r))
            return try ExprBuilder.arithmetic(op, a, b, at: at, in: source)
        case .call(let name, let args, let at):
            if let label = args.first(where: { $0.label != nil })?.label {
                throw Diagnostic("\(name)() takes no labelled argument '\(label):'", at: at, in: source, width: name.count)
            }
            return try ExprBuilder.function(name, try args.map { try build($0.value) }, at: at, in: source)
        case .string(_, let at):
            throw Diagnostic("a string is not an expression", at: at, in: source)
        case .list(_, let at):
            throw Diagnostic("a list is not an expression here", at: at, in: source)
        case .member(_, let name, _, let at):
            throw Diagnostic("'.\(name)' does not apply to an expression", at: at, in: source, width: name.count)
        }
    }

    /// The symbol, or the constants `I` and `pi`.
    public static func atom(_ name: String) -> Expr {
        switch name {
        case "I": return .i
        case "pi": return .pi
        default: return .symbol(name)
        }
    }

    /// An integer or decimal literal: digits only is exact; a '.' or an exponent makes a float.
    public static func number(_ text: String, at: SourceLocation, in source: String) throws -> Expr {
        if text.allSatisfy(\.isNumber) {
            if let n = Int(text) { return .integer(n) }
            let digits = text.compactMap { $0.wholeNumberValue }
            var r = Rational.zero
            for d in digits { r = r * Rational(10) + Rational(d) }
            return .rational(r)
        }
        guard let d = Double(text), d.isFinite else {
            throw Diagnostic("'\(text)' is not a finite number", at: at, in: source, width: text.count)
        }
        return .float(d)
    }

    /// a op b for the arithmetic operators, with division by an exact zero reported at the operator.
    public static func arithmetic(_ op: Syntax.BinaryOperator, _ a: Expr, _ b: Expr, at: SourceLocation, in source: String) throws -> Expr {
        let result: Expr
        switch op {
        case .add: result = a + b
        case .subtract: result = a - b
        case .multiply: result = a * b
        case .divide:
            if b.isZero { throw Diagnostic("division by zero", at: at, in: source) }
            result = a / b
        case .power: result = Expr.power(a, b)
        case .equal, .notEqual:
            throw Diagnostic("a comparison is not an expression here", at: at, in: source, width: 2)
        }
        if result.isUndefined && !a.isUndefined && !b.isUndefined {
            throw Diagnostic("division by zero (\(op == .power ? "zero to a negative power" : "an exact zero"))", at: at, in: source)
        }
        return result
    }

    public static let functionNames: [String] = ["sqrt"] + MathFunction.allCases.map(\.rawValue)

    public static func function(_ name: String, _ args: [Expr], at: SourceLocation, in source: String) throws -> Expr {
        guard name == "sqrt" || MathFunction(rawValue: name) != nil else {
            var message = "unknown function '\(name)'"
            if let s = suggestion(for: name, among: functionNames) { message += "; did you mean '\(s)'?" }
            throw Diagnostic(message, at: at, in: source, width: name.count)
        }
        guard args.count == 1 else {
            throw Diagnostic("\(name) takes 1 argument, got \(args.count)", at: at, in: source, width: name.count)
        }
        let result = name == "sqrt" ? Expr.sqrt(args[0]) : Expr.apply(MathFunction(rawValue: name)!, args[0])
        if result.isUndefined && !args[0].isUndefined {
            throw Diagnostic("\(name)(\(args[0])) is undefined", at: at, in: source, width: name.count)
        }
        return result
    }

    /// The closest candidate within a small edit distance, for "did you mean".
    public static func suggestion(for word: String, among candidates: [String]) -> String? {
        let limit = word.count <= 3 ? 1 : 2
        let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= limit else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        var previous = Array(0...y.count)
        for i in 1...max(1, x.count) where !x.isEmpty {
            var row = [i] + Array(repeating: 0, count: y.count)
            for j in 1...max(1, y.count) where !y.isEmpty {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            }
            previous = row
        }
        return x.isEmpty ? y.count : previous[y.count]
    }
}

extension Expr {
    /// Parses text such as `(px^2 + py^2)/2 - k/sqrt(x^2 + y^2)`.
    public static func parse(_ text: String) throws -> Expr {
        try ExprBuilder(source: text).build(try Parser.parseExpression(text))
    }
}
