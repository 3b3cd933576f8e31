/// An exact, deterministic zero test for sums of fractions over differences of variables
/// (`DifferenceFractionSum`), by partial fractions one variable at a time. The common
/// denominator is never formed.
///
/// Why it decides. Let x be a variable that occurs in a denominator, and K the field of rational
/// functions in the other variables. Every term is N(x) / Π_k (x − a_k)^{m_k} · (factors free of
/// x), where the poles a_k are other variables or 0, distinct elements of K. Over K, a rational
/// function of x has exactly one decomposition
///
///     f(x) = P(x) + Σ_j Σ_{r=1}^{m_j} A_{j,r} / (x − a_j)^r,    P ∈ K[x], A_{j,r} ∈ K,
///
/// and the decomposition of a sum is the sum of the decompositions. So f = 0 exactly when every
/// coefficient of P and every A_{j,r} is zero in K. Each of those is again a sum of fractions over
/// differences, in which x no longer occurs: the test recurses on them, and ends with sums that
/// have no denominator left, polynomials that are zero or not term by term.
///
/// The pieces, for a term g(x)·(x − a_j)^{−m_j} with g = N(x) Π_{k≠j} (x − a_k)^{−m_k}:
///
///     A_{j,r} = [(x − a_j)^s] g,  s = m_j − r  (the Taylor coefficient of g at a_j)
///             = Σ_{t + Σ s_k = s} N_t(a_j) Π_{k≠j} C(m_k + s_k − 1, s_k) (−1)^{s_k} (a_j − a_k)^{−(m_k + s_k)},
///
/// with N_t(a) = Σ_e C(e, t) a^{e−t} n_e the Taylor coefficients of N = Σ_e n_e x^e; and P is the
/// quotient of N by the monic Π_k (x − a_k)^{m_k} (zero when N's degree in x is below the
/// denominator's).
enum PartialFractionZeroTest {
    enum Outcome: Equatable { case zero, nonzero, notApplicable }

    typealias Sum = DifferenceFractionSum
    typealias Factor = DifferenceFractionSum.Factor

    /// Work units (term products, and 16 for each piece a pole emits) the conversion and the
    /// test may spend on one expression before giving up. Measured: {T7, H} at calogero(n: 7)
    /// spends 9.6·10⁶, {T8, H} at n = 8 1.15·10⁸ (about a minute here).
    nonisolated(unsafe) static var workBudget = 400_000_000

    static func decide(_ e: Expr, budget: Int = workBudget) -> Outcome {
        guard budget > 0, DifferenceFractionForm.shape(e) != .other else { return .notApplicable }
        let form = DifferenceFractionForm(budget: budget)
        do {
            let s = try form.convert(e)
            return try isZero(s, form) ? .zero : .nonzero
        } catch {
            return .notApplicable
        }
    }

    /// Whether `s` is zero; nonzero answers are exact too (some coefficient is a non-zero polynomial).
    static func isZero(_ s: Sum, _ form: DifferenceFractionForm) throws -> Bool {
        var pending = [s]
        while let next = pending.popLast() {
            if next.isZero { continue }
            // The variable to eliminate: the highest that occurs in a denominator.
            var x = -1
            for d in next.terms.keys { if let last = d.last { x = max(x, last.hi) } }
            if x < 0 { return false }  // only the polynomial part is left, and it is not zero
            var groups: [Piece: Sum] = [:]
            for (d, n) in next.terms { try split(d, n, x, into: &groups, form) }
            pending.append(contentsOf: groups.values)
        }
        return true
    }

    /// Where a term's contribution goes: the coefficient of x^t in P, or A_{j,r} at the pole a_j.
    enum Piece: Hashable { case polynomial(Int), pole(Int, Int) }

    static func split(_ d: Sum.Denominator, _ n: Polynomial, _ x: Int, into groups: inout [Piece: Sum],
                      _ form: DifferenceFractionForm) throws {
        // Factors with x (x is the highest index, so they are (x − a)) and the rest.
        let poles = d.filter { $0.hi == x }, rest = d.filter { $0.hi != x }
        let coefficients = try byPower(n, of: x, form)  // N = Σ_e coefficients[e] x^e
        if poles.isEmpty {
            for (e, c) in coefficients.enumerated() where !c.isZero { groups[.polynomial(e), default: Sum()].add(rest, c) }
            return
        }
        let total = poles.reduce(0) { $0 + $1.exponent }
        if coefficients.count - 1 >= total {
            let q = try quotient(coefficients, by: poles, form)
            for (t, c) in q.enumerated() where !c.isZero { groups[.polynomial(t), default: Sum()].add(rest, c) }
        }
        for (j, pole) in poles.enumerated() {
            let others = poles.enumerated().filter { $0.offset != j }.map(\.element)
            for r in 1...pole.exponent {
                try taylorCoefficient(pole.exponent - r, at: pole.lo, of: coefficients, others: others, rest, form) {
                    groups[.pole(pole.lo, r), default: Sum()].add($0, $1)
                }
            }
        }
    }

    /// [(x − a)^s] of N(x) Π_k (x − a_k)^{−m_k} · rest, term by term, a = v_lo (0 when lo = −1).
    static func taylorCoefficient(_ s: Int, at lo: Int, of coefficients: [Polynomial], others: [Factor],
                                  _ rest: Sum.Denominator, _ form: DifferenceFractionForm,
                                  _ emit: (Sum.Denominator, Polynomial) throws -> Void) throws {
        // Distributions s = t + Σ s_k, enumerated by recursion over the other poles; only those
        // with t ≤ deg N (the others have a zero Taylor coefficient N_t).
        let degree = coefficients.count - 1
        var shifts = [Int](repeating: 0, count: others.count)
        func distribute(_ k: Int, _ left: Int) throws {
            if k == others.count {
                // Each piece is charged its terms and a fixed cost for its denominator.
                try form.charge(16)
                let numerator = try taylor(coefficients, left, at: lo, form)
                if numerator.isZero { return }
                var coefficient = Rational.one
                var denominator = rest
                for (i, f) in others.enumerated() {
                    let m = f.exponent, sk = shifts[i]
                    coefficient = coefficient * form.binomial(m + sk - 1, sk)
                    // (a − a_k) = ±(v_max − v_min), the sign + when a is the higher index.
                    let power = m + sk
                    guard power <= Sum.maximumExponent else { throw DifferenceFractionForm.Failure.notApplicable }
                    if (lo < f.lo) && power % 2 == 1 { coefficient = -coefficient }
                    if sk % 2 == 1 { coefficient = -coefficient }
                    let factor = Factor(hi: max(lo, f.lo), lo: min(lo, f.lo), exponent: power)
                    do { denominator = try Sum.multiply(denominator, [factor]) } catch { throw DifferenceFractionForm.Failure.notApplicable }
                }
                try form.charge(numerator.terms.count)
                try emit(denominator, numerator.scaled(by: coefficient))
                return
            }
            // The last pole takes at least what t cannot.
            let least = k == others.count - 1 ? max(0, left - degree) : 0
            guard least <= left else { return }
            for sk in least...left {
                shifts[k] = sk
                try distribute(k + 1, left - sk)
            }
        }
        if others.isEmpty && s > degree { return }
        try distribute(0, s)
    }

    /// N_t(a) = Σ_e C(e, t) a^{e−t} n_e, with a = v_lo or 0.
    static func taylor(_ coefficients: [Polynomial], _ t: Int, at lo: Int, _ form: DifferenceFractionForm) throws -> Polynomial {
        guard t < coefficients.count else { return .zero }
        if lo < 0 { return coefficients[t] }
        var sum = Polynomial.zero
        for e in t..<coefficients.count where !coefficients[e].isZero {
            var term = coefficients[e].scaled(by: form.binomial(e, t))
            if e > t {
                guard e - t < 256 else { throw DifferenceFractionForm.Failure.notApplicable }
                do {
                    term = try term.timesTerm(Polynomial.Term(monomial: Monomial(variable: lo, exponent: e - t), coefficient: .one))
                } catch { throw DifferenceFractionForm.Failure.notApplicable }
            }
            try form.charge(term.terms.count)
            sum = sum + term
        }
        return sum
    }

    /// N = Σ_e c_e x^e with the c_e free of x.
    static func byPower(_ n: Polynomial, of x: Int, _ form: DifferenceFractionForm) throws -> [Polynomial] {
        var degree = 0
        for t in n.terms { degree = max(degree, t.monomial[x]) }
        if degree == 0 { return [n] }
        var buckets = [[Monomial: Rational]](repeating: [:], count: degree + 1)
        for t in n.terms {
            var m = t.monomial
            let e = m[x]
            m[x] = 0
            buckets[e][m, default: .zero] += t.coefficient
        }
        try form.charge(n.terms.count)
        return buckets.map { Polynomial.collect($0) }
    }

    /// The polynomial part of N / Π_k (x − a_k)^{m_k}: the quotient by the monic denominator.
    static func quotient(_ n: [Polynomial], by poles: [Factor], _ form: DifferenceFractionForm) throws -> [Polynomial] {
        // The denominator's coefficients in x, from Π (x − a_k)^{m_k}.
        var d: [Polynomial] = [.one]
        for f in poles {
            let root = f.lo < 0 ? Polynomial.zero : Polynomial(variable: f.lo)
            for _ in 0..<f.exponent {
                var next = [Polynomial](repeating: .zero, count: d.count + 1)
                for (i, c) in d.enumerated() {
                    next[i + 1] = next[i + 1] + c
                    next[i] = next[i] - (try form.times(c, root))
                }
                d = next
            }
        }
        var remainder = n
        let m = d.count - 1
        var q = [Polynomial](repeating: .zero, count: n.count - m)
        for e in stride(from: n.count - 1, through: m, by: -1) {
            let c = remainder[e]
            q[e - m] = c
            if c.isZero { continue }
            for i in 0...m { remainder[e - m + i] = remainder[e - m + i] - (try form.times(c, d[i])) }
        }
        return q
    }

}

extension PartialFractionZeroTest {
    /// Whether {f, g} = 0, with the bracket formed in the factored form itself: the gradients are
    /// taken term by term (∂/∂v of (v − w)^{−m} is −m (v − w)^{−m−1}), so no bracket expression is
    /// built, sorted or converted. `form` may be shared by several f with one g.
    static func decideBracket(_ f: Expr, _ g: Expr, _ pairs: [CanonicalPair], _ form: DifferenceFractionForm) -> Outcome {
        // A prepared form (a catalog invariant) is of the form by construction: its shape is
        // read from it instead of walking the expression.
        func shape(_ e: Expr) -> DifferenceFractionForm.Shape {
            guard let prepared = PreparedForms.shared.lookup(e) else { return DifferenceFractionForm.shape(e) }
            return prepared.hasFractions ? .fractions : .polynomial
        }
        let shapes = [shape(f), shape(g)]
        guard form.budget > 0, !shapes.contains(.other), shapes.contains(.fractions) else { return .notApplicable }
        do {
            let (fs, gs) = (try form.convert(f), try form.convert(g))
            // Numerators free of the pole variables (Calogero–Moser): the flat test, on all cores.
            let indices = try pairs.map { (q: try form.variable($0.q), p: try form.variable($0.p)) }
            do {
                return try FlatFractions.bracketIsZero(fs, gs, pairs: indices, form) ? .zero : .nonzero
            } catch is FlatFractions.NotApplicable {
            } catch is FlatFractions.OverBudget {
                return .notApplicable
            }
            var sum = DifferenceFractionSum()
            for pair in pairs {
                let (q, p) = (try form.variable(pair.q), try form.variable(pair.p))
                sum.add(try form.multiply(try form.derivative(fs, q), try form.derivative(gs, p)))
                sum.add(try form.multiply(try form.derivative(fs, p), try form.derivative(gs, q)).negated())
            }
            return try isZero(sum, form) ? .zero : .nonzero
        } catch {
            return .notApplicable
        }
    }
}

extension Simplifier {
    /// {f, g} = 0 proven (true) or refuted (false) exactly in factored form, nil when f or g is
    /// not a sum of fractions over differences (or the work budget ran out).
    public static func bracketIsZeroByPartialFractions(_ f: Expr, _ g: Expr, _ bracket: PoissonBracket) -> Bool? {
        switch PartialFractionZeroTest.decideBracket(f, g, bracket.pairs, DifferenceFractionForm(budget: PartialFractionZeroTest.workBudget)) {
        case .zero: return true
        case .nonzero: return false
        case .notApplicable: return nil
        }
    }

    /// Whether {f, g} is zero, for each f: decided exactly on the bracket in factored form where
    /// f and g are sums of fractions over differences (`PartialFractionZeroTest.decideBracket`,
    /// no bracket expression is built); else formed in the exact rational form from f's and
    /// g's forms (`RationalForm.bracketIsZero`, again without a bracket expression), which
    /// answers when it proves zero, or refutes without kernels; else as `areZero` decides the
    /// bracket expression. A `true` is then exact where `areZero` may have reached only the
    /// modular verdict.
    public static func areBracketsZero(_ fs: [Expr], _ g: Expr, _ bracket: PoissonBracket) -> [ZeroDecision] {
        let fractions = DifferenceFractionForm(budget: 0)
        let form = RationalForm(floatsAreExact: true)
        // A form of its own: the kernels the derivatives add (cos u beside sin u) must not crowd
        // the bracket expression's form towards its 32 variables when this route declines.
        let bracketForm = RationalForm(floatsAreExact: true)
        return fs.map { f in
            fractions.budget = PartialFractionZeroTest.workBudget
            switch PartialFractionZeroTest.decideBracket(f, g, bracket.pairs, fractions) {
            case .zero: return .zero
            case .nonzero: return .nonzero(witness: nil)
            case .notApplicable: break
            }
            // The bracket in the rational form itself, from f's and g's forms (kept across the
            // fs, so g's derivatives are taken once), under the exact form's work budget.
            bracketForm.workBudget = exactWorkBudget
            let proven = bracketForm.bracketIsZero(f, g, pairs: bracket.pairs)
            bracketForm.workBudget = nil
            if let proven { return proven ? .zero : .nonzero(witness: nil) }
            // The factored route was tried: the bracket expression is not tried by it again.
            return isZero(bracket(f, g), in: form, partialFractions: false)
        }
    }
}
