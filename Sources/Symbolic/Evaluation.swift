import ComplexModule
import RealModule

/// Why an expression has no numeric value.
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

extension Expr {
    /// The value in double precision with the given symbol values. Fails on an unbound
    /// symbol, the imaginary unit, or a result that is not a finite real number.
    public func evaluate(_ bindings: [String: Double]) throws -> Double {
        // Shared subtrees are evaluated once (a tree with sharing can be exponentially large).
        var memo: [Expr: Double]? = size > Expr.memoThreshold ? [:] : nil
        let v = try evaluateReal(bindings, &memo)
        guard v.isFinite else {
            throw EvaluationError(message: "the value is \(v.isNaN ? "not a real number (NaN)" : "infinite") at these values")
        }
        return v
    }

    func evaluateReal(_ b: [String: Double]) throws -> Double {
        var memo: [Expr: Double]? = nil
        return try evaluateReal(b, &memo)
    }

    func evaluateReal(_ b: [String: Double], _ memo: inout [Expr: Double]?) throws -> Double {
        if let known = memo?[self] { return known }
        let v = try evaluateNode(b, &memo)
        if memo != nil { memo![self] = v }
        return v
    }

    private func evaluateNode(_ b: [String: Double], _ memo: inout [Expr: Double]?) throws -> Double {
        switch kind {
        case .number(let n): return n.doubleValue
        case .symbol(let s):
            guard let v = b[s] else { throw EvaluationError(message: "no value for '\(s)'") }
            return v
        case .pi: return Double.pi
        case .imaginaryUnit: throw EvaluationError(message: "the value is complex (it contains I)")
        case .undefined: throw EvaluationError(message: "the expression is undefined")
        case .sum(let ts): return try ts.reduce(0) { $0 + (try $1.evaluateReal(b, &memo)) }
        case .product(let c, let fs): return try fs.reduce(c.doubleValue) { $0 * (try $1.evaluateReal(b, &memo)) }
        case .power(let base, let e):
            let x = try base.evaluateReal(b, &memo)
            if let r = e.rationalValue {
                if let k = r.intValue { return integerPower(x, k) }
                if r.denominator == 2 { return integerPower(Foundation_sqrt(x), Int(r.numerator)) }
            }
            return Foundation_pow(x, try e.evaluateReal(b, &memo))
        case .function(let f, let a): return f.evaluate(try a.evaluateReal(b, &memo))
        }
    }

    /// The value over the complex numbers (principal branches), used by the randomised zero test.
    public func evaluateComplex(_ b: [String: Complex<Double>]) throws -> Complex<Double> {
        switch kind {
        case .number(let n): return Complex(n.doubleValue)
        case .symbol(let s):
            guard let v = b[s] else { throw EvaluationError(message: "no value for '\(s)'") }
            return v
        case .pi: return Complex(Double.pi)
        case .imaginaryUnit: return Complex(0, 1)
        case .undefined: throw EvaluationError(message: "the expression is undefined")
        case .sum(let ts):
            var s = Complex<Double>.zero
            for t in ts { s += try t.evaluateComplex(b) }
            return s
        case .product(let c, let fs):
            var p = Complex(c.doubleValue)
            for f in fs { p *= try f.evaluateComplex(b) }
            return p
        case .power(let base, let e):
            let x = try base.evaluateComplex(b)
            if let k = e.rationalValue?.intValue {
                var r = Complex<Double>.one, m = x, n = abs(k)
                while n > 0 { if n & 1 == 1 { r *= m }; m *= m; n >>= 1 }
                return k < 0 ? Complex.one / r : r
            }
            return Complex.pow(x, try e.evaluateComplex(b))
        case .function(let f, let a):
            let z = try a.evaluateComplex(b)
            switch f {
            case .exp: return Complex.exp(z)
            case .log: return Complex.log(z)
            case .sin: return Complex.sin(z)
            case .cos: return Complex.cos(z)
            case .tan: return Complex.tan(z)
            case .atan: return Complex.atan(z)
            case .sinh: return Complex.sinh(z)
            case .cosh: return Complex.cosh(z)
            case .tanh: return Complex.tanh(z)
            case .abs: return Complex(z.length)
            }
        }
    }
}

@inline(__always) func integerPower(_ x: Double, _ k: Int) -> Double {
    var r = 1.0, m = x, n = abs(k)
    while n > 0 { if n & 1 == 1 { r *= m }; m *= m; n >>= 1 }
    return k < 0 ? 1 / r : r
}
