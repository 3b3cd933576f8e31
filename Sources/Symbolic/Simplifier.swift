
/// The answer to "is this expression zero?".
public enum ZeroDecision: Equatable, Sendable {
    /// Proven zero exactly: by the rational normal form, or by partial fractions over
    /// differences of variables (`PartialFractionZeroTest`).
    case zero
    /// Zero at random points modulo random primes (`ModularZeroTest`): exact arithmetic, whose
    /// only error is the chance, below 2^-errorBits, that a non-zero expression looks zero.
    case modularZero(errorBits: Int)
    /// Zero at every one of `points` random points, but not proven exactly.
    case numericallyZero(points: Int)
    /// Not zero. `witness` is a point where it is visibly non-zero, when one was evaluated.
    case nonzero(witness: [String: Double]?)

    public var isZero: Bool {
        switch self { case .zero, .modularZero, .numericallyZero: return true; case .nonzero: return false }
    }

    /// `true`, `true (modular, error < 2^-128)`, `true (numeric, 8 points)` or `false`.
    public var verdict: String {
        switch self {
        case .zero: return "true"
        case .modularZero(let k): return "true (modular, error < 2^-\(k))"
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

    public static func isZero(_ e: Expr) -> ZeroDecision { isZero(e, in: RationalForm(floatsAreExact: true)) }

    /// Whether `e` is proven zero by the exact normal form, however much work that takes (no
    /// budget, no modular or numeric verdict): for code that builds on the proof.
    public static func isProvenZero(_ e: Expr) -> Bool {
        isZero(e, in: RationalForm(floatsAreExact: true), budgeted: false) == .zero
    }

    /// Decides several expressions in one context: conversions of shared subexpressions (the
    /// Hamiltonian, the invariants' pieces) are done once. Each verdict is what deciding it
    /// alone gives, except exact against modular: work an earlier expression already did is not
    /// charged to a later one's budget, so a `true` that alone is modular may be exact here.
    /// `budgeted: false` leaves the exact form unbounded (for code that needs the proof).
    public static func areZero(_ expressions: [Expr], budgeted: Bool = true) -> [ZeroDecision] {
        let form = RationalForm(floatsAreExact: true)
        return expressions.map { isZero($0, in: form, budgeted: budgeted) }
    }

    /// Term products the exact normal form may spend when the modular test can decide instead
    /// (`RationalForm.workBudget`): about a quarter of a second here.
    nonisolated(unsafe) static var exactWorkBudget = 4_000_000

    static func isZero(_ e: Expr, in form: RationalForm, budgeted: Bool = true, partialFractions: Bool = true) -> ZeroDecision {
        if e.isZero { return .zero }
        // A number is zero only when it is; a float is the binary number it holds (1e-10 is not 0).
        if case .number(let n) = e.kind { return n.isZero ? .zero : .nonzero(witness: [:]) }
        // Where the modular test applies it is the fallback, so the exact form gets a budget.
        let rational = ModularZeroTest.applies(to: e)
        // A kernel exp(t/D) already built in a shared form may be too coarse for e.
        var form = form
        if !form.prepareExponentials(e) {
            form = RationalForm(floatsAreExact: true)
            _ = form.prepareExponentials(e)
        }
        form.workBudget = rational && budgeted ? exactWorkBudget : nil
        defer { form.workBudget = nil }
        do {
            let r = try form.convert(e)
            let n = try form.reduce(r.numerator)
            if n.isZero { return .zero }
            if !form.hasKernels { return .nonzero(witness: nil) }
        } catch RationalFormFailure.divisionByZero {
            return .nonzero(witness: nil)
        } catch {
            // Outside the exact range: the modular test if it applies, else numerically below.
        }
        // Beyond the budget, sums of fractions over differences are still decided exactly
        // (polynomials are left to the modular test: their exact form is what ran out).
        if rational {
            if partialFractions && DifferenceFractionForm.applies(to: e) {
                switch PartialFractionZeroTest.decide(e) {
                case .zero: return .zero
                case .nonzero: return .nonzero(witness: nil)
                case .notApplicable: break
                }
            }
            switch ModularZeroTest.decide(e) {
            case .zero(let k): return .modularZero(errorBits: k)
            case .nonzero: return .nonzero(witness: nil)
            case .notApplicable: break
            }
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
        _ = form.prepareExponentials(e)
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

    /// Precision of the randomised test's first evaluation, in bits (about 77 decimal digits).
    public static let numericBits = 256
    /// The highest precision the randomised test raises to, in bits (about 1,233 digits).
    public static let maximumNumericBits = 4096
    /// How many leading bits two evaluations at different precisions must share for their
    /// value to count as resolved (a non-zero that is no rounding artefact).
    static let agreementBits = 40.0

    /// Evaluates at `numericPoints` random real points — each symbol an exact dyadic rational
    /// in ±[0.3, 1.7] (both signs, so `sqrt(x^2) == x` is refuted) — over the complex numbers
    /// (a negative radicand is not an error) in arbitrary precision. Floats are the exact
    /// binary numbers they hold. There is no absolute threshold: at each point the precision
    /// is doubled from `numericBits` up to `maximumNumericBits` (`decide(_:at:)`), and a value
    /// that stays the same as the precision grows is a non-zero however small it is
    /// (`exp(-100)`, `1e-10*q`), while rounding noise falls with the precision.
    ///
    /// `0^u` with a non-constant `u` is never called zero: it is 1 where u = 0, which random
    /// points do not meet.
    static func numericZeroTest(_ e: Expr) -> ZeroDecision {
        if e.containsZeroToVariablePower { return .nonzero(witness: nil) }
        let names = e.freeSymbols
        var rng = SeededGenerator(seed: 0x5EED_2026)
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
            switch decide(e, at: point) {
            case .undefined: continue
            case .nonzero: return .nonzero(witness: point)
            case .zero: tested += 1
            }
        }
        return tested == 0 ? .nonzero(witness: nil) : .numericallyZero(points: tested)
    }

    enum PointVerdict: Equatable { case zero, nonzero, undefined }

    /// Whether `e` vanishes at `point`, by evaluation at 256, 512, 1024, … bits:
    /// - non-zero when two successive precisions give non-zero values that agree in their
    ///   leading `agreementBits` bits: a value that does not move with the precision is
    ///   resolved, however small (no absolute threshold anywhere);
    /// - zero when the value falls with the precision at three successive precisions (by at
    ///   least a quarter of the precision each time, as rounding noise does: a true value
    ///   would then be below 2^-768 of the noise scale), or when no precision up to
    ///   `maximumNumericBits` resolves a value (exact zeros, noise);
    /// - undefined when the value is not finite (a pole or a branch point).
    static func decide(_ e: Expr, at point: [String: Double]) -> PointVerdict {
        // A first evaluation measures the widest gap between magnitudes that rounding could
        // merge (a sum's terms, 1 + u inside exp u). The precision starts above that gap, once:
        // measured again at each precision, a term that is itself rounding noise (sin(pi))
        // would move the goal with every doubling.
        let probe = HighPrecisionEvaluator(bits: numericBits, point: point)
        guard let first = try? probe.evaluate(e), probe.log2Magnitude(first) != nil else { return .undefined }
        let needed = probe.statistics.absorption + 64
        guard needed <= absoluteMaximumNumericBits else { return .undefined }
        var bits = numericBits
        while bits < needed { bits *= 2 }
        let ceiling = max(maximumNumericBits, 4 * bits)
        var previous: (value: HighPrecisionEvaluator.Value, log2: Double, bits: Int)?
        var falls = 0
        while bits <= ceiling {
            if Interrupt.isRequested { return .undefined }
            let evaluator = HighPrecisionEvaluator(bits: bits, point: point)
            guard let value = try? evaluator.evaluate(e), let log2 = evaluator.log2Magnitude(value) else { return .undefined }
            if let p = previous, log2 > -.infinity, p.log2 > -.infinity {
                let difference = evaluator.log2Magnitude(evaluator.difference(value, p.value)) ?? 0
                if difference <= log2 - agreementBits { return .nonzero }
                falls = log2 <= p.log2 - Double(p.bits) / 4 ? falls + 1 : 0
                if falls >= 2 { return .zero }
            } else if log2 > -.infinity {
                falls = 0
            }
            previous = (value, log2, bits)
            bits *= 2
        }
        return .zero
    }

    /// The precision beyond which a point is not decided (about 79,000 digits): a term 2^-262144
    /// below its neighbours (exp(-180000) beside 1) leaves the point undecided.
    static let absoluteMaximumNumericBits = 1 << 18
}

extension Expr {
    /// Whether `0^u` with a non-numeric exponent occurs (1 where u = 0, 0 or undefined elsewhere).
    /// Also a base that is zero without being written 0: (sin(x)^2 + cos(x)^2 - 1)^y.
    var containsZeroToVariablePower: Bool {
        var visited = Set<ObjectIdentifier>()
        func walk(_ e: Expr) -> Bool {
            guard visited.insert(ObjectIdentifier(e.node)).inserted else { return false }
            if case .power(let b, let x) = e.kind, x.numberValue == nil {
                if b.isZero { return true }
                if case .sum = b.kind, Simplifier.isZero(b).isZero { return true }
            }
            return e.children.contains(where: walk)
        }
        return walk(self)
    }
}
