extension Expr {
    /// ∂e/∂x for a symbol x, by the sum, product, power and chain rules.
    /// `d|u|/dx = u u'/|u|` (valid where u ≠ 0).
    public func diff(_ x: String) -> Expr {
        var memo: [Expr: Expr]? = node.size > Expr.memoThreshold ? [:] : nil
        return differentiate(x, Expr.maskBit(x), &memo)
    }

    /// Below this many nodes a memo table costs more than re-deriving shared subtrees.
    static let memoThreshold = 256

    func differentiate(_ x: String, _ bit: UInt64, _ memo: inout [Expr: Expr]?) -> Expr {
        if node.symbolMask & bit == 0 { return .zero }
        if case .symbol(let s) = kind { return s == x ? .one : .zero }
        if let known = memo?[self] { return known }
        let result: Expr
        switch kind {
        case .number, .imaginaryUnit, .pi, .undefined: result = .zero
        case .symbol(let s): result = s == x ? .one : .zero
        case .sum(let ts):
            result = .sum(ts.map { $0.differentiate(x, bit, &memo) })
        case .product(let c, let fs):
            var terms: [Expr] = []
            for k in fs.indices {
                if Interrupt.isRequested { break }
                let d = fs[k].differentiate(x, bit, &memo)
                if d.isZero { continue }
                var factors: [Expr] = [.number(c)]
                factors.reserveCapacity(fs.count + 1)
                for (j, f) in fs.enumerated() { factors.append(j == k ? d : f) }
                terms.append(.product(factors))
            }
            result = terms.count == 1 ? terms[0] : .sum(terms)
        case .power(let b, let e):
            let db = b.differentiate(x, bit, &memo)
            let de = e.differentiate(x, bit, &memo)
            if de.isZero {
                result = db.isZero ? .zero : .product([e, .power(b, e - .one), db])
            } else {
                // d(b^e) = b^e (e' log b + e b'/b)
                result = self * (de * .apply(.log, b) + e * db / b)
            }
        case .function(let f, let u):
            let du = u.differentiate(x, bit, &memo)
            if du.isZero { result = .zero; break }
            let outer: Expr
            switch f {
            case .exp: outer = self
            case .log: outer = .power(u, .minusOne)
            case .sin: outer = .apply(.cos, u)
            case .cos: outer = -.apply(.sin, u)
            case .tan: outer = .one + .power(self, 2)
            case .sinh: outer = .apply(.cosh, u)
            case .cosh: outer = .apply(.sinh, u)
            case .tanh: outer = .one - .power(self, 2)
            case .abs: outer = u / self
            case .atan: outer = .power(.one + .power(u, 2), .minusOne)
            }
            result = outer * du
        }
        memo?[self] = result
        return result
    }

    /// ∂ⁿe/∂xⁿ.
    public func diff(_ x: String, times n: Int) -> Expr {
        var e = self
        for _ in 0..<max(0, n) { e = e.diff(x) }
        return e
    }

    /// The highest derivative order `diff(_:times:maximumSize:)` takes.
    public static let maximumDerivativeOrder = 1000

    /// The n-th derivative, refused when n exceeds `maximumDerivativeOrder` or a derivative
    /// grows past `maximumSize` nodes (nested functions grow at every order: the 50th derivative
    /// of sin(sin(sin(x))) would take gigabytes). A derivative that comes back to an earlier one
    /// (sin, exp) is periodic, so the rest is found without differentiating again.
    public func diff(_ x: String, times n: Int, maximumSize: Int) throws -> Expr {
        guard n <= Expr.maximumDerivativeOrder else {
            throw SizeLimitExceeded("derivatives of order above \(Expr.maximumDerivativeOrder) are refused (got \(n))")
        }
        var history: [Expr] = [self]
        var seen: [Expr: Int] = [self: 0]
        var e = self
        for order in stride(from: 1, through: n, by: 1) {
            e = e.diff(x)
            // An interrupted derivative returns early with a partial result, discarded here.
            try Interrupt.check()
            if e.isZero { return e }
            if let first = seen[e] {
                let period = order - first
                return history[first + (n - order) % period]
            }
            guard e.size <= maximumSize else {
                throw SizeLimitExceeded("the derivative of order \(order) already has \(e.size == Int.max ? "more than 10^18" : String(e.size)) nodes, past the limit of \(maximumSize); a lower order, or expanding first, may stay smaller")
            }
            seen[e] = order
            history.append(e)
        }
        return e
    }
}
