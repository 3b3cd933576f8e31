/// A numeric literal inside an expression: exact (a rational) or inexact (a double).
///
/// Exact and inexact numbers are kept distinct: `1/2` and `0.5` are different expressions.
/// Arithmetic between them is inexact (contagion, as in every CAS).
public enum Number: Hashable, Sendable {
    case exact(Rational)
    case float(Double)

    public static let zero = Number.exact(.zero)
    public static let one = Number.exact(.one)

    public var isZero: Bool {
        switch self { case .exact(let r): return r.isZero; case .float(let d): return d == 0 }
    }
    public var isOne: Bool {
        switch self { case .exact(let r): return r.isOne; case .float(let d): return d == 1 }
    }
    public var isNegative: Bool {
        switch self { case .exact(let r): return r.isNegative; case .float(let d): return d < 0 }
    }
    public var doubleValue: Double {
        switch self { case .exact(let r): return r.doubleValue; case .float(let d): return d }
    }
    public var isExact: Bool { if case .exact = self { return true }; return false }

    public static func + (a: Number, b: Number) -> Number {
        if case .exact(let x) = a, case .exact(let y) = b { return .exact(x + y) }
        return .float(a.doubleValue + b.doubleValue)
    }
    public static func * (a: Number, b: Number) -> Number {
        if case .exact(let x) = a, case .exact(let y) = b { return .exact(x * y) }
        return .float(a.doubleValue * b.doubleValue)
    }
    public static prefix func - (a: Number) -> Number {
        switch a { case .exact(let r): return .exact(-r); case .float(let d): return .float(-d) }
    }
    public var magnitude: Number {
        switch self { case .exact(let r): return .exact(r.magnitude); case .float(let d): return .float(abs(d)) }
    }
}
