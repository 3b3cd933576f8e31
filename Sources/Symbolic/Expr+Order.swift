extension Expr {
    /// Names compare with digit runs as numbers, so `q2 < q10`.
    public static func naturalLess(_ a: String, _ b: String) -> Bool { naturalCompare(a, b) < 0 }

    static func naturalCompare(_ a: String, _ b: String) -> Int {
        if a == b { return 0 }
        var x = a.utf8.makeIterator(), y = b.utf8.makeIterator()
        var cx = x.next(), cy = y.next()
        func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= 48 && $0 <= 57 } ?? false }
        while let p = cx, let q = cy {
            if isDigit(p) && isDigit(q) {
                // Compare digit runs by value: skip leading zeros, then length, then digits.
                var dx: [UInt8] = [], dy: [UInt8] = []
                while isDigit(cx) { if !(dx.isEmpty && cx == 48) { dx.append(cx!) }; cx = x.next() }
                while isDigit(cy) { if !(dy.isEmpty && cy == 48) { dy.append(cy!) }; cy = y.next() }
                if dx.count != dy.count { return dx.count < dy.count ? -1 : 1 }
                for (u, v) in zip(dx, dy) where u != v { return u < v ? -1 : 1 }
                continue
            }
            if p != q { return p < q ? -1 : 1 }
            cx = x.next(); cy = y.next()
        }
        if cx == nil && cy != nil { return -1 }
        if cx != nil && cy == nil { return 1 }
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
            return compareNumbers(x, y)
        case (.symbol(let x), .symbol(let y)): return naturalCompare(x, y)
        case (.function(let f, let x), .function(let g, let y)):
            if f != g { return f.rank < g.rank ? -1 : 1 }
            return order(x, y)
        case (.product(let c, let xs), .product(let d, let ys)):
            let k = compareLists(xs, ys)
            return k != 0 ? k : compareNumbers(c, d)
        case (.sum(let xs), .sum(let ys)):
            return compareLists(xs, ys)
        default: return 0
        }
    }

    /// Lexicographic comparison of factor lists by `compare` (default `order`), shorter first on ties.
    @inline(__always)
    static func compareLists(_ xs: [Expr], _ ys: [Expr], by compare: (Expr, Expr) -> Int = order) -> Int {
        for (x, y) in zip(xs, ys) {
            let c = compare(x, y)
            if c != 0 { return c }
        }
        return xs.count == ys.count ? 0 : (xs.count < ys.count ? -1 : 1)
    }

    /// The order of terms in a sum: by descending total degree, then by their non-numeric
    /// factors, then by coefficient.
    static func termOrder(_ a: Expr, _ b: Expr) -> Int {
        let (da, db) = (a.node.degree, b.node.degree)
        if da != db { return da > db ? -1 : 1 }
        switch (a.kind, b.kind) {
        case (.product(let ca, let fa), .product(let cb, let fb)):
            let c = compareLists(fa, fb, by: compareFactors)
            return c != 0 ? c : compareNumbers(ca, cb)
        case (.product(let ca, let fa), _):
            let c = compareFactors(fa[0], b)
            return c != 0 ? c : (fa.count > 1 ? 1 : compareNumbers(ca, .one))
        case (_, .product(let cb, let fb)):
            let c = compareFactors(a, fb[0])
            return c != 0 ? c : (fb.count > 1 ? -1 : compareNumbers(.one, cb))
        default:
            return compareFactors(a, b)
        }
    }

    /// Graded-lex within a degree: the earlier base first, and for equal bases the higher
    /// power first, so `x^2 + 2*x*y + y^2`.
    static func compareFactors(_ a: Expr, _ b: Expr) -> Int {
        if a.node === b.node { return 0 }
        var (ba, ea) = (a, Expr.one), (bb, eb) = (b, Expr.one)
        if case .power(let x, let y) = a.kind { (ba, ea) = (x, y) }
        if case .power(let x, let y) = b.kind { (bb, eb) = (x, y) }
        let c = order(ba, bb)
        return c != 0 ? c : -order(ea, eb)
    }


    static func compareNumbers(_ x: Number, _ y: Number) -> Int {
        let (dx, dy) = (x.doubleValue, y.doubleValue)
        if dx != dy { return dx < dy ? -1 : 1 }
        if x.isExact != y.isExact { return x.isExact ? -1 : 1 }
        if case .exact(let p) = x, case .exact(let q) = y, p != q { return p < q ? -1 : 1 }
        return 0
    }
}
