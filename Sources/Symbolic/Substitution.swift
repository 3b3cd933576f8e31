extension Expr {
    /// Replaces every occurrence of each key (a symbol or any sub-expression) by its value,
    /// simultaneously, and re-canonicalises. Division by zero yields `Expr.undefined`.
    public func substitute(_ map: [Expr: Expr]) -> Expr {
        if map.isEmpty { return self }
        var memo: [Expr: Expr] = [:]
        return substituted(map, &memo)
    }

    public func substitute(_ x: String, with value: Expr) -> Expr { substitute([.symbol(x): value]) }

    func substituted(_ map: [Expr: Expr], _ memo: inout [Expr: Expr]) -> Expr {
        if let v = map[self] { return v }
        if let known = memo[self] { return known }
        let result: Expr
        switch kind {
        case .number, .symbol, .imaginaryUnit, .pi, .undefined: result = self
        case .sum(let ts): result = .sum(ts.map { $0.substituted(map, &memo) })
        case .product(let c, let fs): result = .product([.number(c)] + fs.map { $0.substituted(map, &memo) })
        case .power(let b, let e): result = .power(b.substituted(map, &memo), e.substituted(map, &memo))
        case .function(let f, let a): result = .apply(f, a.substituted(map, &memo))
        }
        memo[self] = result
        return result
    }
}
