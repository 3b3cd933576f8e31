/// A computation refused up front because its result would be too large.
public struct SizeLimitExceeded: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Expr {
    /// The default bound on the terms `expand` may produce (each term costs about 200 bytes, so
    /// 10^6 terms is a few hundred MB at worst).
    public static let defaultExpansionLimit = 1_000_000

    /// `expand()`, refused before any work when `expansionTermBound` exceeds `maximumTerms`.
    public func expand(maximumTerms: Int) throws -> Expr {
        let bound = expansionTermBound
        guard bound <= Double(maximumTerms) else {
            throw SizeLimitExceeded("expanding would build up to \(Expr.roughCount(bound)) terms, past the limit of \(maximumTerms) (raise it with expand(e, limit: N) if you have the memory: about 200 bytes a term)")
        }
        let result = expand()
        // `expand` stops early, with a partial result, when interrupted; it is not returned.
        try Interrupt.check()
        return result
    }

    static func roughCount(_ x: Double) -> String {
        x < 1e6 ? String(Int(x)) : x.isFinite ? "10^\(Int(Foundation_log10(x)))" : "more than 10^308"
    }

    /// An upper bound on the number of terms of the largest sum `expand()` builds, from term
    /// counts alone: expanded sums add their terms' counts, products multiply their factors',
    /// and (a_1 + … + a_m)^k has at most C(m + k − 1, k) terms (the monomials of degree k in m
    /// letters). Shared subtrees are counted once.
    public var expansionTermBound: Double {
        var memo: [Expr: (terms: Double, largest: Double)] = [:]
        return expansionBound(&memo).largest
    }

    func expansionBound(_ memo: inout [Expr: (terms: Double, largest: Double)]) -> (terms: Double, largest: Double) {
        if let known = memo[self] { return known }
        let result: (terms: Double, largest: Double)
        switch kind {
        case .number, .symbol, .imaginaryUnit, .pi, .undefined: result = (1, 1)
        case .sum(let ts):
            var terms = 0.0, largest = 0.0
            for t in ts { let b = t.expansionBound(&memo); terms += b.terms; largest = max(largest, b.largest) }
            result = (terms, max(largest, terms))
        case .product(_, let fs):
            var terms = 1.0, largest = 0.0
            for f in fs { let b = f.expansionBound(&memo); terms *= b.terms; largest = max(largest, b.largest) }
            result = (terms, max(largest, terms))
        case .function(_, let a): result = (1, a.expansionBound(&memo).largest)
        case .power(let b, let e):
            let base = b.expansionBound(&memo)
            if let k = e.rationalValue?.intValue, k > 1, base.terms > 1 {
                // log C(m + k − 1, k) through lgamma, so huge k costs nothing.
                let m = base.terms, kk = Double(k)
                let terms = Foundation_exp(Foundation_lgamma(m + kk) - Foundation_lgamma(kk + 1) - Foundation_lgamma(m)).rounded()
                result = (terms, max(base.largest, terms))
            } else {
                result = (1, max(base.largest, e.expansionBound(&memo).largest))
            }
        }
        memo[self] = result
        return result
    }

    /// Distributes products over sums and expands positive integer powers of sums, everywhere
    /// (inside function arguments and denominators too). Negative powers keep their expanded base.
    public func expand() -> Expr {
        var memo: [Expr: Expr] = [:]
        return expanded(&memo)
    }

    func expanded(_ memo: inout [Expr: Expr]) -> Expr {
        if let known = memo[self] { return known }
        let result: Expr
        switch kind {
        case .number, .symbol, .imaginaryUnit, .pi, .undefined: result = self
        case .sum(let ts): result = .sum(ts.map { $0.expanded(&memo) })
        case .function(let f, let a): result = .apply(f, a.expanded(&memo))
        case .product(let c, let fs):
            var acc: [Expr] = [.number(c)]
            for f in fs { acc = Expr.distribute(acc, f.expanded(&memo)) }
            result = .sum(acc)
        case .power(let b, let e):
            let base = b.expanded(&memo)
            if let k = e.rationalValue?.intValue, k > 1, case .sum = base.kind {
                var acc: [Expr] = [.one]
                for _ in 0..<k { acc = Expr.distribute(acc, base) }
                result = .sum(acc)
            } else {
                result = .power(base, e.expanded(&memo))
            }
        }
        memo[self] = result
        return result
    }

    /// The terms of (Σ acc) * f with f's sum distributed, collected.
    static func distribute(_ acc: [Expr], _ f: Expr) -> [Expr] {
        let fTerms: [Expr]
        if case .sum(let ts) = f.kind { fTerms = ts } else { fTerms = [f] }
        // Interrupted (Ctrl-C, --timeout): stop at once; the caller discards the partial result.
        if Interrupt.isRequested { return acc }
        var out: [Expr] = []
        out.reserveCapacity(acc.count * fTerms.count)
        for a in acc {
            if Interrupt.isRequested { return acc }
            for t in fTerms { out.append(a * t) }
        }
        let s = Expr.sum(out)
        if case .sum(let ts) = s.kind { return ts }
        return [s]
    }
}
