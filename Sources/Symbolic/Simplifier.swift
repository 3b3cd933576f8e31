
/// The answer to "is this expression zero?".
public enum ZeroDecision: Equatable, Sendable {
    /// Proven zero by exact normal form.
    case zero
    /// Zero at every one of `points` random points, but not proven exactly.
    case numericallyZero(points: Int)
    /// Not zero. `witness` is a point where it is visibly non-zero, when one was evaluated.
    case nonzero(witness: [String: Double]?)

    public var isZero: Bool {
        switch self { case .zero, .numericallyZero: return true; case .nonzero: return false }
    }

    /// `true`, `true (numeric, 8 points)` or `false`.
    public var verdict: String {
        switch self {
        case .zero: return "true"
        case .numericallyZero(let n): return "true (numeric, \(n) point\(n == 1 ? "" : "s"))"
        case .nonzero: return "false"
        }
    }
}

/// Deciding zero and simplifying, by the exact rational normal form of `RationalForm`.
///
/// `isZero` never answers `zero` unless the reduced numerator is exactly zero. When it is not,
/// and the expression has kernels that might be algebraically dependent (radicals, exp, trig,
/// abs, log) or floats, the expression is evaluated at random complex points near the positive
/// reals; zero at all of them is reported as `numericallyZero`, never silently as exact.
public enum Simplifier {
    public static let numericPoints = 8

    public static func isZero(_ e: Expr) -> ZeroDecision { isZero(e, in: RationalForm()) }

    /// Decides several expressions in one context: conversions of shared subexpressions (the
    /// Hamiltonian, the invariants' pieces) are done once. Same answers as deciding each alone.
    public static func areZero(_ expressions: [Expr]) -> [ZeroDecision] {
        let form = RationalForm()
        return expressions.map { isZero($0, in: form) }
    }

    static func isZero(_ e: Expr, in form: RationalForm) -> ZeroDecision {
        if e.isZero { return .zero }
        if case .number(.exact) = e.kind { return .nonzero(witness: [:]) }
        do {
            let r = try form.convert(e)
            let n = try form.reduce(r.numerator)
            if n.isZero { return .zero }
            if !form.hasKernels { return .nonzero(witness: nil) }
        } catch RationalFormFailure.divisionByZero {
            return .nonzero(witness: nil)
        } catch {
            // Outside the exact range: decide numerically below.
        }
        return numericZeroTest(e)
    }

    public static func areEqual(_ a: Expr, _ b: Expr) -> ZeroDecision { isZero(a - b) }

    /// A simpler equivalent form: one fraction with side relations applied and common factors
    /// cancelled, returned only when it is no larger than the input.
    /// With `preferSmaller` false the normal form is returned whatever its size (it is then
    /// free of `I` when the value is real, and of kernels that cancel).
    public static func simplify(_ e: Expr, preferSmaller: Bool = true) -> Expr {
        let form = RationalForm()
        guard let r = try? form.convert(e),
              let n = try? form.reduce(r.numerator),
              let lowered = try? form.reduceDenominator(RationalFunction(n, r.denominator)),
              let reduced = try? form.reduce(lowered.numerator),
              let cancelled = try? form.cancel(RationalFunction(reduced, lowered.denominator)) else { return e }
        if cancelled.numerator.isZero { return .zero }
        let candidate = form.expr(cancelled)
        if !preferSmaller { return candidate }
        // Candidates: one fraction; the fraction spread over its terms (r³ in p² - k r²/r³
        // cancels termwise); and, since relations rewrite cos² as 1 − sin², the unreduced one.
        var best = candidate
        var others = [form.distributedExpr(cancelled)]
        if let plain = try? form.cancel(r) { others.append(form.expr(plain)) }
        for other in others where other.size < best.size { best = other }
        return best.size <= e.size ? best : e
    }

    /// Precision of the randomised test, in bits (about 77 decimal digits).
    public static let numericBits = 256

    /// Evaluates at `numericPoints` random real points — each symbol an exact dyadic rational
    /// in ±[0.3, 1.7] (both signs, so `sqrt(x^2) == x` is refuted) — over the complex numbers
    /// (a negative radicand is not an error) in `numericBits`-bit arithmetic. Zero means below
    /// 1e-40 of the magnitude of the terms; with floats in the expression, which carry only
    /// double precision, below 1e-9.
    static func numericZeroTest(_ e: Expr) -> ZeroDecision {
        let names = e.freeSymbols
        var rng = SeededGenerator(seed: 0x5EED_2026)
        let tolerance = e.containsFloat ? 1e-9 : 1e-40
        var tested = 0, attempts = 0
        // Without symbols every point is the same point.
        let wanted = names.isEmpty ? 1 : numericPoints
        while tested < wanted && attempts < 4 * wanted {
            attempts += 1
            var point: [String: Double] = [:]
            for n in names {
                // A double is an exact dyadic rational, so MPC receives the point exactly.
                let magnitude = 0.3 + 1.4 * rng.uniform()
                point[n] = rng.next() & 1 == 0 ? magnitude : -magnitude
            }
            let evaluator = HighPrecisionEvaluator(bits: numericBits, point: point)
            guard let (value, scale) = evaluator.magnitudeAndScale(e) else { continue }
            tested += 1
            if value > tolerance * max(1, scale) { return .nonzero(witness: point) }
        }
        return tested == 0 ? .nonzero(witness: nil) : .numericallyZero(points: tested)
    }
}
