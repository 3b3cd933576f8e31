extension Expr {
    /// (coefficient, non-numeric factors) of a term: `3*x*y` → (3, [x, y]); `x` → (1, [x]).
    func splitCoefficient() -> (Number, [Expr]) {
        switch kind {
        case .number(let n): return (n, [])
        case .product(let c, let fs): return (c, fs)
        default: return (.one, [self])
        }
    }

    /// Reassembles a term from already-canonical sorted factors.
    static func term(_ c: Number, _ factors: [Expr]) -> Expr {
        if factors.isEmpty { return .number(c) }
        if c.isZero && c.isExact { return .zero }
        if c == .one && factors.count == 1 { return factors[0] }
        return Expr(raw: .product(c, factors))
    }

    /// Whether the canonical form starts with a minus sign (so `f(-u)` can be rewritten).
    var hasLeadingMinus: Bool {
        switch kind {
        case .number(let n): return n.isNegative
        case .product(let c, _): return c.isNegative
        case .sum(let ts):
            guard let first = ts.first else { return false }
            if case .number = first.kind, ts.count > 1 { return ts[1].hasLeadingMinus }
            return first.hasLeadingMinus
        default: return false
        }
    }

    /// A sum as (exact content, primitive sum) with the primitive sum's first term having
    /// coefficient 1: `3*a + 3*b` → (3, a + b), `b - a` → (-1, a - b). Sums whose first
    /// coefficient is a float are left alone (dividing floats is inexact).
    var sumContent: (Rational, Expr)? {
        guard case .sum(let ts) = kind, case .exact(let c0) = ts[0].splitCoefficient().0, !c0.isOne else { return nil }
        let inverse = Number.exact(c0.reciprocal)
        return (c0, Expr(raw: .sum(ts.map { Expr.scaleTerm($0, inverse) })))
    }

    /// c·t for a term t of a sum, keeping the canonical term shape (and the order of terms).
    static func scaleTerm(_ t: Expr, _ c: Number) -> Expr {
        switch t.kind {
        case .number(let n): return .number(n * c)
        case .product(let k, let fs): return term(k * c, fs)
        default: return term(c, [t])
        }
    }

    // MARK: Sum

    /// The canonical sum: flattened, like terms collected, numbers folded, terms sorted.
    public static func sum(_ items: [Expr]) -> Expr {
        var constant = Number.zero
        var order: [TermKey] = []
        var coefficients: [TermKey: Number] = [:]
        // Canonical sums never contain sums, so one level of flattening suffices.
        var flat: [Expr] = []
        flat.reserveCapacity(items.count)
        for t in items {
            if case .sum(let ts) = t.kind { flat.append(contentsOf: ts) } else { flat.append(t) }
        }
        // Small sums collect by linear search (no dictionary to allocate and hash into).
        let small = flat.count <= 16
        var smallCoefficients: [Number] = []
        for t in flat {
            let key: TermKey, c: Number
            switch t.kind {
            case .number(let n): constant = constant + n; continue
            case .undefined: return .undefined
            case .product(let k, let fs): c = k; key = fs.count == 1 ? .single(fs[0]) : .many(fs)
            default: c = .one; key = .single(t)
            }
            if small {
                if let i = order.firstIndex(of: key) { smallCoefficients[i] = smallCoefficients[i] + c } else { order.append(key); smallCoefficients.append(c) }
            } else if let old = coefficients[key] { coefficients[key] = old + c } else { coefficients[key] = c; order.append(key) }
        }
        var terms: [Expr] = []
        terms.reserveCapacity(order.count + 1)
        for (i, key) in order.enumerated() {
            let c = small ? smallCoefficients[i] : coefficients[key]!
            if c.isZero { continue }
            switch key {
            case .single(let f): terms.append(c == .one ? f : Expr(raw: .product(c, [f])))
            case .many(let fs): terms.append(term(c, fs))
            }
        }
        if terms.count > 1 { terms.sort { termOrder($0, $1) < 0 } }
        let hasConstant = !constant.isZero || (!constant.isExact && terms.isEmpty)
        if terms.isEmpty { return .number(constant) }
        if terms.count == 1 && !hasConstant { return terms[0] }
        if hasConstant { terms.append(.number(constant)) }
        return Expr(raw: .sum(terms))
    }

    /// The non-numeric part of a term, as a dictionary key that needs no array for one factor.
    enum TermKey: Hashable {
        case single(Expr)
        case many([Expr])
    }

    // MARK: Product

    /// The canonical product: flattened, numbers folded, equal bases combined
    /// (`x^a*x^b = x^(a+b)`, `exp(a)*exp(b) = exp(a+b)`), factors sorted; a number times a
    /// single sum is distributed (`2*(x + y) = 2*x + 2*y`).
    public static func product(_ items: [Expr]) -> Expr {
        // The common case — two plain factors with different bases — needs no collection.
        if items.count == 2, let product = simpleProduct(items[0], items[1]) { return product }
        var coefficient = Number.one
        // Products are short: a linear scan (hash compared first) beats a dictionary.
        var bases: [Expr] = []
        var exponents: [Expr] = []
        var expArguments: [Expr] = []
        // Canonical products never contain products, so one level of flattening suffices.
        var flat: [Expr] = []
        flat.reserveCapacity(items.count + 2)
        for f in items {
            if case .product(let c, let fs) = f.kind { coefficient = coefficient * c; flat.append(contentsOf: fs) } else { flat.append(f) }
        }
        for f in flat {
            let b: Expr, e: Expr
            switch f.kind {
            case .number(let n): coefficient = coefficient * n; continue
            case .undefined: return .undefined
            case .function(.exp, let u): expArguments.append(u); continue
            case .power(let x, let y): b = x; e = y
            case .sum:
                // Sum factors are primitive: their exact content joins the coefficient.
                if let (c0, primitive) = f.sumContent { coefficient = coefficient * .exact(c0); b = primitive } else { b = f }
                e = .one
            default: b = f; e = .one
            }
            if let k = bases.firstIndex(of: b) { exponents[k] = sum([exponents[k], e]) } else { bases.append(b); exponents.append(e) }
        }
        if coefficient.isZero && coefficient.isExact { return .zero }
        var factors: [Expr] = []
        var pending: [Expr] = []
        for (b, e) in zip(bases, exponents) {
            let p = power(b, e)
            switch p.kind {
            case .number(let n): coefficient = coefficient * n
            case .product, .undefined: pending.append(p)
            case .function(.exp, let u): expArguments.append(u)
            default: factors.append(p)
            }
        }
        if !expArguments.isEmpty {
            let e = apply(.exp, sum(expArguments))
            if case .number(let n) = e.kind { coefficient = coefficient * n } else { factors.append(e) }
        }
        if !pending.isEmpty { return product(factors + pending + [.number(coefficient)]) }
        if coefficient.isZero && coefficient.isExact { return .zero }
        if factors.isEmpty { return .number(coefficient) }
        if factors.count == 1 {
            if coefficient == .one { return factors[0] }
            if case .sum(let ts) = factors[0].kind {
                return sum(ts.map { product([.number(coefficient), $0]) })
            }
        }
        if factors.count > 1 { factors.sort { order($0, $1) < 0 } }
        return Expr(raw: .product(coefficient, factors))
    }

    /// a*b for factors that canonicalisation would leave alone: symbols, constants, non-exp
    /// functions and powers of them, with different bases.
    static func simpleProduct(_ a: Expr, _ b: Expr) -> Expr? {
        func base(_ e: Expr) -> Expr? {
            switch e.kind {
            case .symbol, .pi: return e
            case .function(let f, _): return f == .exp ? nil : e
            case .power(let b, _):
                switch b.kind {
                case .symbol, .pi, .sum: return b
                case .function(let f, _): return f == .exp ? nil : b
                default: return nil
                }
            default: return nil
            }
        }
        guard let ba = base(a), let bb = base(b), ba != bb else { return nil }
        return Expr(raw: .product(.one, order(a, b) < 0 ? [a, b] : [b, a]))
    }

    // MARK: Power

    /// The canonical power `b^e`.
    public static func power(_ b: Expr, _ e: Expr) -> Expr {
        if b.isUndefined || e.isUndefined { return .undefined }
        if let en = e.numberValue {
            if case .exact(let r) = en {
                if r.isZero { return .one }
                if r.isOne { return b }
            }
        }
        if let bn = b.numberValue {
            if bn == .one { return .one }
            if bn.isZero {
                if let en = e.numberValue { return en.isNegative ? .undefined : b }
                return Expr(raw: .power(b, e))
            }
            if let en = e.numberValue { return numericPower(bn, en) ?? Expr(raw: .power(b, e)) }
        }
        let integerExponent = e.rationalValue.map { $0.isInteger } ?? false
        switch b.kind {
        case .imaginaryUnit:
            if integerExponent, let k = e.rationalValue?.intValue {
                switch ((k % 4) + 4) % 4 {
                case 0: return .one
                case 1: return .i
                case 2: return .minusOne
                default: return product([.minusOne, .i])
                }
            }
        case .power(let bb, let be):
            // (x^a)^n = x^(a n) for integer n; (x^(m/d))^e = x^(m e/d) when d is even (x ≥ 0 there).
            var evenRoot = false
            if let r = be.rationalValue, !r.isInteger, r.denominator % 2 == 0 { evenRoot = true }
            if integerExponent || evenRoot { return power(bb, product([be, e])) }
        case .product(let c, let fs):
            if integerExponent {
                return product([power(.number(c), e)] + fs.map { power($0, e) })
            }
            if case .exact(let r) = c, !r.isNegative, !r.isOne, e.numberValue != nil {
                return product([power(.number(c), e), power(Expr(raw: .product(.one, fs)).normalizedProduct, e)])
            }
        case .function(.exp, let u):
            return apply(.exp, product([u, e]))
        case .sum:
            // (c S)^n = c^n S^n with S primitive, so (b - a)^2 and (a - b)^2 agree.
            if integerExponent, let k = e.rationalValue?.intValue, let (c0, primitive) = b.sumContent {
                return term(.exact(c0.power(k)), [Expr(raw: .power(primitive, e))])
            }
        default: break
        }
        return Expr(raw: .power(b, e))
    }

    /// A product node with coefficient one and a single factor collapses to that factor.
    var normalizedProduct: Expr {
        if case .product(let c, let fs) = kind, c == .one, fs.count == 1 { return fs[0] }
        return self
    }

    /// Folds number^number when the result is a number (exactly, for exact operands).
    /// The largest exact power folded into one number, in bits (about 4,900 digits).
    static let largestFoldedPowerBits = 16_384

    static func numericPower(_ b: Number, _ e: Number) -> Expr? {
        switch (b, e) {
        case (.exact(let x), .exact(let y)):
            if y.isInteger {
                // Folded only while the result stays printable: 2^100 is a number, 2^100000
                // (30,000 digits) and 111…1^1111 stay powers (exact all the same).
                guard let k = y.intValue, abs(k) <= 4096, x.bitSize * abs(k) <= Expr.largestFoldedPowerBits else { return nil }
                return .rational(x.power(k))
            }
            let (n, d) = (y.numerator, y.denominator)
            guard let di = Int(exactly: d), di <= 64, let ni = Int(exactly: n) else { return nil }
            if let root = x.exactRoot(di), !(x.isNegative) { return .rational(root.power(ni)) }
            // Perfect d-th powers leave an integer radicand: 8^(1/2) = 2*2^(1/2).
            if !x.isNegative, x.isInteger, let n = x.intValue, n > 1, ni == 1 || ni == -1 {
                var rest = n, outside = 1, p = 2
                while p <= 1000, let pd = Int(exactly: Foundation_pow(Double(p), Double(di))), pd <= rest {
                    while rest % pd == 0 { rest /= pd; outside *= p }
                    p += 1
                }
                if outside > 1 {
                    let radical = Expr(raw: .power(.integer(rest), .rational(Rational(ni, di))))
                    let factor = Rational(outside).power(ni)
                    return rest == 1 ? .rational(factor) : Expr(raw: .product(.exact(factor), [radical]))
                }
            }
            // b^(n/d) with |n| ≥ d: pull out the integer part, b^(q + s/d) = b^q * b^(s/d).
            if !x.isNegative, abs(ni) >= di {
                let q = ni >= 0 ? ni / di : -((-ni + di - 1) / di)
                let s = ni - q * di
                let frac = Expr(raw: .power(.rational(x), .rational(Rational(s, di))))
                return Expr(raw: .product(.exact(x.power(q)), [frac]))
            }
            return nil
        default:
            let v = Foundation_pow(b.doubleValue, e.doubleValue)
            return v.isNaN ? nil : .float(v)
        }
    }

    // MARK: Functions

    /// The canonical application of an elementary function.
    public static func apply(_ f: MathFunction, _ u: Expr) -> Expr {
        if u.isUndefined { return .undefined }
        if case .number(.float(let x)) = u.kind {
            let v = f.evaluate(x)
            return v.isFinite ? .float(v) : .undefined
        }
        if u.isZero {
            switch f {
            case .exp, .cos, .cosh: return .one
            case .log: return .undefined
            default: return .zero
            }
        }
        if f == .log && u.isOne { return .zero }
        if f == .abs, case .number(.exact(let r)) = u.kind { return .rational(r.magnitude) }
        switch (f, u.kind) {
        case (.log, .function(.exp, let v)): return v
        case (.exp, .function(.log, let v)): return v
        case (.abs, .function(.abs, _)): return u
        // |exp(v)| = exp(v) for real v only: |exp(I q)| is 1.
        case (.abs, .function(.exp, let v)) where !v.contains(.i): return u
        default: break
        }
        if u.hasLeadingMinus {
            let negated = product([.minusOne, u])
            switch f {
            case .sin, .tan, .sinh, .tanh, .atan: return product([.minusOne, apply(f, negated)])
            case .cos, .cosh, .abs: return apply(f, negated)
            default: break
            }
        }
        return Expr(raw: .function(f, u))
    }

    public static func sqrt(_ u: Expr) -> Expr { power(u, .half) }

    // MARK: Operators

    public static func + (a: Expr, b: Expr) -> Expr { sum([a, b]) }
    public static func - (a: Expr, b: Expr) -> Expr { sum([a, product([.minusOne, b])]) }
    public static prefix func - (a: Expr) -> Expr { product([.minusOne, a]) }
    public static func * (a: Expr, b: Expr) -> Expr { product([a, b]) }
    public static func / (a: Expr, b: Expr) -> Expr { product([a, power(b, .minusOne)]) }
    public static func ** (a: Expr, b: Expr) -> Expr { power(a, b) }
    public static func ** (a: Expr, k: Int) -> Expr { power(a, .integer(k)) }
}

extension Expr: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(integerLiteral value: Int) { self = .integer(value) }
    /// A symbol: `let x: Expr = "x"`.
    public init(stringLiteral value: String) { self = .symbol(value) }
}

precedencegroup PowerPrecedence {
    higherThan: MultiplicationPrecedence
    associativity: right
}
/// `a ** b` is `Expr.power(a, b)` (`^` stays Swift's exclusive-or).
infix operator ** : PowerPrecedence

extension MathFunction {
    public func evaluate(_ x: Double) -> Double {
        switch self {
        case .exp: return Foundation_exp(x)
        case .log: return Foundation_log(x)
        case .sin: return Foundation_sin(x)
        case .cos: return Foundation_cos(x)
        case .tan: return Foundation_tan(x)
        case .atan: return Foundation_atan(x)
        case .sinh: return Foundation_sinh(x)
        case .cosh: return Foundation_cosh(x)
        case .tanh: return Foundation_tanh(x)
        case .abs: return Swift.abs(x)
        }
    }
}
