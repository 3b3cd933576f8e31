/// The elementary functions an expression may contain (`sqrt` is the power 1/2).
public enum MathFunction: String, CaseIterable, Sendable {
    // New functions go last: the rank orders canonical forms.
    case exp, log, sin, cos, tan, sinh, cosh, tanh, abs, atan

    var rank: Int { MathFunction.allCases.firstIndex(of: self)! }
}

/// A symbolic expression, canonical by construction.
///
/// `Expr` is a value handle on an immutable node that caches its hash, so sets and
/// dictionaries of large expressions cost one hash combine per node, once. Build expressions
/// with the smart constructors (`Expr.sum`, `.product`, `.power`, `.apply`, the operators);
/// they flatten, sort, collect like terms and fold numbers, applying only identities that
/// hold over the reals wherever both sides are defined (`x^a*x^b = x^(a+b)`,
/// `(x^2)^(1/2)` is left alone because it is `|x|`). Two expressions that are equal after
/// canonicalisation compare `==`; deciding mathematical equality needs `Simplifier`.
public struct Expr: Hashable, Sendable, CustomStringConvertible {
    public indirect enum Kind: Sendable {
        case number(Number)
        case symbol(String)
        /// The imaginary unit, `I^2 = -1`.
        case imaginaryUnit
        case pi
        /// Terms sorted by `Expr.termOrder`; a numeric constant, if any, last.
        case sum([Expr])
        /// A coefficient and at least one factor, sorted by `Expr.order`; never coefficient 1 with one factor.
        case product(Number, [Expr])
        case power(Expr, Expr)
        case function(MathFunction, Expr)
        /// The result of dividing by an exact zero; absorbs everything it meets.
        case undefined
    }

    final class Node: @unchecked Sendable {
        let kind: Kind
        let hash: Int
        /// Number of nodes in the tree below (shared subtrees counted each time).
        let size: Int
        /// A 64-bit Bloom mask of the symbols below this node: a clear bit proves absence.
        let symbolMask: UInt64
        /// Total degree in the symbols (numeric exponents; functions and constants count 0),
        /// the first key of the term order, so polynomials print by descending degree.
        let degree: Double
        /// Nesting depth: 1 for an atom, 1 + the deepest child otherwise.
        let depth: Int
        /// Bit 0: a float occurs below; bit 1: a non-finite float does; bit 2: a kernel does (a
        /// function, π, I, undefined, or a power whose exponent is not an exact integer), which
        /// rules out the rational zero tests at once; bit 3: see `hasExponential` (cached: a walk
        /// over a tree with shared subtrees is exponential in its depth).
        let floatFlags: UInt8
        var hasFloat: Bool { floatFlags & 1 != 0 }
        var hasNonFinite: Bool { floatFlags & 2 != 0 }
        var hasKernel: Bool { floatFlags & 4 != 0 }
        /// Bit 3: exp, sinh, cosh or tanh occurs below (the exact form's exp kernels).
        var hasExponential: Bool { floatFlags & 8 != 0 }
        init(_ kind: Kind) {
            self.kind = kind
            var below = 0, flags: UInt8 = 0
            func absorb(_ child: Expr) { below = max(below, child.node.depth); flags |= child.node.floatFlags }
            func number(_ n: Number) { if case .float(let x) = n { flags |= x.isFinite ? 1 : 3 } }
            switch kind {
            case .number(let n): number(n)
            case .sum(let ts): for t in ts { absorb(t) }
            case .product(let c, let fs): number(c); for f in fs { absorb(f) }
            case .power(let b, let e):
                absorb(b); absorb(e)
                if case .number(.exact(let q)) = e.kind, q.isInteger {} else { flags |= 4 }
            case .function(let f, let a):
                absorb(a)
                flags |= 4
                if f == .exp || f == .sinh || f == .cosh || f == .tanh { flags |= 8 }
            case .pi, .imaginaryUnit, .undefined: flags |= 4
            default: break
            }
            depth = below + 1
            floatFlags = flags
            switch kind {
            case .symbol: degree = 1
            case .sum(let ts): degree = ts.reduce(0) { max($0, $1.node.degree) }
            case .product(_, let fs): degree = fs.reduce(0) { $0 + $1.node.degree }
            case .power(let b, let e): degree = b.node.degree * (e.numberValue?.doubleValue ?? 1)
            default: degree = 0
            }
            var mask: UInt64 = 0
            switch kind {
            case .symbol(let s): mask = Expr.maskBit(s)
            case .sum(let ts): for t in ts { mask |= t.node.symbolMask }
            case .product(_, let fs): for f in fs { mask |= f.node.symbolMask }
            case .power(let b, let e): mask = b.node.symbolMask | e.node.symbolMask
            case .function(_, let a): mask = a.node.symbolMask
            default: break
            }
            symbolMask = mask
            // A cheap structural mix (Swift's seeded SipHash still runs on top of it whenever a
            // node is a dictionary key); its values never reach output, so order stays deterministic.
            var h: UInt64
            var count = 1
            switch kind {
            case .number(let n):
                var hasher = Hasher(); hasher.combine(n); h = UInt64(bitPattern: Int64(hasher.finalize()))
            case .symbol(let s):
                h = 0xcbf2_9ce4_8422_2325
                for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            case .imaginaryUnit: h = 2
            case .pi: h = 3
            case .sum(let ts):
                h = 4
                for t in ts { h = Node.mix(h, t.node.hash); count = Node.saturatingAdd(count, t.node.size) }
            case .product(let c, let fs):
                var hasher = Hasher(); hasher.combine(c); h = Node.mix(5, UInt64(bitPattern: Int64(hasher.finalize())))
                for f in fs { h = Node.mix(h, f.node.hash); count = Node.saturatingAdd(count, f.node.size) }
            case .power(let b, let e): h = Node.mix(Node.mix(6, b.node.hash), e.node.hash); count = Node.saturatingAdd(count, Node.saturatingAdd(b.node.size, e.node.size))
            case .function(let f, let a): h = Node.mix(Node.mix(7, UInt64(f.rank)), a.node.hash); count = Node.saturatingAdd(count, a.node.size)
            case .undefined: h = 8
            }
            hash = Int(bitPattern: UInt(h))
            size = count
        }

        /// Tree sizes count shared subtrees each time, so they can pass Int.max: they saturate.
        @inline(__always) static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
            let (s, overflow) = a.addingReportingOverflow(b)
            return overflow ? Int.max : s
        }
        @inline(__always) static func mix(_ h: UInt64, _ x: Int) -> UInt64 { mix(h, UInt64(bitPattern: Int64(x))) }
        @inline(__always) static func mix(_ h: UInt64, _ x: UInt64) -> UInt64 {
            var z = (h ^ x) &* 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 29)) &* 0xBF58_476D_1CE4_E5B9
            return z ^ (z >> 32)
        }
    }

    let node: Node
    init(raw kind: Kind) { node = Node(kind) }

    public var kind: Kind { node.kind }

    public func hash(into hasher: inout Hasher) { hasher.combine(node.hash) }

    public static func == (a: Expr, b: Expr) -> Bool {
        if a.node === b.node { return true }
        if a.node.hash != b.node.hash { return false }
        switch (a.kind, b.kind) {
        case (.number(let x), .number(let y)): return x == y
        case (.symbol(let x), .symbol(let y)): return x == y
        case (.imaginaryUnit, .imaginaryUnit), (.pi, .pi), (.undefined, .undefined): return true
        case (.sum(let x), .sum(let y)): return x == y
        case (.product(let c, let x), .product(let d, let y)): return c == d && x == y
        case (.power(let b1, let e1), .power(let b2, let e2)): return b1 == b2 && e1 == e2
        case (.function(let f, let x), .function(let g, let y)): return f == g && x == y
        default: return false
        }
    }

    public var description: String { TextPrinter().print(self) }

    // MARK: Atoms

    public static let zero = Expr(raw: .number(.zero))
    public static let one = Expr(raw: .number(.one))
    public static let minusOne = Expr(raw: .number(.exact(.minusOne)))
    public static let half = Expr(raw: .number(.exact(Rational(1, 2))))
    public static let i = Expr(raw: .imaginaryUnit)
    public static let pi = Expr(raw: .pi)
    public static let undefined = Expr(raw: .undefined)

    public static func symbol(_ name: String) -> Expr { Expr(raw: .symbol(name)) }
    public static func number(_ n: Number) -> Expr {
        if n == .zero { return .zero }
        if n == .one { return .one }
        return Expr(raw: .number(n))
    }
    public static func rational(_ r: Rational) -> Expr { number(.exact(r)) }
    public static func integer(_ n: Int) -> Expr { number(.exact(Rational(n))) }
    public static func float(_ d: Double) -> Expr { Expr(raw: .number(.float(d))) }

    // MARK: Queries

    public var isZero: Bool { if case .number(let n) = kind { return n.isZero && n.isExact }; return false }
    public var isOne: Bool { if case .number(let n) = kind { return n == .one }; return false }
    public var isUndefined: Bool { if case .undefined = kind { return true }; return false }
    public var numberValue: Number? { if case .number(let n) = kind { return n }; return nil }
    public var rationalValue: Rational? { if case .number(.exact(let r)) = kind { return r }; return nil }
    public var symbolName: String? { if case .symbol(let s) = kind { return s }; return nil }

    /// The immediate sub-expressions.
    public var children: [Expr] {
        switch kind {
        case .sum(let ts): return ts
        case .product(_, let fs): return fs
        case .power(let b, let e): return [b, e]
        case .function(_, let a): return [a]
        default: return []
        }
    }

    /// The Bloom bit of a symbol name (FNV-1a, so it is the same in every process).
    static func maskBit(_ name: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return 1 << (h % 64)
    }

    /// False when the symbol certainly does not occur (true may be a false positive).
    func mayContain(symbol name: String) -> Bool { node.symbolMask & Expr.maskBit(name) != 0 }

    /// Whether `e` occurs in this expression as a sub-expression.
    public func contains(_ e: Expr) -> Bool {
        if self == e { return true }
        // Kernels and symbols below a node are recorded in it: an absent one ends the walk.
        if e.node.hasKernel && !node.hasKernel || e.node.symbolMask & ~node.symbolMask != 0 { return false }
        return children.contains { $0.contains(e) }
    }

    /// Whether any floating-point number occurs in the expression.
    public var containsFloat: Bool { node.hasFloat }

    /// Whether an infinite or NaN float occurs anywhere.
    public var containsNonFiniteNumber: Bool { node.hasNonFinite }

    /// The symbols that occur, sorted by name.
    public var freeSymbols: [String] {
        var seen = Set<String>()
        var visited = Set<ObjectIdentifier>()
        func walk(_ e: Expr) {
            if case .symbol(let s) = e.kind { seen.insert(s); return }
            // Each shared subtree once: a tree with sharing can be exponentially large.
            guard visited.insert(ObjectIdentifier(e.node)).inserted else { return }
            e.children.forEach(walk)
        }
        walk(self)
        return seen.sorted(by: Expr.naturalLess)
    }

    /// Number of nodes (a size measure for choosing between equivalent forms).
    public var size: Int { node.size }

    /// Nesting depth (an atom is 1; `sin(sin(x))` is 3).
    public var depth: Int { node.depth }

    /// The deepest expression the language accepts. Every algorithm on expressions (printing,
    /// evaluation, differentiation, the zero test) recurses along the depth, and a debug build's
    /// main-thread stack holds about 1,500 levels of the deepest of them; definitions chained
    /// past this limit (a1 = sin(x), a2 = sin(a1), …) are refused instead of crashing.
    public static let maximumDepth = 500
}
