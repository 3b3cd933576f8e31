/// Raised when exact arithmetic leaves the supported range (more than 32 variables, an
/// exponent above 255); the zero test then decides numerically and says so.
struct OutOfExactRange: Error { var reason: String }

/// A sparse multivariate polynomial over ℚ: terms sorted by descending lex monomial order,
/// no zero coefficients. Equal polynomials have equal term arrays.
struct Polynomial: Hashable {
    struct Term: Hashable {
        var monomial: Monomial
        var coefficient: Rational
    }
    private(set) var terms: [Term]

    init() { terms = [] }
    init(sortedTerms: [Term]) { terms = sortedTerms }
    init(constant c: Rational) { terms = c.isZero ? [] : [Term(monomial: .one, coefficient: c)] }
    init(variable i: Int) { terms = [Term(monomial: Monomial(variable: i, exponent: 1), coefficient: .one)] }

    static let maximumProductTerms = 4_000_000
    static let zero = Polynomial()
    static let one = Polynomial(constant: .one)

    var isZero: Bool { terms.isEmpty }
    var isConstant: Bool { terms.isEmpty || (terms.count == 1 && terms[0].monomial.isOne) }
    var constantValue: Rational? {
        if terms.isEmpty { return .zero }
        return isConstant ? terms[0].coefficient : nil
    }
    var leading: Term? { terms.first }

    /// Builds from unsorted terms with possible repeats.
    static func collect(_ items: [Monomial: Rational]) -> Polynomial {
        var ts: [Term] = []
        ts.reserveCapacity(items.count)
        for (m, c) in items where !c.isZero { ts.append(Term(monomial: m, coefficient: c)) }
        ts.sort { $1.monomial < $0.monomial }
        return Polynomial(sortedTerms: ts)
    }

    static func + (a: Polynomial, b: Polynomial) -> Polynomial {
        if a.isZero { return b }
        if b.isZero { return a }
        var out: [Term] = []
        out.reserveCapacity(a.terms.count + b.terms.count)
        var i = 0, j = 0
        let x = a.terms, y = b.terms
        while i < x.count && j < y.count {
            if x[i].monomial == y[j].monomial {
                let c = x[i].coefficient + y[j].coefficient
                if !c.isZero { out.append(Term(monomial: x[i].monomial, coefficient: c)) }
                i += 1; j += 1
            } else if y[j].monomial < x[i].monomial {
                out.append(x[i]); i += 1
            } else {
                out.append(y[j]); j += 1
            }
        }
        out.append(contentsOf: x[i...])
        out.append(contentsOf: y[j...])
        return Polynomial(sortedTerms: out)
    }

    static prefix func - (a: Polynomial) -> Polynomial {
        Polynomial(sortedTerms: a.terms.map { Term(monomial: $0.monomial, coefficient: -$0.coefficient) })
    }

    static func - (a: Polynomial, b: Polynomial) -> Polynomial { a + (-b) }

    func scaled(by c: Rational) -> Polynomial {
        if c.isZero { return .zero }
        if c.isOne { return self }
        return Polynomial(sortedTerms: terms.map { Term(monomial: $0.monomial, coefficient: $0.coefficient * c) })
    }

    func times(_ o: Polynomial) throws -> Polynomial {
        try Interrupt.check()
        if isZero || o.isZero { return .zero }
        if isConstant, let c = constantValue { return o.scaled(by: c) }
        if o.isConstant, let c = o.constantValue { return scaled(by: c) }
        if o.terms.count == 1 { return try timesTerm(o.terms[0]) }
        if terms.count == 1 { return try o.timesTerm(terms[0]) }
        // A bound, so a runaway exact computation falls back to the numeric test instead of
        // exhausting memory.
        guard terms.count * o.terms.count <= Polynomial.maximumProductTerms else {
            throw OutOfExactRange(reason: "an intermediate polynomial with more than \(Polynomial.maximumProductTerms) terms")
        }
        // All products, one sort, then equal monomials merged: no hashing.
        var products: [Term] = []
        products.reserveCapacity(terms.count * o.terms.count)
        for s in terms {
            for t in o.terms {
                guard let m = s.monomial.times(t.monomial) else { throw OutOfExactRange(reason: "an exponent above 255") }
                products.append(Term(monomial: m, coefficient: s.coefficient * t.coefficient))
            }
        }
        products.sort { $1.monomial < $0.monomial }
        var out: [Term] = []
        // (Term is trivially copyable in the common case: Rational boxes its big values.)
        out.reserveCapacity(products.count)
        for t in products {
            if let last = out.last, last.monomial == t.monomial {
                let c = last.coefficient + t.coefficient
                if c.isZero { out.removeLast() } else { out[out.count - 1].coefficient = c }
            } else {
                out.append(t)
            }
        }
        return Polynomial(sortedTerms: out)
    }

    /// Multiplying by one term keeps the order (lex order is compatible with multiplication).
    func timesTerm(_ t: Term) throws -> Polynomial {
        var out: [Term] = []
        out.reserveCapacity(terms.count)
        for s in terms {
            guard let m = s.monomial.times(t.monomial) else { throw OutOfExactRange(reason: "an exponent above 255") }
            out.append(Term(monomial: m, coefficient: s.coefficient * t.coefficient))
        }
        return Polynomial(sortedTerms: out)
    }

    /// self^k by squaring, each product by `multiply` (RationalForm's charges its work budget).
    func power(_ k: Int, multiply: (Polynomial, Polynomial) throws -> Polynomial = { try $0.times($1) }) throws -> Polynomial {
        var result = Polynomial.one, base = self, e = k
        while e > 0 {
            if e & 1 == 1 { result = try multiply(result, base) }
            e >>= 1
            if e > 0 { base = try multiply(base, base) }
        }
        return result
    }

    /// The exact quotient self / d, or nil when d does not divide self.
    func exactQuotient(_ d: Polynomial) throws -> Polynomial? {
        guard let lead = d.leading else { return nil }
        var remainder = self
        var quotient: [Term] = []
        var steps = 0
        while let r = remainder.leading {
            guard let m = r.monomial.divided(by: lead.monomial) else { return nil }
            let t = Term(monomial: m, coefficient: r.coefficient / lead.coefficient)
            quotient.append(t)
            remainder = remainder - (try d.timesTerm(t))
            steps += 1
            if steps > 100_000 { return nil }
        }
        return Polynomial(sortedTerms: quotient)
    }

    /// ∂/∂x_v. Lowering one variable's exponent in every term that has it keeps their lex order.
    func derivative(_ v: Int) -> Polynomial {
        var out: [Term] = []
        for t in terms where t.monomial[v] > 0 {
            var m = t.monomial
            let e = m[v]
            m[v] = e - 1
            out.append(Term(monomial: m, coefficient: t.coefficient * Rational(e)))
        }
        return Polynomial(sortedTerms: out)
    }

    /// The largest monomial dividing every term.
    var monomialContent: Monomial {
        guard var g = terms.first?.monomial else { return .one }
        for t in terms.dropFirst() { g = g.gcd(t.monomial); if g.isOne { break } }
        return g
    }

}
