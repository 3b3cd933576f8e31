/// The expansion of sums of products of fractions over differences (the catalog's Lax traces,
/// tr L^k built by index sums) in flat integer tables: a term is a numerator monomial, a
/// denominator packed as one monomial over the differences that occur, and an integer, kept in
/// `FlatFractions.Table`. `DifferenceFractionForm.convert` does the same work with a dictionary
/// keyed by arrays of factors and polynomial values, several times slower; its result is the
/// same `DifferenceFractionSum`, which this hands back.
///
/// Applies to expressions built from integers, symbols, I, sums, products, positive integer
/// powers, and negative integer powers of differences of two symbols (x − y); anything else
/// (a fraction, a float, a kernel, another divisor, more than 32 symbols or differences, a
/// coefficient past Int) returns nil and the general conversion runs.
struct FlatExpansion {
    typealias Table = FlatFractions.Table<FlatFractions.Fraction>

    /// The variable standing for I, as `DifferenceFractionForm` names it.
    static let imaginaryUnitName = "\u{0}I"

    struct Result {
        /// Variable k is names[k] (I is `imaginaryUnitName`).
        var names: [String]
        var sums: [DifferenceFractionSum]
    }

    static func expand(_ exprs: [Expr], budget: Int) -> Result? {
        var expansion = FlatExpansion(budget: budget)
        do {
            for e in exprs { try expansion.scan(e) }
            guard expansion.names.count <= Monomial.maxVariables, expansion.pairs.count <= Monomial.maxVariables else { return nil }
            let tables = try exprs.map { try expansion.convert($0) }
            return Result(names: expansion.names, sums: tables.map(expansion.sum))
        } catch {
            return nil
        }
    }

    private struct Failure: Error {}

    private var budget: Int
    private var names: [String] = []
    private var numbers: [String: Int] = [:]
    /// The differences (hi, lo) by slot, hi > lo in the variables' numbering.
    private var pairs: [(hi: Int, lo: Int)] = []
    private var slots: [Int: Int] = [:]
    private var scanned: Set<ObjectIdentifier> = []
    private var memo: [ObjectIdentifier: Table] = [:]

    private init(budget: Int) { self.budget = budget }

    private mutating func variable(_ name: String) -> Int {
        if let k = numbers[name] { return k }
        numbers[name] = names.count
        names.append(name)
        return names.count - 1
    }

    /// x − y as (number of x, number of y), when `e` is one (coefficients ±1).
    private mutating func difference(_ e: Expr) -> (Int, Int)? {
        guard case .sum(let ts) = e.kind, ts.count == 2 else { return nil }
        var plus: String?, minus: String?
        for t in ts {
            switch t.kind {
            case .symbol(let s): plus = s
            case .product(.exact(let c), let fs) where c == .minusOne && fs.count == 1: minus = fs[0].symbolName
            default: return nil
            }
        }
        guard let x = plus, let y = minus else { return nil }
        return (variable(x), variable(y))
    }

    /// Checks the shape and numbers the symbols and the differences, before any arithmetic.
    private mutating func scan(_ e: Expr) throws {
        guard scanned.insert(ObjectIdentifier(e.node)).inserted else { return }
        switch e.kind {
        case .number(.exact(let q)): guard q.intValue != nil else { throw Failure() }
        case .symbol(let s): _ = variable(s)
        case .imaginaryUnit: _ = variable(FlatExpansion.imaginaryUnitName)
        case .sum(let ts): for t in ts { try scan(t) }
        case .product(.exact(let c), let fs):
            guard c.intValue != nil else { throw Failure() }
            for f in fs { try scan(f) }
        case .power(let b, let x):
            guard let k = x.rationalValue?.intValue, k != 0 else { throw Failure() }
            if k > 0 { try scan(b); return }
            guard let (a, c) = difference(b) else { throw Failure() }
            let key = max(a, c) << 8 | min(a, c)
            if slots[key] == nil { slots[key] = pairs.count; pairs.append((max(a, c), min(a, c))) }
        default: throw Failure()
        }
    }

    private mutating func charge(_ work: Int) throws {
        budget -= work
        if budget < 0 { throw Failure() }
        try Interrupt.check()
    }

    private mutating func convert(_ e: Expr) throws -> Table {
        let id = ObjectIdentifier(e.node)
        if let known = memo[id] { return known }
        var result = Table()
        let one = FlatFractions.Fraction(numerator: Monomial(), denominator: Monomial())
        switch e.kind {
        case .number(.exact(let q)): try result.add(one, q.intValue!)
        case .symbol(let s): try result.add(.init(numerator: Monomial(variable: numbers[s]!, exponent: 1), denominator: Monomial()), 1)
        case .imaginaryUnit:
            try result.add(.init(numerator: Monomial(variable: numbers[FlatExpansion.imaginaryUnitName]!, exponent: 1), denominator: Monomial()), 1)
        case .sum(let ts):
            // A term c·a·b (a trace's (M^a)_ij (M^b)_ji) is multiplied into the sum directly,
            // without a table of its own.
            for t in ts {
                if case .product(.exact(let c), let fs) = t.kind, fs.count == 2, memo[ObjectIdentifier(t.node)] == nil {
                    try multiply(try convert(fs[0]), try convert(fs[1]), scale: c.intValue!, into: &result)
                } else {
                    try convert(t).forEach { try result.add($0, $1) }
                }
            }
        case .product(.exact(let c), let fs):
            try result.add(one, c.intValue!)
            for f in fs { result = try multiply(result, try convert(f)) }
        case .power(let b, let x):
            let k = x.rationalValue!.intValue!
            if k > 0 {
                var base = try convert(b), e = k
                try result.add(one, 1)
                while e > 0 {
                    if e & 1 == 1 { result = try multiply(result, base) }
                    e >>= 1
                    if e > 0 { base = try multiply(base, base) }
                }
            } else {
                // (x − y)^k = (±(v_hi − v_lo))^k, − when x is the lower variable and k is odd.
                let (a, c) = difference(b)!
                guard -k < 255 else { throw Failure() }
                var d = Monomial()
                d[slots[max(a, c) << 8 | min(a, c)]!] = -k
                try result.add(.init(numerator: Monomial(), denominator: d), a < c && k % 2 != 0 ? -1 : 1)
            }
        default: throw Failure()
        }
        memo[id] = result
        return result
    }

    private mutating func multiply(_ a: Table, _ b: Table) throws -> Table {
        var out = Table(capacity: max(a.count, b.count))
        try multiply(a, b, scale: 1, into: &out)
        return out
    }

    /// out += scale · a · b.
    private mutating func multiply(_ a: Table, _ b: Table, scale: Int, into out: inout Table) throws {
        try charge(a.count * b.count)
        try a.forEach { x, c in
            let cs = try FlatFractions.times(c, scale)
            try b.forEach { y, k in
                guard let n = x.numerator.times(y.numerator), let d = x.denominator.times(y.denominator) else { throw Failure() }
                try out.add(.init(numerator: n, denominator: d), try FlatFractions.times(cs, k))
            }
        }
    }

    /// The table as the factored form's sum: terms grouped by denominator.
    private func sum(_ t: Table) -> DifferenceFractionSum {
        var groups: [FlatFractions.Key: [Polynomial.Term]] = [:]
        t.forEach { key, c in
            groups[FlatFractions.Key(m: key.denominator), default: []].append(.init(monomial: key.numerator, coefficient: Rational(c)))
        }
        var out = DifferenceFractionSum()
        for (key, terms) in groups {
            var d: DifferenceFractionSum.Denominator = []
            for (s, pair) in pairs.enumerated() where key.m[s] > 0 {
                d.append(.init(hi: pair.hi, lo: pair.lo, exponent: key.m[s]))
            }
            d.sort()
            out.terms[d] = Polynomial(sortedTerms: terms.sorted { $1.monomial < $0.monomial })
        }
        return out
    }
}
