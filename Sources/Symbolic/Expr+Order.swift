extension Expr {
    /// Names compare with digit runs as numbers, so `q2 < q10`.
    public static func naturalLess(_ a: String, _ b: String) -> Bool { naturalCompare(a, b) < 0 }

    static func naturalCompare(_ a: String, _ b: String) -> Int {
        if a == b { return 0 }
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        var i = 0, j = 0
        while i < x.count && j < y.count {
            let dx = x[i].properties.numericType != nil && x[i].isASCII
            let dy = y[j].properties.numericType != nil && y[j].isASCII
            if dx && dy {
                var i2 = i, j2 = j
                while i2 < x.count && x[i2].isASCII && x[i2].properties.numericType != nil { i2 += 1 }
                while j2 < y.count && y[j2].isASCII && y[j2].properties.numericType != nil { j2 += 1 }
                let nx = String(String.UnicodeScalarView(x[i..<i2])), ny = String(String.UnicodeScalarView(y[j..<j2]))
                let tx = nx.drop { $0 == "0" }, ty = ny.drop { $0 == "0" }
                if tx.count != ty.count { return tx.count < ty.count ? -1 : 1 }
                if tx != ty { return tx < ty ? -1 : 1 }
                i = i2; j = j2
            } else {
                if x[i] != y[j] { return x[i].value < y[j].value ? -1 : 1 }
                i += 1; j += 1
            }
        }
        if x.count - i != y.count - j { return (x.count - i) < (y.count - j) ? -1 : 1 }
        return a < b ? -1 : 1
    }

    private var rank: Int {
        switch kind {
        case .number: return 0
        case .imaginaryUnit: return 1
        case .pi: return 2
        case .symbol: return 3
        case .function: return 4
        case .power: return 5
        case .product: return 6
        case .sum: return 7
        case .undefined: return 8
        }
    }

    /// A total order used to sort factors (a power sorts beside its base: `x < x^2 < y`).
    /// It depends only on structure, never on hashing, so printing is deterministic.
    public static func order(_ a: Expr, _ b: Expr) -> Int {
        if a.node === b.node { return 0 }
        var (ba, ea) = (a, Expr.one), (bb, eb) = (b, Expr.one)
        if case .power(let x, let y) = a.kind { (ba, ea) = (x, y) }
        if case .power(let x, let y) = b.kind { (bb, eb) = (x, y) }
        if ba.node !== a.node || bb.node !== b.node {
            let c = order(ba, bb)
            return c != 0 ? c : order(ea, eb)
        }
        let (ra, rb) = (a.rank, b.rank)
        if ra != rb { return ra < rb ? -1 : 1 }
        switch (a.kind, b.kind) {
        case (.number(let x), .number(let y)):
            let (dx, dy) = (x.doubleValue, y.doubleValue)
            if dx != dy { return dx < dy ? -1 : 1 }
            if x.isExact != y.isExact { return x.isExact ? -1 : 1 }
            if case .exact(let p) = x, case .exact(let q) = y, p != q { return p < q ? -1 : 1 }
            return 0
        case (.symbol(let x), .symbol(let y)): return naturalCompare(x, y)
        case (.function(let f, let x), .function(let g, let y)):
            if f != g { return f.rank < g.rank ? -1 : 1 }
            return order(x, y)
        case (.product(let c, let xs), .product(let d, let ys)):
            let k = compareLists(xs, ys)
            return k != 0 ? k : order(.number(c), .number(d))
        case (.sum(let xs), .sum(let ys)):
            return compareLists(xs, ys)
        default: return 0
        }
    }

    static func compareLists(_ xs: [Expr], _ ys: [Expr]) -> Int {
        for (x, y) in zip(xs, ys) {
            let c = order(x, y)
            if c != 0 { return c }
        }
        return xs.count == ys.count ? 0 : (xs.count < ys.count ? -1 : 1)
    }

    /// The order of terms in a sum: by their non-numeric factors, then by coefficient.
    static func termOrder(_ a: Expr, _ b: Expr) -> Int {
        let (ca, fa) = a.splitCoefficient(), (cb, fb) = b.splitCoefficient()
        let c = compareLists(fa, fb)
        return c != 0 ? c : order(.number(ca), .number(cb))
    }
}
