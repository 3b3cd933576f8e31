extension Expr {
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
        var out: [Expr] = []
        out.reserveCapacity(acc.count * fTerms.count)
        for a in acc { for t in fTerms { out.append(a * t) } }
        let s = Expr.sum(out)
        if case .sum(let ts) = s.kind { return ts }
        return [s]
    }
}
