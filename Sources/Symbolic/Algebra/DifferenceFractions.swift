import Foundation

/// Sums of fractions whose denominators are products of powers of differences of two variables
/// (q_i − q_j) or of single variables, kept factored: Σ_d N_d / d with polynomial numerators.
/// Calogero–Moser's invariants and brackets live here (1/(q_i − q_j)), and so do Neumann's
/// (1/(a_k − a_j)). The exact common denominator of such a sum is a product over many pairs,
/// which expanded has more terms than anything else in the computation; this form never
/// expands it (`PartialFractionZeroTest` decides zero without it).
struct DifferenceFractionSum {
    /// (v_hi − v_lo)^exponent with hi > lo, packed so that sorting the raw values sorts by
    /// (hi, lo); lo = −1 stands for the constant 0, so the factor is v_hi^exponent.
    struct Factor: Hashable, Comparable {
        var raw: UInt32
        init(hi: Int, lo: Int, exponent: Int) {
            // An exponent that spilled into the index fields would be a different factor.
            precondition(exponent >= 1 && exponent <= DifferenceFractionSum.maximumExponent && lo >= -1 && hi > lo && hi < 255)
            raw = UInt32(hi + 1) << 24 | UInt32(lo + 1) << 16 | UInt32(exponent)
        }
        var hi: Int { Int(raw >> 24) - 1 }
        var lo: Int { Int((raw >> 16) & 0xFF) - 1 }
        var exponent: Int { Int(raw & 0xFFFF) }
        var key: UInt32 { raw >> 16 }
        static func < (a: Factor, b: Factor) -> Bool { a.raw < b.raw }
    }
    /// Factors sorted by (hi, lo), each pair once, exponents ≥ 1. The empty array is 1.
    typealias Denominator = [Factor]

    var terms: [Denominator: Polynomial] = [:]

    static let maximumExponent = 0xFFFF

    init() {}
    init(_ p: Polynomial) { if !p.isZero { terms[[]] = p } }
    init(denominator: Denominator, numerator: Polynomial) { if !numerator.isZero { terms[denominator] = numerator } }

    var isZero: Bool { terms.isEmpty }

    mutating func add(_ denominator: Denominator, _ numerator: Polynomial) {
        if numerator.isZero { return }
        if let old = terms[denominator] {
            let s = old + numerator
            terms[denominator] = s.isZero ? nil : s
        } else {
            terms[denominator] = numerator
        }
    }

    /// Adds in place (`s = s + t` would copy s's table on every call while the caller holds s).
    mutating func add(_ other: DifferenceFractionSum) {
        if terms.isEmpty { terms = other.terms; return }
        for (d, n) in other.terms { add(d, n) }
    }

    /// The product of two denominators (exponents of a common pair add).
    static func multiply(_ a: Denominator, _ b: Denominator) throws -> Denominator {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var out: Denominator = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i].key == b[j].key {
                let e = a[i].exponent + b[j].exponent
                guard e <= maximumExponent else { throw OutOfExactRange(reason: "a denominator exponent above \(maximumExponent)") }
                out.append(Factor(hi: a[i].hi, lo: a[i].lo, exponent: e))
                i += 1; j += 1
            } else if a[i].key < b[j].key {
                out.append(a[i]); i += 1
            } else {
                out.append(b[j]); j += 1
            }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
    }

    func negated() -> DifferenceFractionSum {
        var out = self
        for (d, n) in terms { out.terms[d] = -n }
        return out
    }

}

/// Converts expressions to `DifferenceFractionSum`, charging term products to a budget.
final class DifferenceFractionForm {
    enum Failure: Error {
        /// Not of the form: a kernel (exp, sqrt, I, π), a non-integer power, or a division by
        /// something that is not a monomial or a difference of two variables.
        case notApplicable
        /// More term products than `budget`.
        case overBudget
    }

    private(set) var variables: [String: Int] = [:]
    private var memo: [ObjectIdentifier: DifferenceFractionSum] = [:]
    /// Term products left before the conversion or the test gives up.
    var budget: Int
    /// The index standing for I, when I is allowed: a variable ι with ι² = −1 applied only when
    /// converting back (`expression(_:)`). The zero test does not allow it.
    private(set) var imaginaryUnit: Int?
    private let allowsImaginaryUnit: Bool

    init(budget: Int, allowsImaginaryUnit: Bool = false) {
        self.budget = budget
        self.allowsImaginaryUnit = allowsImaginaryUnit
    }

    private var binomials: [Int: Rational] = [:]

    /// C(n, k), exactly (a pole of order 40 needs more than 64 bits), cached.
    func binomial(_ n: Int, _ k: Int) -> Rational {
        if k < 0 || k > n { return .zero }
        let key = n << 32 | k
        if let known = binomials[key] { return known }
        var r = Rational.one
        for i in 0..<min(k, n - k) { r = r * Rational(n - i, i + 1) }
        binomials[key] = r
        return r
    }

    func charge(_ work: Int) throws {
        budget -= work
        if budget < 0 { throw Failure.overBudget }
        try Interrupt.check()
    }

    /// A cheap structural check, before any conversion work: no kernels, integer powers only,
    /// at least one division, and every division by a symbol, a difference of two symbols
    /// (c·x − c·y), or a product of such. (`convert` still checks the coefficients.)
    static func applies(to e: Expr) -> Bool { shape(e) == .fractions }

    enum Shape { case polynomial, fractions, other }

    /// `fractions` when `applies`, `polynomial` when the same holds but nothing is divided.
    static func shape(_ e: Expr) -> Shape {
        if e.node.hasKernel { return .other }
        var memo: [ObjectIdentifier: Bool] = [:]
        var divisions = 0
        func linear(_ e: Expr) -> Bool {
            switch e.kind {
            case .symbol: return true
            case .product(_, let fs): return fs.count == 1 && { if case .symbol = fs[0].kind { return true }; return false }()
            default: return false
            }
        }
        func divisor(_ b: Expr) -> Bool {
            switch b.kind {
            case .symbol: return true
            case .sum(let ts): return ts.count == 2 && ts.allSatisfy(linear)
            case .product(_, let fs): return fs.allSatisfy(divisor)
            case .power(let base, let k):
                guard case .number(.exact(let q)) = k.kind, let m = q.intValue, m > 0 else { return false }
                return divisor(base)
            default: return false
            }
        }
        func walk(_ e: Expr) -> Bool {
            let id = ObjectIdentifier(e.node)
            if let known = memo[id] { return known }
            let ok: Bool
            switch e.kind {
            case .number(let n): if case .float(let x) = n { ok = x.isFinite } else { ok = true }
            case .symbol: ok = true
            case .sum(let ts): ok = ts.allSatisfy(walk)
            case .product(_, let fs): ok = fs.allSatisfy(walk)
            case .power(let b, let k):
                if case .number(.exact(let q)) = k.kind, let m = q.intValue {
                    if m < 0 { divisions += 1 }
                    ok = m >= 0 ? walk(b) : divisor(b)
                } else {
                    ok = false
                }
            case .function, .pi, .imaginaryUnit, .undefined: ok = false
            }
            memo[id] = ok
            return ok
        }
        return walk(e) ? (divisions > 0 ? .fractions : .polynomial) : .other
    }

    /// Takes on the variable numbering `names` (name k is variable k), so that a prepared form
    /// made with it can be used as it is; false when this form numbers a name differently.
    func adopt(_ names: [String]) -> Bool {
        for (k, name) in names.enumerated() {
            if let j = variables[name] {
                if j != k { return false }
            } else if variables.count == k {
                variables[name] = k
            } else {
                return false
            }
            // I's variable (a real prepared sum has none of it) is I's here only where I is
            // allowed, and only once the name is known to be variable k here.
            if name == FlatExpansion.imaginaryUnitName && allowsImaginaryUnit {
                guard imaginaryUnit == nil || imaginaryUnit == k else { return false }
                imaginaryUnit = k
            }
        }
        return true
    }

    /// The variables' names, by number.
    var names: [String] {
        var names = [String](repeating: "", count: variables.count)
        for (name, k) in variables { names[k] = name }
        return names
    }

    func variable(_ name: String) throws -> Int {
        if let i = variables[name] { return i }
        // Monomial holds 32 variables; a factor's packing leaves 8 bits for an index.
        guard variables.count < Monomial.maxVariables else { throw Failure.notApplicable }
        variables[name] = variables.count
        return variables.count - 1
    }

    func times(_ a: Polynomial, _ b: Polynomial) throws -> Polynomial {
        try charge(a.terms.count * b.terms.count)
        do { return try a.times(b) } catch is OutOfExactRange { throw Failure.notApplicable }
    }

    func convert(_ e: Expr) throws -> DifferenceFractionSum {
        let id = ObjectIdentifier(e.node)
        if let known = memo[id] { return known }
        if let prepared = PreparedForms.shared.lookup(e), adopt(prepared.names) {
            memo[id] = prepared.sum
            return prepared.sum
        }
        let result: DifferenceFractionSum
        switch e.kind {
        case .number(let n): result = DifferenceFractionSum(Polynomial(constant: try rational(n)))
        case .symbol(let s): result = DifferenceFractionSum(Polynomial(variable: try variable(s)))
        case .sum(let ts):
            var s = DifferenceFractionSum()
            for t in ts { s.add(try convert(t)) }
            result = s
        case .product(let c, let fs):
            var s = DifferenceFractionSum(Polynomial(constant: try rational(c)))
            for f in fs { s = try multiply(s, try convert(f)) }
            result = s
        case .power(let b, let x):
            guard case .number(.exact(let q)) = x.kind, let k = q.intValue else { throw Failure.notApplicable }
            let base = try convert(b)
            result = k >= 0 ? try power(base, k) : try power(try reciprocal(base), -k)
        case .imaginaryUnit:
            guard allowsImaginaryUnit else { throw Failure.notApplicable }
            if imaginaryUnit == nil { imaginaryUnit = try variable("\u{0}I") }
            result = DifferenceFractionSum(Polynomial(variable: imaginaryUnit!))
        case .function, .pi, .undefined:
            throw Failure.notApplicable
        }
        memo[id] = result
        return result
    }

    private func rational(_ n: Number) throws -> Rational {
        switch n {
        case .exact(let q): return q
        case .float(let x): guard let q = Rational(exactly: x) else { throw Failure.notApplicable }; return q
        }
    }

    func multiply(_ a: DifferenceFractionSum, _ b: DifferenceFractionSum) throws -> DifferenceFractionSum {
        if a.isZero || b.isZero { return DifferenceFractionSum() }
        var out = DifferenceFractionSum()
        for (da, na) in a.terms {
            for (db, nb) in b.terms {
                let d: DifferenceFractionSum.Denominator
                do { d = try DifferenceFractionSum.multiply(da, db) } catch is OutOfExactRange { throw Failure.notApplicable }
                out.add(d, try times(na, nb))
            }
        }
        return out
    }

    /// ∂s/∂v, term by term: ∂N/∂v / d, and ∓m N / (d · (v_hi − v_lo)) for each factor of d with v.
    func derivative(_ s: DifferenceFractionSum, _ v: Int) throws -> DifferenceFractionSum {
        var out = DifferenceFractionSum()
        for (d, n) in s.terms {
            try charge(n.terms.count)
            out.add(d, n.derivative(v))
            for (i, f) in d.enumerated() where f.hi == v || f.lo == v {
                guard f.exponent < DifferenceFractionSum.maximumExponent else { throw Failure.notApplicable }
                var raised = d
                raised[i] = .init(hi: f.hi, lo: f.lo, exponent: f.exponent + 1)
                out.add(raised, n.scaled(by: Rational(f.hi == v ? -f.exponent : f.exponent)))
            }
        }
        return out
    }

    func power(_ a: DifferenceFractionSum, _ k: Int) throws -> DifferenceFractionSum {
        // Coefficients grow k-fold, as in `RationalForm.power`: 2^(10^5) is not for this test.
        var bits = 0
        for n in a.terms.values { for t in n.terms { bits = max(bits, t.coefficient.bitSize) } }
        let (total, overflow) = bits.multipliedReportingOverflow(by: k)
        guard !overflow, total <= RationalForm.largestPowerBits else { throw Failure.notApplicable }
        var result = DifferenceFractionSum(.one), base = a, e = k
        while e > 0 {
            if e & 1 == 1 { result = try multiply(result, base) }
            e >>= 1
            if e > 0 { base = try multiply(base, base) }
        }
        return result
    }

    /// 1/a when a is one term c·M/d (a monomial over a product of differences) or c(v_i − v_j).
    func reciprocal(_ a: DifferenceFractionSum) throws -> DifferenceFractionSum {
        guard a.terms.count == 1, let (d, n) = a.terms.first else { throw Failure.notApplicable }
        if n.terms.count == 1 {
            let t = n.terms[0]
            // I in a denominator would come back as a symbol: not for this form.
            if let iota = imaginaryUnit, t.monomial[iota] > 0 { throw Failure.notApplicable }
            var denominator: DifferenceFractionSum.Denominator = []
            for v in 0..<Monomial.maxVariables where t.monomial[v] > 0 {
                denominator.append(.init(hi: v, lo: -1, exponent: t.monomial[v]))
            }
            var numerator = Polynomial(constant: Rational.one / t.coefficient)
            for f in d { numerator = try times(numerator, try expanded(f)) }
            return DifferenceFractionSum(denominator: denominator, numerator: numerator)
        }
        // c v_a − c v_b, a difference of two variables.
        guard d.isEmpty, n.terms.count == 2 else { throw Failure.notApplicable }
        let (s, t) = (n.terms[0], n.terms[1])
        guard s.coefficient == -t.coefficient, let a = single(s.monomial), let b = single(t.monomial) else {
            throw Failure.notApplicable
        }
        // I is not a pole (it would come back as a symbol).
        guard a != imaginaryUnit && b != imaginaryUnit else { throw Failure.notApplicable }
        // c(v_a − v_b) = ±c (v_hi − v_lo).
        let (hi, lo) = (max(a, b), min(a, b))
        let c = a == hi ? s.coefficient : t.coefficient
        return DifferenceFractionSum(denominator: [.init(hi: hi, lo: lo, exponent: 1)],
                                     numerator: Polynomial(constant: Rational.one / c))
    }

    /// The factor (v_hi − v_lo)^m expanded (v_{−1} = 0), its products charged to the budget.
    func expanded(_ f: DifferenceFractionSum.Factor) throws -> Polynomial {
        var base = Polynomial(variable: f.hi)
        if f.lo >= 0 { base = base - Polynomial(variable: f.lo) }
        return try base.power(f.exponent, multiply: times)
    }

    /// The variable when m is that variable to the first power.
    private func single(_ m: Monomial) -> Int? {
        var found: Int?
        for v in 0..<Monomial.maxVariables where m[v] > 0 {
            if found != nil || m[v] != 1 { return nil }
            found = v
        }
        return found
    }
}

extension DifferenceFractionForm {
    /// The sum with ι² = −1 applied, when no odd power of ι is left (the sum is real); the sum
    /// itself when ι never occurs.
    func real(_ s: DifferenceFractionSum) -> DifferenceFractionSum? {
        guard let iota = imaginaryUnit else { return s }
        var result = DifferenceFractionSum()
        for (d, n) in s.terms {
            var reduced: [Monomial: Rational] = [:]
            for t in n.terms {
                var m = t.monomial
                let e = m[iota]
                guard e % 2 == 0 else { return nil }
                m[iota] = 0
                reduced[m, default: .zero] += e % 4 == 2 ? -t.coefficient : t.coefficient
            }
            let p = Polynomial.collect(reduced)
            if !p.isZero { result.add(d, p) }
        }
        return result
    }

    /// The sum as an expression: Σ c · monomial / Π (v_i − v_j)^m, with I² = −1 applied.
    ///
    /// Built as `Expr.sum` of `Expr.product`s would build it, without their work: the factors
    /// of a term are distinct bases (each difference and each variable once), so a product is
    /// its factors in `Expr.order`, found by ranking the few distinct factors once; the terms
    /// are distinct, so the sum is its terms in `termOrder` (`presorted`), which is checked
    /// pair by pair before the node is made (else `Expr.sum` sorts and collects them). A pole
    /// at 0 (v^−m) in a term whose numerator holds v too (x · x^−1, which the form does not
    /// cancel) breaks the first premise: then the products and the sum are the constructors'.
    func expression(_ s: DifferenceFractionSum) throws -> Expr {
        let symbols = names.map(Expr.symbol)
        // Each distinct factor once, as (coefficient, factor): (v_hi − v_lo)^(−m) may come out
        // of `**` as −(v_lo − v_hi)^(−m), a product, whose coefficient joins the term's.
        var factorIDs: [UInt64: Int] = [:]
        var factorList: [(coefficient: Number, factor: Expr)] = []
        func id(_ key: UInt64, _ make: () -> Expr) -> Int {
            if let known = factorIDs[key] { return known }
            let e = make()
            let (c, fs) = e.splitCoefficient()
            precondition(fs.count == 1, "a difference power or a variable power is one factor")
            factorList.append((c, fs[0]))
            factorIDs[key] = factorList.count - 1
            return factorList.count - 1
        }
        func factor(_ f: DifferenceFractionSum.Factor) -> Int {
            id(UInt64(f.raw)) {
                let difference = f.lo < 0 ? symbols[f.hi] : symbols[f.hi] - symbols[f.lo]
                return difference ** Expr.integer(-f.exponent)
            }
        }
        func power(_ v: Int, _ k: Int) -> Int {
            id(1 << 40 | UInt64(v) << 16 | UInt64(k)) {
                let base = v == imaginaryUnit ? Expr.i : symbols[v]
                return k == 1 ? base : base ** Expr.integer(k)
            }
        }
        // First pass: each term as a coefficient and factor ids.
        var raw: [(coefficient: Rational, factors: [Int])] = []
        var sharedBase = false
        for (d, n) in s.terms {
            var numerator = n
            if let iota = imaginaryUnit {
                // ι^e = (−1)^(e/2) ι^(e mod 2).
                var reduced: [Monomial: Rational] = [:]
                for t in n.terms {
                    var m = t.monomial
                    let e = m[iota]
                    m[iota] = e % 2
                    reduced[m, default: .zero] += e % 4 >= 2 ? -t.coefficient : t.coefficient
                }
                numerator = Polynomial.collect(reduced)
            }
            let denominator = d.map(factor)
            let singles = d.filter { $0.lo < 0 }.map(\.hi)
            for t in numerator.terms {
                try Interrupt.check()
                var factors = denominator
                for v in 0..<symbols.count where t.monomial[v] > 0 { factors.append(power(v, t.monomial[v])) }
                raw.append((t.coefficient, factors))
                if singles.contains(where: { t.monomial[$0] > 0 }) { sharedBase = true }
            }
        }
        if sharedBase {
            return .sum(raw.map { c, ids in .product([.number(.exact(c))] + ids.map { factorList[$0].factor } + ids.map { .number(factorList[$0].coefficient) }) })
        }
        // The distinct factors ranked by `Expr.order` once; each term's sorted by rank.
        let ranked = factorList.indices.sorted { Expr.order(factorList[$0].factor, factorList[$1].factor) < 0 }
        var rank = [Int](repeating: 0, count: factorList.count)
        for (r, i) in ranked.enumerated() { rank[i] = r }
        var items: [Expr] = []
        items.reserveCapacity(raw.count)
        var sortedIDs: [[Int]] = []
        sortedIDs.reserveCapacity(raw.count)
        for (c, ids) in raw {
            var coefficient = Number.exact(c)
            for i in ids where factorList[i].coefficient != .one { coefficient = coefficient * factorList[i].coefficient }
            let inOrder = ids.sorted { rank[$0] < rank[$1] }
            items.append(Expr.term(coefficient, inOrder.map { factorList[$0].factor }))
            sortedIDs.append(inOrder)
        }
        let sorted = DifferenceFractionForm.termOrdered(items, sortedIDs, factorList.map(\.factor)) ?? DifferenceFractionForm.presorted(items)
        // Distinct and in order: adjacent terms strictly ordered by degree or by their factors
        // (terms with equal factors would be adjacent, so none are left to collect).
        var ordered = true
        for k in sorted.indices.dropFirst() {
            let (a, b) = (sorted[k - 1], sorted[k])
            if case .number = b.kind { ordered = k == sorted.count - 1; if !ordered { break }; continue }
            if case .number = a.kind { ordered = false; break }
            let (da, db) = (a.node.degree, b.node.degree)
            if da != db { if da < db { ordered = false; break }; continue }
            if Expr.compareLists(a.splitCoefficient().1, b.splitCoefficient().1, by: Expr.compareFactors) >= 0 { ordered = false; break }
        }
        if !ordered || sorted.count < 2 { return .sum(sorted) }
        return Expr(raw: .sum(sorted))
    }

    /// The terms in `termOrder`, from each term's factors (ids into `factors`, in product
    /// order) packed into four words: the degree, then per factor its base's rank in
    /// `Expr.order` and its exponent, higher first, as `compareFactors` has them; nil when a
    /// term has more than 15 factors or a factor is not an integer power of a base of degree
    /// 0 or 1. (Distinct terms have distinct factor lists, so the coefficient never decides.)
    static func termOrdered(_ items: [Expr], _ ids: [[Int]], _ factors: [Expr]) -> [Expr]? {
        var bases: [Expr] = [], baseIndex: [Expr: Int] = [:]
        var code: [(base: Int, exponent: Int, degree: Int)] = []
        for f in factors {
            var (b, e) = (f, 1)
            if case .power(let x, let y) = f.kind {
                guard let k = y.rationalValue?.intValue, abs(k) < 127 else { return nil }
                (b, e) = (x, k)
            }
            guard b.node.degree == 0 || b.node.degree == 1 else { return nil }
            let index: Int
            if let known = baseIndex[b] { index = known } else { index = bases.count; baseIndex[b] = index; bases.append(b) }
            code.append((index, e, Int(b.node.degree) * e))
        }
        let byOrder = bases.indices.sorted { Expr.order(bases[$0], bases[$1]) < 0 }
        guard byOrder.count < 255 else { return nil }
        var baseRank = [Int](repeating: 0, count: bases.count)
        for (r, i) in byOrder.enumerated() { baseRank[i] = r }
        var keys: [(UInt64, UInt64, UInt64, UInt64)] = []
        keys.reserveCapacity(ids.count)
        for list in ids {
            guard list.count <= 15 else { return nil }
            var slots = [UInt64](repeating: 0, count: 16)
            // Higher degree first.
            let degree = list.reduce(0) { $0 + code[$1].degree }
            slots[0] = UInt64(32768 - degree)
            for (k, id) in list.enumerated() {
                // After the base's rank, the higher exponent first; 0 (no factor) sorts first.
                slots[k + 1] = UInt64(baseRank[code[id].base] + 1) << 8 | UInt64(127 - code[id].exponent)
            }
            func word(_ w: Int) -> UInt64 { (0..<4).reduce(0) { $0 << 16 | slots[4 * w + $1] } }
            keys.append((word(0), word(1), word(2), word(3)))
        }
        return items.indices.sorted { keys[$0] < keys[$1] }.map { items[$0] }
    }

    /// The terms in the order `Expr.sum` sorts them into (`Expr.termOrder`), found by comparing
    /// small integer keys instead of expression trees: a million terms sort in a fraction of the
    /// time. `Expr.sum` still sorts them (its merge sort checks a sorted run in one pass), so an
    /// order this gets wrong costs time, never correctness; terms it cannot key stay as given.
    static func presorted(_ items: [Expr]) -> [Expr] {
        guard items.count > 16 else { return items }
        // Each term as (coefficient, [(base, exponent)]), as termOrder sees it.
        var bases: [Expr: Int] = [:]
        var parsed: [(degree: Double, coefficient: Number, factors: [(base: Int, exponent: Int)])] = []
        parsed.reserveCapacity(items.count)
        for item in items {
            let (c, fs): (Number, [Expr])
            switch item.kind {
            case .product(let k, let list): (c, fs) = (k, list)
            case .number: return items
            default: (c, fs) = (.one, [item])
            }
            var factors: [(base: Int, exponent: Int)] = []
            for f in fs {
                var (b, e) = (f, 1)
                if case .power(let x, let y) = f.kind {
                    guard case .number(.exact(let q)) = y.kind, let k = q.intValue else { return items }
                    (b, e) = (x, k)
                }
                let id: Int
                if let known = bases[b] { id = known } else { id = bases.count; bases[b] = id }
                factors.append((id, e))
            }
            parsed.append((item.node.degree, c, factors))
        }
        // The bases' ranks in `Expr.order` (few: the symbols and the differences).
        let distinct = bases.sorted { $0.value < $1.value }.map(\.key)
        let ranked = distinct.indices.sorted { Expr.order(distinct[$0], distinct[$1]) < 0 }
        var rank = [Int](repeating: 0, count: distinct.count)
        for (r, i) in ranked.enumerated() { rank[i] = r }
        func less(_ a: Int, _ b: Int) -> Bool {
            let (x, y) = (parsed[a], parsed[b])
            if x.degree != y.degree { return x.degree > y.degree }
            for (f, g) in zip(x.factors, y.factors) {
                if rank[f.base] != rank[g.base] { return rank[f.base] < rank[g.base] }
                if f.exponent != g.exponent { return f.exponent > g.exponent }
            }
            if x.factors.count != y.factors.count { return x.factors.count < y.factors.count }
            return Expr.compareNumbers(x.coefficient, y.coefficient) < 0
        }
        return items.indices.sorted(by: less).map { items[$0] }
    }
}

/// Factored forms of expressions that were made from them (the catalog's Lax traces), so that
/// `convert` takes the stored form instead of walking a ten-million-node expression again.
/// Entries hold their expression weakly: one whose expression is gone is never matched (a new
/// node at the same address is not the same expression) and is dropped; at most `capacity`.
final class PreparedForms: @unchecked Sendable {
    static let shared = PreparedForms()
    static let capacity = 64

    struct Entry {
        /// The variable numbering of `sum`.
        var names: [String]
        var sum: DifferenceFractionSum
        var hasFractions: Bool
    }

    private final class Slot {
        weak var node: Expr.Node?
        let entry: Entry
        init(_ node: Expr.Node, _ entry: Entry) { (self.node, self.entry) = (node, entry) }
    }

    private let lock = NSLock()
    private var slots: [ObjectIdentifier: Slot] = [:]
    private var order: [ObjectIdentifier] = []

    func store(_ e: Expr, names: [String], sum: DifferenceFractionSum) {
        lock.lock()
        defer { lock.unlock() }
        for id in order where slots[id]?.node == nil { slots[id] = nil }
        order.removeAll { slots[$0] == nil }
        let id = ObjectIdentifier(e.node)
        if slots[id] == nil { order.append(id) }
        slots[id] = Slot(e.node, Entry(names: names, sum: sum, hasFractions: sum.terms.keys.contains { !$0.isEmpty }))
        while order.count > PreparedForms.capacity { slots[order.removeFirst()] = nil }
    }

    func lookup(_ e: Expr) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        guard let slot = slots[ObjectIdentifier(e.node)], slot.node === e.node else { return nil }
        return slot.entry
    }
}

extension Expr {
    /// Whether an expansion's result is a sum, product or power, made for it: numbers and
    /// symbols may be shared nodes (`Expr.one`) that other expressions hold and that never
    /// die, so a prepared form is not kept under them.
    static func isFreshComposite(_ e: Expr) -> Bool {
        switch e.kind {
        case .sum, .product, .power: return true
        default: return false
        }
    }

    /// The expression expanded as a sum of terms c · monomial / Π (v_i − v_j)^m, products of
    /// sums distributed, terms over the same differences collected, and I² = −1 applied; nil
    /// when it is not a sum of such fractions (a kernel, a non-integer power, a division by a
    /// sum that is not a difference of two symbols) or the expansion would take more than
    /// `budget` term products. Unlike `expand`, the work is shared wherever the expression
    /// shares subexpressions (a matrix power built by index sums expands in matrix-product time).
    public func expandedOverDifferences(budget: Int = 400_000_000) -> Expr? {
        Expr.expandedOverDifferences([self], budget: budget)[0]
    }

    /// Several expressions expanded as `expandedOverDifferences`, sharing the work on their
    /// common subexpressions. Each real result (I gone) is remembered with its factored form, so
    /// the zero test on its brackets (`conserved`) starts from that form instead of the expression.
    public static func expandedOverDifferences(_ exprs: [Expr], budget: Int = 400_000_000) -> [Expr?] {
        let form = DifferenceFractionForm(budget: budget, allowsImaginaryUnit: true)
        // Integer coefficients (Lax traces): the flat tables, then the same factored sums.
        if let flat = FlatExpansion.expand(exprs, budget: budget), form.adopt(flat.names) {
            return flat.sums.map { s in
                guard let real = form.real(s), let result = try? form.expression(real) else { return try? form.expression(s) }
                if Expr.isFreshComposite(result) { PreparedForms.shared.store(result, names: form.names, sum: real) }
                return result
            }
        }
        return exprs.map { e in
            guard let s = try? form.convert(e), let real = form.real(s), let result = try? form.expression(real) else {
                return (try? form.convert(e)).flatMap { try? form.expression($0) }
            }
            if Expr.isFreshComposite(result) { PreparedForms.shared.store(result, names: form.names, sum: real) }
            return result
        }
    }
}
