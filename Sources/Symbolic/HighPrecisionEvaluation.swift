import CMPC

/// Evaluation over the complex numbers in arbitrary precision (GNU MPC on MPFR), used by the
/// randomised zero test so that a numeric "zero" means zero to dozens of digits, not to the
/// last bits of a double. Points are exact dyadic rationals, so the only error is rounding
/// at `bits` of precision.
struct HighPrecisionEvaluator {
    let bits: Int
    let point: [String: Double]
    /// What the last evaluations met: see `absorption`.
    let statistics = Statistics()

    final class Statistics {
        /// The largest gap, in bits, between the largest and the smallest non-zero term of a sum
        /// evaluated: a term more than `bits` below its neighbours is absorbed by rounding
        /// (1 + exp(-2000) is 1 at 256 bits), so the precision must exceed this gap before an
        /// evaluation can be trusted to have seen every term.
        var absorption = 0
        /// Values of the subtrees evaluated so far (shared subtrees once; never modified).
        var memo: [Expr: Value] = [:]
    }

    init(bits: Int, point: [String: Double]) { self.bits = bits; self.point = point }

    /// A heap-allocated MPC number (MPC values hold pointers to their limbs; never copy the struct).
    final class Value {
        let pointer: UnsafeMutablePointer<__mpc_struct>
        init(bits: Int) {
            pointer = .allocate(capacity: 1)
            mpc_init2(pointer, mpfr_prec_t(bits))
        }
        deinit { mpc_clear(pointer); pointer.deallocate() }
    }

    static let round: mpc_rnd_t = 0  // MPC_RNDNN: nearest for both parts

    func make() -> Value { Value(bits: bits) }

    /// log2 |v|: `-infinity` for an exact zero, nil when `v` is not finite. Works far outside
    /// the range of a double (MPFR's exponents are wide), so exp(-10^5) is not mistaken for 0.
    func log2Magnitude(_ v: Value) -> Double? {
        let r = UnsafeMutablePointer<__mpfr_struct>.allocate(capacity: 1)
        mpfr_init2(r, mpfr_prec_t(bits))
        defer { mpfr_clear(r); r.deallocate() }
        withExtendedLifetime(v) { _ = mpc_abs(r, v.pointer, MPFR_RNDN) }
        if mpfr_number_p(r) == 0 { return nil }
        if mpfr_zero_p(r) != 0 { return -.infinity }
        var exponent: Int = 0
        let mantissa = mpfr_get_d_2exp(&exponent, r, MPFR_RNDN)
        return Foundation_log2(mantissa) + Double(exponent)
    }

    /// Records that a result near 1 carries `argument`'s information `factor` × (its binary
    /// exponent's magnitude) bits down, when the argument is small.
    func absorbed(below argument: Value, factor: Int) {
        guard let k = HighPrecisionEvaluator.binaryExponent(argument), k < 0 else { return }
        let (gap, overflow) = (-k).multipliedReportingOverflow(by: factor)
        statistics.absorption = max(statistics.absorption, overflow ? Int.max / 2 : gap)
    }

    /// Above 2^(2^16) (about 10^19,700) an argument of sin, cos, tan, their hyperbolic forms or
    /// exp is not evaluated (exp's value then overflows any use; the others need π to that many
    /// bits).
    static let largestArgumentExponent = 1 << 16

    /// The binary exponent of the larger part of v (|v| is within a factor 2 of 2^k); nil for
    /// zero and non-finite values. O(1): reads the exponents, computes nothing.
    static func binaryExponent(_ v: Value) -> Int? {
        withExtendedLifetime(v) {
            var k: Int?
            for part in [withUnsafeMutablePointer(to: &v.pointer.pointee.re) { $0 }, withUnsafeMutablePointer(to: &v.pointer.pointee.im) { $0 }]
            where mpfr_regular_p(part) != 0 {
                let e = Int(mpfr_get_exp(part))
                k = max(k ?? e, e)
            }
            return k
        }
    }

    /// a − b at this evaluator's precision (the operands may have other precisions).
    func difference(_ a: Value, _ b: Value) -> Value {
        let out = make()
        withExtendedLifetime((a, b)) { _ = mpc_sub(out.pointer, a.pointer, b.pointer, HighPrecisionEvaluator.round) }
        return out
    }

    func evaluate(_ e: Expr) throws -> Value {
        if let known = statistics.memo[e] { return known }
        let value = try evaluateNode(e)
        if e.size > 1 { statistics.memo[e] = value }
        return value
    }

    private func evaluateNode(_ e: Expr) throws -> Value {
        // Ctrl-C or --timeout, at every node: a chain of functions without a sum (sin(sin(…)) of a
        // huge power, at 2^18 bits) otherwise ran for minutes past the limit (found by the fuzzer).
        if e.size > 1, Interrupt.isRequested { throw EvaluationError(message: "interrupted") }
        let out = make()
        let rnd = HighPrecisionEvaluator.round
        switch e.kind {
        case .number(.exact(let r)):
            mpc_set_str(out.pointer, r.numerator.description, 10, rnd)
            if r.denominator != 1 {
                let d = make()
                withExtendedLifetime(d) {
                    mpc_set_str(d.pointer, r.denominator.description, 10, rnd)
                    mpc_div(out.pointer, out.pointer, d.pointer, rnd)
                }
            }
        case .number(.float(let x)):
            mpc_set_d(out.pointer, x, rnd)
        case .symbol(let s):
            guard let x = point[s] else { throw EvaluationError(message: "no value for '\(s)'") }
            mpc_set_d(out.pointer, x, rnd)
        case .imaginaryUnit:
            mpc_set_si_si(out.pointer, 0, 1, rnd)
        case .pi:
            mpc_set_si(out.pointer, -1, rnd)
            mpc_acos(out.pointer, out.pointer, rnd)
        case .undefined:
            throw EvaluationError(message: "the expression is undefined")
        case .sum(let ts):
            // Ctrl-C or --timeout: stop evaluating (the point is left undecided).
            if Interrupt.isRequested { throw EvaluationError(message: "interrupted") }
            mpc_set_si(out.pointer, 0, rnd)
            var largest = Int.min, smallest = Int.max
            for t in ts {
                let x = try evaluate(t)
                if let k = HighPrecisionEvaluator.binaryExponent(x) { largest = max(largest, k); smallest = min(smallest, k) }
                withExtendedLifetime(x) { mpc_add(out.pointer, out.pointer, x.pointer, rnd) }
            }
            if largest > smallest { statistics.absorption = max(statistics.absorption, largest - smallest) }
        case .product(let c, let fs):
            let coefficient = try evaluate(.number(c))
            withExtendedLifetime(coefficient) { mpc_set(out.pointer, coefficient.pointer, rnd) }
            for f in fs {
                let x = try evaluate(f)
                withExtendedLifetime(x) { mpc_mul(out.pointer, out.pointer, x.pointer, rnd) }
            }
        case .power(let b, let x):
            let base = try evaluate(b)
            if let k = x.rationalValue?.intValue {
                withExtendedLifetime(base) { mpc_pow_si(out.pointer, base.pointer, k, rnd) }
            } else {
                let exponent = try evaluate(x)
                // b^u = exp(u log b) is 1 + u log b for a tiny u: u's digits sit that far down.
                absorbed(below: exponent, factor: 1)
                withExtendedLifetime((base, exponent)) { mpc_pow(out.pointer, base.pointer, exponent.pointer, rnd) }
            }
        case .function(let f, let a):
            let x = try evaluate(a)
            defer { withExtendedLifetime(x) {} }
            // exp u, cosh u and cos u are 1 + u, 1 + u²/2, 1 − u²/2 for a tiny u: what u holds
            // lies that many bits below the leading 1, like a term absorbed by a sum.
            switch f {
            case .exp: absorbed(below: x, factor: 1)
            case .cos, .cosh: absorbed(below: x, factor: 2)
            default: break
            }
            // A circular or hyperbolic function of an argument with a binary exponent in the
            // millions (sin of a power like x^(x + 2203) nested in others) costs MPFR a reduction by
            // π to that many bits, in one uninterruptible call of minutes: such a point is left
            // undecided instead (found by the fuzzer).
            switch f {
            case .sin, .cos, .tan, .sinh, .cosh, .tanh, .exp:
                if let k = HighPrecisionEvaluator.binaryExponent(x), k > HighPrecisionEvaluator.largestArgumentExponent {
                    throw EvaluationError(message: "\(f) of a number near 2^\(k) is beyond evaluation")
                }
            default: break
            }
            switch f {
            case .exp: mpc_exp(out.pointer, x.pointer, rnd)
            case .log: mpc_log(out.pointer, x.pointer, rnd)
            case .sin: mpc_sin(out.pointer, x.pointer, rnd)
            case .cos: mpc_cos(out.pointer, x.pointer, rnd)
            case .tan: mpc_tan(out.pointer, x.pointer, rnd)
            case .atan: mpc_atan(out.pointer, x.pointer, rnd)
            case .sinh: mpc_sinh(out.pointer, x.pointer, rnd)
            case .cosh: mpc_cosh(out.pointer, x.pointer, rnd)
            case .tanh: mpc_tanh(out.pointer, x.pointer, rnd)
            case .abs:
                let r = UnsafeMutablePointer<__mpfr_struct>.allocate(capacity: 1)
                mpfr_init2(r, mpfr_prec_t(bits))
                mpc_abs(r, x.pointer, MPFR_RNDN)
                mpc_set_fr(out.pointer, r, rnd)
                mpfr_clear(r); r.deallocate()
            }
        }
        return out
    }
}
