import BigInt

/// Why an expression could not be brought to an exact rational form.
enum RationalFormFailure: Error {
    case inexact(String)
    case divisionByZero
}

/// N/D with N a polynomial and D a product of normalised factor polynomials with multiplicities.
struct RationalFunction {
    var numerator: Polynomial
    /// (factor id, multiplicity), sorted by id.
    var denominator: [(Int, Int)]

    init(_ n: Polynomial, _ d: [(Int, Int)] = []) { numerator = n; denominator = d }
    var isPolynomial: Bool { denominator.isEmpty }
}

/// Brings expressions to the form N/D over ℚ in the symbols and *kernel variables*, with
/// the side relations Hamiltonian mechanics needs (HOT-PATHS.md):
///
/// - `P^(1/d)` is a variable ρ with ρ^d = P (when P is a polynomial); `P^(m/d)` is ρ^m.
/// - `exp(c1 t1 + …)` is a Laurent monomial in kernels E_t = exp(t), so exp(a)exp(b) = exp(a+b).
/// - `sinh`, `cosh`, `tanh` are rewritten through exp, so cosh² − sinh² = 1.
/// - `sin u`, `cos u` are variables s, c with c² = 1 − s²; `tan u` = s/c.
/// - `|u|` is a variable a with a² = u² when u is a polynomial in the symbols (real); else an
///   opaque variable. `I` is a variable with I² = −1.
/// - anything else (`log u`, `x^y`) is an opaque variable.
///
/// Denominators stay factored, so the common denominator of a sum is a union of factor
/// multisets, not a polynomial gcd. An expression is zero when its reduced numerator is;
/// when kernels are algebraically dependent (`sqrt(x^2)` and `x`) a zero may be missed, which
/// is why `Simplifier` checks a non-zero answer numerically.
final class RationalForm {
    private(set) var atoms: [Expr] = []
    private var atomIndex: [Expr: Int] = [:]
    /// For a kernel variable k: k^degree → replacement.
    private var relations: [Int: (degree: Int, replacement: Polynomial)] = [:]
    private(set) var factors: [Polynomial] = []
    private var factorIndex: [Polynomial: Int] = [:]
    private var memo: [Expr: RationalFunction] = [:]
    private var termsMemo: [Expr: [RationalFunction]] = [:]
    private var factorPowers: [Int: [Polynomial]] = [:]
    /// x → (variable → ∂variable/∂x), and x → (expression → ∂expression/∂x), for `derivative`.
    private var variableDerivatives: [String: [Int: RationalFunction]] = [:]
    private var expressionDerivatives: [String: [Expr: [RationalFunction]]] = [:]
    /// For the symbolic part t of each term c·t of an exp argument, the common denominator D of
    /// the coefficients c met (`prepareExponentials`): the kernel is exp(t/D), so exp(t) and
    /// exp(t/2) are powers of one kernel and exp(t/2)² = exp(t) is built in.
    private var exponentialScales: [Expr: Int] = [:]
    /// The t whose kernel exp(t/D) has been built (D can no longer change).
    private var builtScales: Set<Expr> = []
    /// Whether a kernel other than `I` was introduced (dependent kernels are possible). In a
    /// shared context this is conservative: a kernel met by any expression counts.
    private(set) var hasKernels = false
    /// Whether floats take their exact binary value (the zero test) or stay outside the exact
    /// form (simplification, which must not print 1e-10 as a 34-digit fraction).
    let floatsAreExact: Bool

    init(floatsAreExact: Bool = false) { self.floatsAreExact = floatsAreExact }

    /// Term products (terms × terms, summed over polynomial products) the exact form may still
    /// spend; nil: no limit beyond `Polynomial.maximumProductTerms`. The zero test sets it when a
    /// cheaper certified verdict exists (`ModularZeroTest`), so that a normal form too large to
    /// be worth building is abandoned after a deterministic amount of work, not after minutes.
    var workBudget: Int?

    /// a · b, charged to `workBudget`.
    private func mul(_ a: Polynomial, _ b: Polynomial) throws -> Polynomial {
        if var budget = workBudget {
            budget -= a.terms.count * b.terms.count
            guard budget >= 0 else { throw OutOfExactRange(reason: "more than the exact form's work budget") }
            workBudget = budget
        }
        return try a.times(b)
    }

    /// Records the exp kernels' scales `e` needs, before it is converted. False when a kernel
    /// already built would need a finer scale; the caller then converts `e` in a fresh form.
    func prepareExponentials(_ e: Expr) -> Bool {
        var seen = Set<ObjectIdentifier>()
        var consistent = true
        func record(_ u: Expr) {
            let terms: [Expr]
            if case .sum(let ts) = u.kind { terms = ts } else { terms = [u] }
            for t in terms {
                let (c, fs) = t.splitCoefficient()
                guard case .exact(let q) = c, let d = q.denominator.asInt else { continue }
                let key = Expr.term(.exact(.one), fs)
                let old = exponentialScales[key] ?? 1
                let (product, overflow) = old.multipliedReportingOverflow(by: d / gcd(old, d))
                // Beyond 2^16 the kernels stay apart (as before: the numeric test then decides).
                guard !overflow, product <= 1 << 16, product != old else { continue }
                if builtScales.contains(key) { consistent = false }
                exponentialScales[key] = product
            }
        }
        func walk(_ e: Expr) {
            guard e.node.hasExponential, seen.insert(ObjectIdentifier(e.node)).inserted else { return }
            switch e.kind {
            case .function(let f, let a):
                switch f {
                case .exp, .sinh, .cosh: record(a)
                case .tanh: record(2 * a)
                default: break
                }
                walk(a)
            case .sum(let ts): ts.forEach(walk)
            case .product(_, let fs): fs.forEach(walk)
            case .power(let b, let x): walk(b); walk(x)
            default: break
            }
        }
        walk(e)
        return consistent
    }

    private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    // MARK: Variables and factors

    func variable(_ atom: Expr) throws -> Int {
        if let i = atomIndex[atom] { return i }
        guard atoms.count < Monomial.maxVariables else {
            throw RationalFormFailure.inexact("more than \(Monomial.maxVariables) variables and kernels")
        }
        atoms.append(atom)
        atomIndex[atom] = atoms.count - 1
        return atoms.count - 1
    }

    private func kernel(_ atom: Expr, degree: Int? = nil, replacement: Polynomial? = nil) throws -> Int {
        let known = atomIndex[atom] != nil
        let v = try variable(atom)
        if !known {
            if atom != .i { hasKernels = true }
            if let d = degree, let r = replacement { relations[v] = (d, r) }
        }
        return v
    }

    private func factorID(_ p: Polynomial) -> Int {
        if let i = factorIndex[p] { return i }
        factors.append(p)
        factorIndex[p] = factors.count - 1
        return factors.count - 1
    }

    private func factorPower(_ id: Int, _ k: Int) throws -> Polynomial {
        var cache = factorPowers[id] ?? [.one]
        while cache.count <= k { cache.append(try mul(cache[cache.count - 1], factors[id])) }
        factorPowers[id] = cache
        return cache[k]
    }

    private func monomialPolynomial(_ v: Int, _ e: Int) throws -> Polynomial {
        guard e < 256 else { throw RationalFormFailure.inexact("an exponent above 255") }
        return Polynomial(sortedTerms: [.init(monomial: Monomial(variable: v, exponent: e), coefficient: .one)])
    }

    // MARK: Arithmetic on rational functions

    func multiply(_ a: RationalFunction, _ b: RationalFunction) throws -> RationalFunction {
        RationalFunction(try mul(a.numerator, b.numerator), mergeDenominators(a.denominator, b.denominator, +))
    }

    fileprivate func mergeDenominators(_ x: [(Int, Int)], _ y: [(Int, Int)], _ combine: (Int, Int) -> Int) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        var i = 0, j = 0
        while i < x.count || j < y.count {
            if j == y.count || (i < x.count && x[i].0 < y[j].0) { out.append(x[i]); i += 1 }
            else if i == x.count || y[j].0 < x[i].0 { out.append(y[j]); j += 1 }
            else { out.append((x[i].0, combine(x[i].1, y[j].1))); i += 1; j += 1 }
        }
        return out
    }

    /// Σ items over a common denominator. Terms whose denominators have the same factors
    /// (whatever the powers) are added first: such groups often cancel on their own (each pair
    /// potential of an N-body bracket does), and their cofactors are cheap, whereas one common
    /// denominator for everything multiplies every numerator by the product of all factors.
    func add(_ items: [RationalFunction]) throws -> RationalFunction {
        try addOverCommonDenominator(items.count > 2 ? try mergeByDenominator(items) : items)
    }

    func addOverCommonDenominator(_ items: [RationalFunction]) throws -> RationalFunction {
        var lcd: [(Int, Int)] = []
        for r in items { lcd = mergeDenominators(lcd, r.denominator, max) }
        var numerator = Polynomial.zero
        for r in items {
            var cofactor = Polynomial.one
            var j = 0
            for (id, m) in lcd {
                var have = 0
                while j < r.denominator.count && r.denominator[j].0 < id { j += 1 }
                if j < r.denominator.count && r.denominator[j].0 == id { have = r.denominator[j].1 }
                if m > have { cofactor = try mul(cofactor, try factorPower(id, m - have)) }
            }
            numerator = numerator + (try mul(r.numerator, cofactor))
        }
        return RationalFunction(numerator, lcd)
    }

    /// 1 / (N/D) = D/N, with N split into a constant, variables (monomial content) and one
    /// normalised factor (monic in its leading term).
    func invert(_ r: RationalFunction) throws -> RationalFunction {
        guard let lead = r.numerator.leading else { throw RationalFormFailure.divisionByZero }
        var numerator = Polynomial(constant: lead.coefficient.reciprocal)
        for (id, m) in r.denominator { numerator = try mul(numerator, try factorPower(id, m)) }
        var denominator: [(Int, Int)] = []
        let content = r.numerator.monomialContent
        var rest = r.numerator.scaled(by: lead.coefficient.reciprocal)
        if !content.isOne {
            let divisor = Polynomial(sortedTerms: [.init(monomial: content, coefficient: .one)])
            rest = try rest.exactQuotient(divisor) ?? rest
            for v in 0..<atoms.count where content[v] > 0 {
                denominator.append((factorID(Polynomial(variable: v)), content[v]))
            }
        }
        if !rest.isConstant { denominator.append((factorID(rest), 1)) }
        denominator.sort { $0.0 < $1.0 }
        // Merge repeated ids (a variable factor may already be listed).
        var merged: [(Int, Int)] = []
        for f in denominator {
            if let last = merged.last, last.0 == f.0 { merged[merged.count - 1].1 += f.1 } else { merged.append(f) }
        }
        return RationalFunction(numerator, merged)
    }

    func power(_ r: RationalFunction, _ k: Int) throws -> RationalFunction {
        if k == 0 { return RationalFunction(.one) }
        // Coefficients grow k-fold: 2^(10^5) or (sqrt(2)-1)^(10^4) is for the numeric test.
        let bits = r.numerator.terms.reduce(0) { max($0, $1.coefficient.bitSize) }
        let (total, overflow) = bits.multipliedReportingOverflow(by: k.magnitude > Int.max ? Int.max : abs(k))
        guard !overflow, total <= RationalForm.largestPowerBits else {
            throw RationalFormFailure.inexact("a power with coefficients above \(RationalForm.largestPowerBits) bits")
        }
        let base = k < 0 ? try invert(r) : r
        let n = abs(k)
        return RationalFunction(try base.numerator.power(n, multiply: mul), base.denominator.map { ($0.0, $0.1 * n) })
    }

    // MARK: Conversion

    /// The exact value of a number: a float is the dyadic rational it holds, so `1e-10*q` is
    /// decided exactly (non-zero) like any other coefficient. Not finite: outside the exact test.
    func exactValue(_ n: Number) throws -> Rational {
        switch n {
        case .exact(let r): return r
        case .float(let x):
            guard floatsAreExact else { throw RationalFormFailure.inexact("a floating-point number") }
            guard let r = Rational(exactly: x) else { throw RationalFormFailure.inexact("a non-finite number") }
            return r
        }
    }

    func convert(_ e: Expr) throws -> RationalFunction {
        if let known = memo[e] { return known }
        let result: RationalFunction
        switch e.kind {
        case .number(let n):
            result = RationalFunction(Polynomial(constant: try exactValue(n)))
        case .symbol, .pi:
            result = RationalFunction(Polynomial(variable: try variable(e)))
        case .imaginaryUnit:
            result = RationalFunction(Polynomial(variable: try kernel(e, degree: 2, replacement: Polynomial(constant: .minusOne))))
        case .undefined:
            throw RationalFormFailure.divisionByZero
        case .sum, .product:
            result = try add(try terms(e))
        case .power(let b, let x):
            result = try convertPower(e, b, x)
        case .function(let f, let u):
            result = try convertFunction(e, f, u)
        }
        memo[e] = result
        return result
    }

    /// The expression as a sum of fractions, products distributed over sums (while the number
    /// of terms stays moderate): denominators stay apart until `add` groups them, so terms that
    /// cancel among themselves never meet the other terms' denominators.
    func terms(_ e: Expr) throws -> [RationalFunction] {
        if let known = termsMemo[e] { return known }
        let result: [RationalFunction]
        switch e.kind {
        case .sum(let ts):
            result = try mergeByDenominator(try ts.flatMap { try terms($0) })
        case .product(let c, let fs):
            var acc = [RationalFunction(Polynomial(constant: try exactValue(c)))]
            for f in fs {
                var next = try terms(f)
                if acc.count * next.count > RationalForm.maximumDistributedTerms {
                    acc = [try add(acc)]
                    if next.count > 1 { next = [try add(next)] }
                }
                var product: [RationalFunction] = []
                product.reserveCapacity(acc.count * next.count)
                for a in acc { for b in next { product.append(try multiply(a, b)) } }
                acc = product
            }
            result = acc
        default:
            result = [try convert(e)]
        }
        termsMemo[e] = result
        return result
    }

    static let maximumDistributedTerms = 4096

    /// The largest coefficient a power may be expected to make in the exact form (bits).
    static let largestPowerBits = 1 << 17

    /// One fraction per distinct set of denominator factors (adding within a set is cheap),
    /// zeros dropped.
    func mergeByDenominator(_ items: [RationalFunction]) throws -> [RationalFunction] {
        if items.count < 2 { return items }
        // The common case, one shared set of factors, needs no grouping.
        let first = items[0].denominator
        if items.allSatisfy({ $0.denominator.count == first.count && zip($0.denominator, first).allSatisfy { $0.0 == $1.0 } }) {
            let sum = try addOverCommonDenominator(items)
            return sum.numerator.isZero ? [] : [sum]
        }
        var order: [[Int]] = []
        var groups: [[Int]: [RationalFunction]] = [:]
        for r in items {
            let key = r.denominator.map(\.0)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        if order.count == items.count { return items }
        var out: [RationalFunction] = []
        for key in order {
            let g = groups[key]!
            let sum = g.count == 1 ? g[0] : try addOverCommonDenominator(g)
            if !sum.numerator.isZero { out.append(sum) }
        }
        return out
    }

    private func convertPower(_ e: Expr, _ b: Expr, _ x: Expr) throws -> RationalFunction {
        guard let r = try x.numberValue.map(exactValue) else {
            if x.containsFloat { throw RationalFormFailure.inexact("a floating-point exponent") }
            return RationalFunction(Polynomial(variable: try kernel(e)))
        }
        if let k = r.intValue { return try power(try convert(b), k) }
        guard let d = Int(exactly: r.denominator), let m = Int(exactly: r.numerator), d <= 255 else {
            throw RationalFormFailure.inexact("an exponent too large for the exact test")
        }
        let root = Expr.power(b, .rational(Rational(1, d)))
        let baseForm = try convert(b)
        let v = try kernel(root, degree: baseForm.isPolynomial ? d : nil, replacement: baseForm.isPolynomial ? baseForm.numerator : nil)
        return try power(RationalFunction(Polynomial(variable: v)), m)
    }

    private func convertFunction(_ e: Expr, _ f: MathFunction, _ u: Expr) throws -> RationalFunction {
        switch f {
        case .exp:
            let terms: [Expr]
            if case .sum(let ts) = u.kind { terms = ts } else { terms = [u] }
            var acc = RationalFunction(.one)
            for t in terms {
                let (c, fs) = t.splitCoefficient()
                guard case .exact(let q) = c, let n = q.numerator.asInt, let d = q.denominator.asInt else {
                    return RationalFunction(Polynomial(variable: try kernel(e)))
                }
                // exp(n t/d) = exp(t/D)^(n D/d) with D the scale prepared for t (or d).
                let key = Expr.term(.exact(.one), fs)
                var scale = exponentialScales[key] ?? d
                if exponentialScales[key] == nil { exponentialScales[key] = d }
                if scale % d != 0 { scale = d } else { builtScales.insert(key) }
                let atom = Expr.apply(.exp, Expr.term(.exact(Rational(1, scale)), fs))
                let v = try kernel(atom)
                let (k, overflow) = n.multipliedReportingOverflow(by: scale / d)
                if overflow { throw RationalFormFailure.inexact("an exponential's exponent too large for the exact test") }
                acc = try multiply(acc, try power(RationalFunction(Polynomial(variable: v)), k))
            }
            return acc
        case .sinh:
            return try convert((Expr.apply(.exp, u) - .apply(.exp, -u)) / 2)
        case .cosh:
            return try convert((Expr.apply(.exp, u) + .apply(.exp, -u)) / 2)
        case .tanh:
            let e2 = Expr.apply(.exp, 2 * u)
            return try convert((e2 - 1) / (e2 + 1))
        case .sin:
            return RationalFunction(Polynomial(variable: try kernel(e)))
        case .cos:
            let s = try kernel(.apply(.sin, u))
            let one = Polynomial.one
            let s2 = try monomialPolynomial(s, 2)
            return RationalFunction(Polynomial(variable: try kernel(e, degree: 2, replacement: one - s2)))
        case .tan:
            return try convert(Expr.apply(.sin, u) / .apply(.cos, u))
        case .abs:
            let inner = try convert(u)
            // a² = u² holds for real u only (|I|² is 1, not −1): u a polynomial in the symbols.
            if inner.isPolynomial, inSymbols(inner.numerator) {
                let square = try mul(inner.numerator, inner.numerator)
                return RationalFunction(Polynomial(variable: try kernel(e, degree: 2, replacement: square)))
            }
            return RationalFunction(Polynomial(variable: try kernel(e)))
        case .log, .atan:
            return RationalFunction(Polynomial(variable: try kernel(e)))
        }
    }

    // MARK: Reduction and back-conversion

    /// Reduces a polynomial modulo the side relations, newest kernels first (a kernel's
    /// replacement only mentions variables introduced before it).
    func reduce(_ p: Polynomial) throws -> Polynomial {
        var p = p
        for v in relations.keys.sorted(by: >) {
            let (d, replacement) = relations[v]!
            guard p.terms.contains(where: { $0.monomial[v] >= d }) else { continue }
            var kept: [Polynomial.Term] = []
            var byQuotient: [Int: [Polynomial.Term]] = [:]
            for t in p.terms {
                let e = t.monomial[v]
                if e < d { kept.append(t); continue }
                var m = t.monomial
                m[v] = e % d
                byQuotient[e / d, default: []].append(.init(monomial: m, coefficient: t.coefficient))
            }
            var result = Polynomial(sortedTerms: kept)
            var powers: [Polynomial] = [.one]
            for q in byQuotient.keys.sorted() {
                while powers.count <= q { powers.append(try mul(powers[powers.count - 1], replacement)) }
                let part = Polynomial.collect(Dictionary(byQuotient[q]!.map { ($0.monomial, $0.coefficient) }, uniquingKeysWith: +))
                result = result + (try mul(part, powers[q]))
            }
            p = result
        }
        return p
    }

    func expr(_ p: Polynomial) -> Expr {
        var terms: [Expr] = []
        terms.reserveCapacity(p.terms.count)
        for t in p.terms {
            var factors: [Expr] = [.rational(t.coefficient)]
            for v in 0..<atoms.count where t.monomial[v] > 0 {
                factors.append(.power(atoms[v], .integer(t.monomial[v])))
            }
            terms.append(.product(factors))
        }
        return .sum(terms)
    }

    func expr(_ r: RationalFunction) -> Expr {
        var factors = [expr(r.numerator)]
        for (id, m) in r.denominator { factors.append(.power(expr(self.factors[id]), .integer(-m))) }
        return .product(factors)
    }

    /// Lowers kernel powers in the denominator with the side relations: ρ^3 with ρ² = P
    /// becomes ρ·P, so that P can then cancel against the numerator.
    func reduceDenominator(_ r: RationalFunction) throws -> RationalFunction {
        var result = RationalFunction(r.numerator)
        for (id, m) in r.denominator {
            let f = factors[id]
            if f.terms.count == 1, f.terms[0].coefficient.isOne,
               let v = (0..<atoms.count).first(where: { f.terms[0].monomial[$0] == 1 }),
               f.terms[0].monomial == Monomial(variable: v, exponent: 1),
               let (d, replacement) = relations[v], m >= d {
                let lowered = try multiply(try invert(RationalFunction(try monomialPolynomial(v, m % d))),
                                           try power(RationalFunction(replacement), -(m / d)))
                result = try multiply(result, lowered)
            } else {
                result = try multiply(result, RationalFunction(.one, [(id, m)]))
            }
        }
        return result
    }

    /// N/D as Σ (term of N)/D, each term canonicalised (kernel powers cancel termwise).
    func distributedExpr(_ r: RationalFunction) -> Expr {
        var denominator: [Expr] = []
        for (id, m) in r.denominator { denominator.append(.power(expr(factors[id]), .integer(-m))) }
        return .sum(r.numerator.terms.map { t in
            .product([expr(Polynomial(sortedTerms: [t]))] + denominator)
        })
    }

    /// Divides out denominator factors that divide the numerator exactly.
    func cancel(_ r: RationalFunction) throws -> RationalFunction {
        var n = r.numerator
        var d: [(Int, Int)] = []
        for (id, m) in r.denominator {
            var left = m
            while left > 0, !n.isZero, let q = try n.exactQuotient(factors[id]) { n = q; left -= 1 }
            if left > 0 { d.append((id, left)) }
        }
        return RationalFunction(n, d)
    }
}

// MARK: Derivatives and brackets in the form

extension RationalForm {
    /// A derivative the form does not hold: a power with a variable exponent (x^y), or a root
    /// (or |u|) of a radicand holding kernels, depends on the variable.
    struct NotDifferentiable: Error {}

    /// ∂v/∂x for a variable of the form: 1 or 0 for a symbol, 0 for a kernel free of x; by the
    /// chain rule for exp u (v u'), sin u (cos(u) u'), cos u (−sin(u) u'), log u (u'/u),
    /// atan u (u'/(1 + u²)) and |u| without a relation (u u'/|u|); and from the side relation
    /// v^d = R of a root or |u| of a polynomial R in the symbols: d v^(d−1) v' = R', so
    /// v' = R' v / (d R).
    ///
    /// Why R must be free of kernels: the bracket's fractions are added over one denominator,
    /// so every term is multiplied by R, and a zero numerator proves the bracket zero only
    /// where R is not. A polynomial in the symbols vanishes on a null set; R = |q| − q, or
    /// sin(q)² + cos(q)² − 1, vanishes on a whole region (q > 0; everywhere) where f is
    /// defined, and {(q + |q|)(1 + sqrt(|q| − q)), p²/2}, which is 2p for q > 0, came out 0.
    private func variableDerivative(_ v: Int, _ x: String, _ bit: UInt64) throws -> RationalFunction {
        if let known = variableDerivatives[x]?[v] { return known }
        let atom = atoms[v]
        let result: RationalFunction
        if case .symbol(let s) = atom.kind {
            result = RationalFunction(s == x ? .one : .zero)
        } else if atom.node.symbolMask & bit == 0 || !atom.contains(.symbol(x)) {
            result = RationalFunction(.zero)
        } else if case .function(.cos, let u) = atom.kind {
            let du = try add(try derivative(u, x))
            let sine = try convert(.apply(.sin, u))
            result = try multiply(RationalFunction(-sine.numerator, sine.denominator), du)
        } else if let (d, replacement) = relations[v] {
            guard inSymbols(replacement), !replacement.isZero else { throw NotDifferentiable() }
            let scaled = RationalFunction(Polynomial(variable: v).scaled(by: Rational(1, d)))
            result = try multiply(try multiply(try derivative(replacement, x, bit), scaled), try invert(RationalFunction(replacement)))
        } else if case .function(let f, let u) = atom.kind, f != .cos, f != .tan {
            let du = try add(try derivative(u, x))
            switch f {
            case .exp: result = try multiply(RationalFunction(Polynomial(variable: v)), du)
            case .sin: result = try multiply(try convert(.apply(.cos, u)), du)
            case .log: result = try multiply(du, try invert(try convert(u)))
            case .atan: result = try multiply(du, try invert(try convert(1 + u * u)))
            case .abs:
                // u u'/|u|, as `Expr.diff` writes it (this kernel has no relation |u|² = u²),
                // which holds for real u only: u a rational function of the symbols.
                let inner = try convert(u)
                guard inSymbols(inner.numerator), inner.denominator.allSatisfy({ inSymbols(factors[$0.0]) }) else { throw NotDifferentiable() }
                result = try multiply(try multiply(inner, du), try invert(RationalFunction(Polynomial(variable: v))))
            default: throw NotDifferentiable()  // sinh, cosh and tanh are converted through exp
            }
        } else {
            throw NotDifferentiable()
        }
        variableDerivatives[x, default: [:]][v] = result
        return result
    }

    /// Whether p's variables are all symbols (or pi): no kernel, so p is real where they are.
    func inSymbols(_ p: Polynomial) -> Bool {
        variables(p).allSatisfy { v in
            switch atoms[v].kind {
            case .symbol, .pi: return true
            default: return false
            }
        }
    }

    /// The variables p holds (a byte of the words' union is non-zero exactly where some term
    /// has that variable).
    private func variables(_ p: Polynomial) -> [Int] {
        var present = Monomial()
        for t in p.terms { present.w0 |= t.monomial.w0; present.w1 |= t.monomial.w1; present.w2 |= t.monomial.w2; present.w3 |= t.monomial.w3 }
        return (0..<atoms.count).filter { present[$0] > 0 }
    }

    /// ∂p/∂x by the chain rule through p's variables.
    private func derivative(_ p: Polynomial, _ x: String, _ bit: UInt64) throws -> RationalFunction {
        var items: [RationalFunction] = []
        for v in variables(p) {
            let dv = try variableDerivative(v, x, bit)
            if dv.numerator.isZero { continue }
            let dp = p.derivative(v)
            items.append(dv.isPolynomial && dv.numerator == .one ? RationalFunction(dp) : try multiply(RationalFunction(dp), dv))
        }
        if items.count == 1 { return items[0] }
        return items.isEmpty ? RationalFunction(.zero) : try add(items)
    }

    /// ∂r/∂x as a sum of fractions: (N/Π f_j^m_j)' = N'/D − Σ_j m_j N f_j' / (D f_j).
    func derivative(_ r: RationalFunction, _ x: String, into items: inout [RationalFunction]) throws {
        let bit = Expr.maskBit(x)
        let dn = try derivative(r.numerator, x, bit)
        if !dn.numerator.isZero { items.append(try multiply(dn, RationalFunction(.one, r.denominator))) }
        for (id, m) in r.denominator {
            let df = try derivative(factors[id], x, bit)
            if df.numerator.isZero { continue }
            let rest = RationalFunction(r.numerator.scaled(by: Rational(-m)), mergeDenominators(r.denominator, [(id, 1)], +))
            items.append(try multiply(rest, df))
        }
    }

    /// ∂e/∂x of an expression as a sum of fractions, from its terms (`terms`), those with the
    /// same denominator factors added (memoised per x).
    func derivative(_ e: Expr, _ x: String) throws -> [RationalFunction] {
        if let known = expressionDerivatives[x]?[e] { return known }
        var items: [RationalFunction] = []
        for t in try terms(e) { try derivative(t, x, into: &items) }
        let result = try mergeByDenominator(items)
        expressionDerivatives[x, default: [:]][e] = result
        return result
    }

    /// Whether {f, g} = 0, with the bracket formed in the form (no bracket expression is built
    /// or converted): the derivatives' fractions multiplied pairwise, as `terms` distributes a
    /// product, and added by denominator. True when the reduced numerator is zero, which
    /// proves it; false when it is not and the form holds no kernel; nil when that is not
    /// decided here (a kernel without a side relation depends on a canonical variable, the
    /// work budget ran out, a kernel makes a non-zero numerator inconclusive, or a conversion
    /// failed).
    func bracketIsZero(_ f: Expr, _ g: Expr, pairs: [CanonicalPair]) -> Bool? {
        // exp kernels at the scales f and g need (exp(q) and exp(q/2) as powers of one kernel);
        // a kernel already built too coarse for them leaves the bracket to the expression's test.
        guard prepareExponentials(f), prepareExponentials(g) else { return nil }
        do {
            var items: [RationalFunction] = []
            func product(_ a: [RationalFunction], _ b: [RationalFunction], negated: Bool) throws {
                var (a, b) = (a, b)
                if a.count * b.count > RationalForm.maximumDistributedTerms {
                    if a.count > 1 { a = [try add(a)] }
                    if b.count > 1 { b = [try add(b)] }
                }
                for x in a {
                    for y in b {
                        let p = try multiply(x, y)
                        items.append(negated ? RationalFunction(-p.numerator, p.denominator) : p)
                    }
                }
            }
            for pair in pairs {
                try product(try derivative(f, pair.q), try derivative(g, pair.p), negated: false)
                try product(try derivative(f, pair.p), try derivative(g, pair.q), negated: true)
            }
            if items.isEmpty { return true }
            if try reduce(try add(items).numerator).isZero { return true }
            return hasKernels ? nil : false
        } catch {
            return nil
        }
    }
}

extension BigInt {
    var asInt: Int? { Int(exactly: self) }
}
