import BigInt
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
        case .chain(let head, let steps):
            return try ExprBuilder.chain(try build(head), try steps.map { ($0.0, try build($0.1), $0.2) }, in: source)
        case .binary(let op, let l, let r, let at):
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
        case .record(_, let at):
            throw Diagnostic("a labelled list is not an expression", at: at, in: source)
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
            // One conversion (subquadratic in BigInt), not a Rational step per digit.
            guard let n = BigInt(text, radix: 10) else {
                throw Diagnostic("'\(text)' is not a whole number", at: at, in: source, width: text.count)
            }
            return .rational(Rational(big: n, 1))
        }
        guard let d = Double(text), d.isFinite else {
            throw Diagnostic("'\(text)' is not a finite number", at: at, in: source, width: text.count)
        }
        // A literal whose digits are not all zero must not silently become 0 (1e-400).
        if d == 0, text.prefix(while: { $0 != "e" && $0 != "E" }).contains(where: { ("1"..."9").contains($0) }) {
            throw Diagnostic("'\(text)' underflows to 0 as a float (the smallest is 4.9e-324); write it exactly, e.g. 10^-400", at: at, in: source, width: text.count)
        }
        return .float(d)
    }

    /// a op b for the arithmetic operators, with division by zero reported at the operator.
    public static func arithmetic(_ op: Syntax.BinaryOperator, _ a: Expr, _ b: Expr, at: SourceLocation, in source: String) throws -> Expr {
        let result: Expr
        switch op {
        case .add: result = a + b
        case .subtract: result = a - b
        case .multiply:
            result = a * b
            if !a.isZeroNumber && !b.isZeroNumber { try checkUnderflow(result, at: at, in: source) }
        case .divide:
            try checkDenominator(b, at: at, in: source)
            result = a / b
        case .power:
            if let k = b.numberValue, k.doubleValue < 0 { try checkDenominator(a, at: at, in: source) }
            result = Expr.power(a, b)
            if !a.isZeroNumber { try checkUnderflow(result, at: at, in: source) }
        case .equal, .notEqual:
            throw Diagnostic("a comparison is not an expression here", at: at, in: source, width: 2)
        }
        if result.isUndefined && !a.isUndefined && !b.isUndefined {
            throw Diagnostic("division by zero (\(op == .power ? "zero to a negative power" : "an exact zero"))", at: at, in: source)
        }
        try checkFinite(result, at: at, in: source)
        return result
    }

    /// `a op b op c …` of one precedence level (+ − or * /), built as one n-ary sum or product:
    /// folding two at a time re-sorts the growing sum at every step, quadratic in its length
    /// (a sum of 20,000 distinct symbols took minutes). Same canonical result.
    public static func chain(_ head: Expr, _ steps: [(Syntax.BinaryOperator, Expr, SourceLocation)], in source: String) throws -> Expr {
        guard let (first, _, at) = steps.first else { return head }
        var operands = [head]
        operands.reserveCapacity(steps.count + 1)
        let result: Expr
        if first == .add || first == .subtract {
            for (op, x, _) in steps { operands.append(op == .subtract ? -x : x) }
            result = Expr.sum(operands)
        } else if first == .multiply || first == .divide {
            for (op, x, location) in steps {
                if op == .divide {
                    try checkDenominator(x, at: location, in: source)
                    operands.append(Expr.power(x, .minusOne))
                } else {
                    operands.append(x)
                }
            }
            result = Expr.product(operands)
            if !operands.contains(where: \.isZeroNumber) { try checkUnderflow(result, at: at, in: source) }
        } else {
            return try arithmetic(first, head, steps[0].1, at: at, in: source)
        }
        if result.isUndefined && !operands.contains(where: \.isUndefined) {
            throw Diagnostic("division by zero (an exact zero)", at: at, in: source)
        }
        try checkFinite(result, at: at, in: source)
        return result
    }

    /// Refuses a divisor that is zero: an exact zero, or an expression that the zero test
    /// proves zero (`sin(x)^2 + cos(x)^2 - 1`, `(x + 1)^2 - x^2 - 2*x - 1`) or finds zero at
    /// every test point. Only sums (and powers and products of them) can hide a zero.
    public static func checkDenominator(_ b: Expr, at: SourceLocation, in source: String) throws {
        if b.isZeroNumber { throw Diagnostic("division by zero", at: at, in: source) }
        for factor in b.factorsThatMayVanish {
            let decision = Simplifier.isZero(factor)
            if decision.isZero {
                let how = decision == .zero ? "is identically zero" : "is zero at every test point (\(decision.verdict))"
                throw Diagnostic("division by zero: the divisor \(factor) \(how)", at: at, in: source)
            }
        }
    }

    /// A product or power of non-zero numbers that came out as a float 0 (1e-200*1e-200,
    /// exp(-1000.0)) underflowed: an error, as overflow is, not a silent zero.
    public static func checkUnderflow(_ e: Expr, at: SourceLocation, in source: String) throws {
        let zero: Bool
        switch e.kind {
        case .number(.float(let x)), .product(.float(let x), _): zero = x == 0
        default: zero = false
        }
        if zero {
            throw Diagnostic("the result underflows to 0 as a float (below 4.9e-324); use exact numbers, e.g. 10^-400", at: at, in: source)
        }
    }

    /// Overflow to infinity (1e308*10) or NaN from float arithmetic is an error where it happens.
    public static func checkFinite(_ e: Expr, at: SourceLocation, in source: String) throws {
        if e.hasNonFiniteNumberNearTop {
            throw Diagnostic("the result is not a finite number (floats overflow past 1.8e308); write large or exact values as integers or powers, e.g. 10^400", at: at, in: source)
        }
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
            if case .number(.float) = args[0].kind, name != "log" {
                throw Diagnostic("\(name)(\(args[0])) is not a finite number (it overflows a float)", at: at, in: source, width: name.count)
            }
            throw Diagnostic("\(name)(\(args[0])) is undefined", at: at, in: source, width: name.count)
        }
        try checkFinite(result, at: at, in: source)
        if case .number(.float) = args[0].kind, name != "abs", !args[0].isZeroNumber { try checkUnderflow(result, at: at, in: source) }
        return result
    }

    /// The closest candidate within a small edit distance, for "did you mean".
    public static func suggestion(for word: String, among candidates: [String]) -> String? {
        let limit = word.count <= 3 ? 1 : 2
        let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
        guard let least = scored.map(\.1).min(), least <= limit else { return nil }
        // Of equally close candidates, one the word begins (innerl: innerlr before inner), else the first.
        let closest = scored.filter { $0.1 == least }.map(\.0)
        return closest.first { $0.lowercased().hasPrefix(word.lowercased()) } ?? closest[0]
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
    /// An exact or float zero.
    var isZeroNumber: Bool { numberValue?.isZero ?? false }

    /// The parts of a divisor that could be zero: sums, and functions other than exp, found
    /// through products and powers (x^2 * (a - b)^3 is zero only where a - b is).
    var factorsThatMayVanish: [Expr] {
        switch kind {
        case .sum: return [self]
        case .function(.exp, _): return []
        case .function: return [self]
        case .product(_, let fs): return fs.flatMap(\.factorsThatMayVanish)
        case .power(let b, let x): return x.numberValue != nil ? b.factorsThatMayVanish : []
        default: return []
        }
    }

    /// A non-finite float in the number, a product's coefficient or a sum's terms (children
    /// were checked when they were built, so the top levels are where overflow can appear).
    var hasNonFiniteNumberNearTop: Bool {
        func bad(_ n: Number) -> Bool { if case .float(let x) = n { return !x.isFinite }; return false }
        switch kind {
        case .number(let n): return bad(n)
        case .product(let c, _): return bad(c)
        case .sum(let ts):
            return ts.contains { t in
                switch t.kind { case .number(let n), .product(let n, _): return bad(n); default: return false }
            }
        case .power(let b, _): return b.hasNonFiniteNumberNearTop
        default: return false
        }
    }

    /// Parses text such as `(px^2 + py^2)/2 - k/sqrt(x^2 + y^2)`.
    public static func parse(_ text: String) throws -> Expr {
        try ExprBuilder(source: text).build(try Parser.parseExpression(text))
    }
}
