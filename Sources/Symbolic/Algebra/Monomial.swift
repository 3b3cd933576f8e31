/// A monomial in up to 32 variables with exponents 0…255, packed into four words so that
/// comparing the words lexicographically is the lex monomial order with variable 0 highest.
///
/// Products that would overflow an exponent return nil; the caller then falls back.
struct Monomial: Hashable, Comparable, Sendable {
    static let maxVariables = 32
    var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0

    static let one = Monomial()
    private static let high: UInt64 = 0x8080_8080_8080_8080

    init() {}

    init(variable i: Int, exponent e: Int) {
        precondition(i < Monomial.maxVariables && e >= 0 && e < 256)
        self.init()
        self[i] = e
    }

    subscript(i: Int) -> Int {
        get {
            let shift = UInt64(8 * (7 - i % 8))
            switch i / 8 {
            case 0: return Int((w0 >> shift) & 0xFF)
            case 1: return Int((w1 >> shift) & 0xFF)
            case 2: return Int((w2 >> shift) & 0xFF)
            default: return Int((w3 >> shift) & 0xFF)
            }
        }
        set {
            let shift = UInt64(8 * (7 - i % 8))
            let mask = ~(UInt64(0xFF) << shift), v = UInt64(newValue) << shift
            switch i / 8 {
            case 0: w0 = (w0 & mask) | v
            case 1: w1 = (w1 & mask) | v
            case 2: w2 = (w2 & mask) | v
            default: w3 = (w3 & mask) | v
            }
        }
    }

    @inline(__always) private static func add(_ a: UInt64, _ b: UInt64, _ overflow: inout UInt64) -> UInt64 {
        let s = a &+ b
        overflow |= ((a & b) | ((a | b) & ~s)) & high
        return s
    }

    @inline(__always) private static func subtract(_ a: UInt64, _ b: UInt64, _ borrow: inout UInt64) -> UInt64 {
        let d = a &- b
        borrow |= ((~a & b) | ((~a | b) & d)) & high
        return d
    }

    /// self · other, or nil when an exponent would exceed 255.
    @inline(__always) func times(_ o: Monomial) -> Monomial? {
        var overflow: UInt64 = 0
        var m = Monomial()
        m.w0 = Monomial.add(w0, o.w0, &overflow)
        m.w1 = Monomial.add(w1, o.w1, &overflow)
        m.w2 = Monomial.add(w2, o.w2, &overflow)
        m.w3 = Monomial.add(w3, o.w3, &overflow)
        return overflow == 0 ? m : nil
    }

    /// self / other when other divides self, else nil.
    func divided(by o: Monomial) -> Monomial? {
        var borrow: UInt64 = 0
        var m = Monomial()
        m.w0 = Monomial.subtract(w0, o.w0, &borrow)
        m.w1 = Monomial.subtract(w1, o.w1, &borrow)
        m.w2 = Monomial.subtract(w2, o.w2, &borrow)
        m.w3 = Monomial.subtract(w3, o.w3, &borrow)
        return borrow == 0 ? m : nil
    }

    /// The exponent-wise minimum (the gcd of two monomials).
    func gcd(_ o: Monomial) -> Monomial {
        var m = Monomial()
        for i in 0..<Monomial.maxVariables where self[i] > 0 && o[i] > 0 { m[i] = Swift.min(self[i], o[i]) }
        return m
    }

    var isOne: Bool { w0 == 0 && w1 == 0 && w2 == 0 && w3 == 0 }

    static func < (a: Monomial, b: Monomial) -> Bool {
        if a.w0 != b.w0 { return a.w0 < b.w0 }
        if a.w1 != b.w1 { return a.w1 < b.w1 }
        if a.w2 != b.w2 { return a.w2 < b.w2 }
        return a.w3 < b.w3
    }
}
