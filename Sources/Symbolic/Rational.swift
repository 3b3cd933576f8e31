import BigInt

/// An exact rational number n/d in lowest terms with d > 0.
///
/// Machine integers are the fast path; an operation that overflows `Int` moves to `BigInt`
/// and a result that fits again moves back, so equal values always have equal storage and
/// `==`/`hash` can compare storage directly.
public struct Rational: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self.init(value) }
    /// Either two machine integers (`big == nil`) or a boxed pair of big integers. Keeping the
    /// big case behind one reference makes the common case a trivially copied 24-byte value.
    @usableFromInline enum Storage: Hashable, Sendable {
        case small(Int, Int)
        case big(BigInt, BigInt)
    }
    @usableFromInline final class BigBox: @unchecked Sendable {
        let n: BigInt, d: BigInt
        init(_ n: BigInt, _ d: BigInt) { self.n = n; self.d = d }
    }
    @usableFromInline var n: Int
    @usableFromInline var d: Int
    @usableFromInline var box: BigBox?

    @usableFromInline var storage: Storage {
        if let box { return .big(box.n, box.d) }
        return .small(n, d)
    }

    @usableFromInline init(raw: Storage) {
        switch raw {
        case .small(let a, let b): n = a; d = b; box = nil
        case .big(let a, let b): n = 0; d = 1; box = BigBox(a, b)
        }
    }

    public static func == (a: Rational, b: Rational) -> Bool {
        if a.box == nil && b.box == nil { return a.n == b.n && a.d == b.d }
        guard let x = a.box, let y = b.box else { return false }
        return x.n == y.n && x.d == y.d
    }

    public func hash(into hasher: inout Hasher) {
        if let box { hasher.combine(box.n); hasher.combine(box.d) } else { hasher.combine(n); hasher.combine(d) }
    }

    public static let zero = Rational(0)
    public static let one = Rational(1)
    public static let minusOne = Rational(-1)

    public init(_ n: Int) {
        if n == Int.min { self.init(raw: .big(BigInt(n), 1)) } else { self.init(raw: .small(n, 1)) }
    }

    /// n/d reduced; `d` must not be zero (callers check and raise their own error).
    public init(_ n: Int, _ d: Int) {
        precondition(d != 0, "Rational with zero denominator")
        if n == Int.min || d == Int.min {
            self.init(big: BigInt(n), BigInt(d))
            return
        }
        var n = n, d = d
        if d < 0 { n = -n; d = -d }
        let g = Rational.gcd(n.magnitude, d.magnitude)
        self.init(raw: .small(n / Int(g), d / Int(g)))
    }

    public init(big n: BigInt, _ d: BigInt) {
        precondition(!d.isZero, "Rational with zero denominator")
        var n = n, d = d
        if d.sign == .minus { n = -n; d = -d }
        let g = n.magnitude.greatestCommonDivisor(with: d.magnitude)
        if g != 1 { n /= BigInt(g); d /= BigInt(g) }
        self.init(raw: Rational.normalized(n, d))
    }

    /// The exact value of a finite double (a dyadic rational).
    public init?(exactly x: Double) {
        guard x.isFinite else { return nil }
        if x == x.rounded(), abs(x) < 9.0e15 { self.init(Int(x)); return }
        let e = x.exponent
        let sig = x.significand * Double(1 << 52)
        let n = BigInt(Int64(sig)) * (x < 0 ? -1 : 1)
        let shift = Int(e) - 52
        if shift >= 0 { self.init(big: n << shift, 1) } else { self.init(big: n, BigInt(1) << (-shift)) }
    }

    static func normalized(_ n: BigInt, _ d: BigInt) -> Storage {
        if let a = Int(exactly: n), let b = Int(exactly: d), a != Int.min { return .small(a, b) }
        return .big(n, d)
    }

    @inline(__always) static func gcd(_ a: UInt, _ b: UInt) -> UInt {
        var a = a, b = b
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }

    public var numerator: BigInt {
        switch storage { case .small(let n, _): return BigInt(n); case .big(let n, _): return n }
    }
    public var denominator: BigInt {
        switch storage { case .small(_, let d): return BigInt(d); case .big(_, let d): return d }
    }
    public var isZero: Bool { box == nil && n == 0 }
    public var isOne: Bool { box == nil && n == 1 && d == 1 }
    public var isInteger: Bool {
        if let box { return box.d == 1 }
        return d == 1
    }
    public var isNegative: Bool {
        if let box { return box.n.sign == .minus }
        return n < 0
    }
    /// The value as a machine integer when it is an integer that fits.
    public var intValue: Int? { box == nil && d == 1 ? n : nil }

    public var doubleValue: Double {
        switch storage {
        case .small(let n, let d): return Double(n) / Double(d)
        case .big(let n, let d):
            // Scale so both fit a double's range before dividing.
            let shift = max(0, max(n.bitWidth, d.bitWidth) - 1000)
            return Double(n >> shift) / Double(d >> shift)
        }
    }

    public var description: String {
        switch storage {
        case .small(let n, let d): return d == 1 ? "\(n)" : "\(n)/\(d)"
        case .big(let n, let d): return d == 1 ? "\(n)" : "\(n)/\(d)"
        }
    }

    public static prefix func - (a: Rational) -> Rational {
        switch a.storage {
        case .small(let n, let d): return n == Int.min ? Rational(big: -BigInt(n), BigInt(d)) : Rational(raw: .small(-n, d))
        case .big(let n, let d): return Rational(raw: normalized(-n, d))
        }
    }


    public static func + (a: Rational, b: Rational) -> Rational {
        if a.box == nil && b.box == nil {
            let (an, ad, bn, bd) = (a.n, a.d, b.n, b.d)
            if ad == 1 && bd == 1 {
                let (s, o) = an.addingReportingOverflow(bn)
                if !o && s != Int.min { return Rational(raw: .small(s, 1)) }
            } else {
                let (x, o1) = an.multipliedReportingOverflow(by: bd)
                let (y, o2) = bn.multipliedReportingOverflow(by: ad)
                let (den, o3) = ad.multipliedReportingOverflow(by: bd)
                if !o1 && !o2 && !o3 {
                    let (num, o4) = x.addingReportingOverflow(y)
                    if !o4 && num != Int.min { return Rational(num, den) }
                }
            }
        }
        return Rational(big: a.numerator * b.denominator + b.numerator * a.denominator,
                        a.denominator * b.denominator)
    }

    public static func - (a: Rational, b: Rational) -> Rational { a + (-b) }

    public static func * (a: Rational, b: Rational) -> Rational {
        if a.box == nil && b.box == nil {
            let (an, ad, bn, bd) = (a.n, a.d, b.n, b.d)
            if ad == 1 && bd == 1 {
                let (p, o) = an.multipliedReportingOverflow(by: bn)
                if !o && p != Int.min { return Rational(raw: .small(p, 1)) }
            } else {
                // Cross-cancel first to keep the fast path.
                let g1 = Int(gcd(an.magnitude, bd.magnitude)), g2 = Int(gcd(bn.magnitude, ad.magnitude))
                let n1 = g1 == 0 ? an : an / g1, d2 = g1 == 0 ? bd : bd / g1
                let n2 = g2 == 0 ? bn : bn / g2, d1 = g2 == 0 ? ad : ad / g2
                let (n, o1) = n1.multipliedReportingOverflow(by: n2)
                let (d, o2) = d1.multipliedReportingOverflow(by: d2)
                if !o1 && !o2 && n != Int.min { return Rational(raw: .small(n, d)) }
            }
        }
        return Rational(big: a.numerator * b.numerator, a.denominator * b.denominator)
    }

    /// a / b; b must be non-zero (callers raise their own error first).
    public static func / (a: Rational, b: Rational) -> Rational { a * b.reciprocal }

    public var reciprocal: Rational {
        switch storage {
        case .small(let n, let d): return Rational(d, n)
        case .big(let n, let d): return Rational(big: d, n)
        }
    }

    public static func += (a: inout Rational, b: Rational) { a = a + b }
    public static func *= (a: inout Rational, b: Rational) { a = a * b }

    /// An upper bound on the bits of numerator and denominator together.
    public var bitSize: Int { numerator.bitWidth + denominator.bitWidth }

    /// a^k for an integer k (a ≠ 0 when k < 0).
    public func power(_ k: Int) -> Rational {
        if k == 0 { return .one }
        if k < 0 { return reciprocal.power(-k) }
        var result = Rational.one, base = self, e = k
        while e > 0 {
            if e & 1 == 1 { result = result * base }
            e >>= 1
            if e > 0 { base = base * base }
        }
        return result
    }

    public static func < (a: Rational, b: Rational) -> Bool {
        if a.box == nil && b.box == nil {
            let (an, ad, bn, bd) = (a.n, a.d, b.n, b.d)
            let (x, o1) = an.multipliedReportingOverflow(by: bd)
            let (y, o2) = bn.multipliedReportingOverflow(by: ad)
            if !o1 && !o2 { return x < y }
        }
        return a.numerator * b.denominator < b.numerator * a.denominator
    }

    public var magnitude: Rational { isNegative ? -self : self }

    /// The exact k-th root when this rational is a perfect k-th power (k ≥ 2), else nil.
    public func exactRoot(_ k: Int) -> Rational? {
        if isNegative { return k % 2 == 1 ? magnitude.exactRoot(k).map { -$0 } : nil }
        guard let n = Rational.integerRoot(numerator, k), let d = Rational.integerRoot(denominator, k) else { return nil }
        return Rational(big: n, d)
    }

    static func integerRoot(_ x: BigInt, _ k: Int) -> BigInt? {
        if x.isZero || x == 1 { return x }
        // Newton's method on integers.
        var r = BigInt(1) << ((x.bitWidth + k - 1) / k + 1)
        while true {
            let scaled: BigInt = BigInt(k - 1) * r
            let quotient: BigInt = x / r.power(k - 1)
            let next: BigInt = (scaled + quotient) / BigInt(k)
            if next >= r { break }
            r = next
        }
        return r.power(k) == x ? r : nil
    }
}
