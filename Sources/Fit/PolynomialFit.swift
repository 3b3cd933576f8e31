import Foundation
import Symbolic

/// What to fit with.
public enum FeatureBasis: Sendable {
    /// Monomials in these variables (nil: all of the data's) up to a total degree.
    case monomials(variables: [String]?)
    /// Any expressions in the data's variables and parameters (known invariants, trig terms).
    case expressions([Expr])
}

public struct FitOptions: Sendable {
    /// The degree, or (with `degrees`) the largest one tried.
    public var degree: Int = 2
    /// Select the degree in this range by held-out error (monomial bases only).
    public var degrees: ClosedRange<Int>?
    public var folds: Int = 5
    /// Score on one held-out fraction instead of k folds.
    public var heldOutFraction: Double?
    public var seed: UInt64 = 0
    public var weights: [Double]?
    public var regularization: Regularization = .none
    /// Sequentially thresholded least squares (SINDy): drop |c| below this, refit, repeat.
    public var threshold: Double?
    /// Drop coefficients within this many standard errors of zero, refit, repeat (0: keep all).
    public var significance: Double = 5
    public init() {}
}

/// A fitted linear combination of basis terms, with what was dropped and why.
public struct PolynomialFit: Sendable {
    /// All candidate terms (the basis at the final degree).
    public var terms: [Expr]
    /// Indices of the terms kept.
    public var support: [Int]
    /// The regression on the kept terms (coefficients in `support` order).
    public var regression: Regression
    /// Terms removed: (index, coefficient when removed, reason).
    public var dropped: [(term: Int, coefficient: Double, reason: String)]
    public var selection: DegreeSelection?
    public var degree: Int?
    /// Column norms / √n of the full design (for relative sizes).
    var columnScale: [Double]

    public var coefficients: [(term: Expr, value: Double, error: Double)] {
        support.enumerated().map { (terms[$1], regression.coefficients[$0], regression.standardErrors[$0]) }
    }

    public var meanSquaredError: Double { regression.meanSquaredError }

    /// The fit as an expression with float coefficients.
    public var expr: Expr { Expr.sum(coefficients.map { Expr.float($0.value) * $0.term }) }

    /// Each kept coefficient replaced by the simplest rational within `sigmas` standard errors
    /// (and at least 1e-11 relative, for noise-free data), denominators up to `maximumDenominator`.
    public func exact(sigmas: Double = 3, maximumDenominator: Int = 1000) throws -> Expr {
        var parts: [Expr] = [], failures: [String] = []
        for (term, value, error) in coefficients {
            let tolerance = max(sigmas * error, 1e-11 * abs(value), 1e-14)
            if let r = RationalReconstruction.simplest(value, tolerance: tolerance, maximumDenominator: maximumDenominator) {
                parts.append(Expr.rational(r) * term)
            } else {
                failures.append("\(TextPrinter().print(term)): \(TextPrinter.format(value, significantDigits: 8)) ± \(TextPrinter.format(tolerance, significantDigits: 2))")
            }
        }
        guard failures.isEmpty else {
            throw FitError(message: "no rational with denominator ≤ \(maximumDenominator) within \(TextPrinter.format(sigmas, significantDigits: 3))σ for "
                           + failures.joined(separator: "; ") + " (a learned coordinate may be a mixture: try identify)")
        }
        return Expr.sum(parts)
    }

    /// Scale and offset removed: the constant dropped, the largest coefficient made 1, then the
    /// ratios reconstructed as rationals and cleared to coprime integers (a learned coordinate
    /// is only defined up to scale and offset).
    public func normalized(sigmas: Double = 3, maximumDenominator: Int = 1000) throws -> Expr {
        let items = coefficients.filter { !$0.term.isConstantOne }
        guard let pivot = items.max(by: { abs($0.value) < abs($1.value) }), pivot.value != 0 else {
            throw FitError(message: "the fit is a constant: nothing to normalise")
        }
        var ratios: [(Expr, Rational)] = [], failures: [String] = []
        for (term, value, error) in items {
            let r = value / pivot.value
            let relative = ((error / max(abs(value), 1e-300)) * (error / max(abs(value), 1e-300)) + (pivot.error / abs(pivot.value)) * (pivot.error / abs(pivot.value))).squareRoot()
            let tolerance = max(sigmas * abs(r) * relative, 1e-11 * abs(r), 1e-14)
            if let q = RationalReconstruction.simplest(r, tolerance: tolerance, maximumDenominator: maximumDenominator) { ratios.append((term, q)) } else {
                failures.append("\(TextPrinter().print(term)): ratio \(TextPrinter.format(r, significantDigits: 8))")
            }
        }
        guard failures.isEmpty else {
            throw FitError(message: "no small rational ratios for " + failures.joined(separator: "; ") + " (a learned coordinate may be a mixture: try identify)")
        }
        // Clear denominators: multiply by their lcm (refused past 10¹², where the "small"
        // rationals have stopped being small together).
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? abs(a) : gcd(b, a % b) }
        var lcm = 1
        for (_, q) in ratios {
            let d = Int(q.denominator.description) ?? 1
            let (product, overflow) = (lcm / gcd(lcm, d)).multipliedReportingOverflow(by: d)
            guard !overflow, product <= 1_000_000_000_000 else {
                throw FitError(message: "the ratios' common denominator exceeds 10^12: no small integer form (try identify)")
            }
            lcm = product
        }
        return Expr.sum(ratios.map { Expr.rational($0.1 * Rational(lcm)) * $0.0 })
    }

    /// Like the paper: `name = -4.21 px1 - 4.21 px2 - 1.26 py1 - 1.29 py2  (mse 0.03)`, terms
    /// with |c| below `omitBelow` left out and listed.
    /// `labels` name the terms (by index into `terms`), e.g. the invariants a basis was given as.
    public func display(name: String, omitBelow: Double = 0.05, labels: [String]? = nil) -> String {
        var text = "", omitted: [String] = []
        for (k, (term, value, _)) in coefficients.enumerated() {
            var printed = labels.map { $0[support[k]] } ?? TextPrinter().print(term)
            if labels == nil, case .sum = term.kind { printed = "(" + printed + ")" }
            let termText = term.isConstantOne ? "" : " " + printed
            if abs(value) < omitBelow { omitted.append(TextPrinter.format(value, significantDigits: 2) + termText); continue }
            let magnitude = TextPrinter.format(abs(value), significantDigits: 3)
            text += text.isEmpty ? (value < 0 ? "-" : "") + magnitude + termText : (value < 0 ? " - " : " + ") + magnitude + termText
        }
        if text.isEmpty { text = "0" }
        var out = "\(name) = \(text)  (mse \(TextPrinter.format(meanSquaredError, significantDigits: 3)))"
        if !omitted.isEmpty { out += "\n  omitted below \(TextPrinter.format(omitBelow, significantDigits: 3)): " + omitted.joined(separator: ", ") }
        return out
    }

    /// Fits `targets` (one per sample) on a basis evaluated at the samples (`states` row-major,
    /// columns named `columns`, `parameters` bound in expression bases).
    public static func fit(targets: [Double], states: [Double], columns: [String], parameters: [String: Double] = [:],
                           basis: FeatureBasis = .monomials(variables: nil), options: FitOptions = FitOptions()) throws -> PolynomialFit {
        let n = targets.count
        guard n > 0, states.count == n * columns.count else {
            throw FitError(message: "\(targets.count) targets for \(states.count / max(1, columns.count)) samples")
        }
        if let bad = states.firstIndex(where: { !$0.isFinite }) {
            throw FitError(message: "the data has a non-finite value (\(states[bad])) at sample \(bad / columns.count + 1), \(columns[bad % columns.count])")
        }
        var terms: [Expr], design: [Double], selection: DegreeSelection?, degree: Int?
        switch basis {
        case .monomials(let variables):
            let vars = variables ?? columns
            var d = options.degree
            if let range = options.degrees {
                guard range.lowerBound >= 0 else { throw FitError(message: "degrees start at 0") }
                let s = try DegreeSelection.select(variables: vars, states: states, columns: columns, targets: targets, degrees: range,
                                                   folds: options.folds, heldOutFraction: options.heldOutFraction, seed: options.seed)
                selection = s
                d = s.chosen
            }
            let b = try MonomialBasis(variables: vars, degree: d)
            terms = b.terms
            design = try b.design(states: states, columns: columns)
            degree = d
        case .expressions(let exprs):
            guard !exprs.isEmpty else { throw FitError(message: "the basis is empty") }
            guard options.degrees == nil else { throw FitError(message: "degree selection needs a monomial basis") }
            let known = Set(columns).union(parameters.keys)
            for e in exprs {
                if let unknown = e.freeSymbols.sorted().first(where: { !known.contains($0) }) {
                    throw FitError(message: "unknown variable '\(unknown)' in the basis term \(TextPrinter().print(e)): the data has (\(columns.joined(separator: ", ")))")
                }
            }
            terms = exprs
            let compiled: CompiledFunction
            do { compiled = try CompiledFunction(exprs, inputs: columns, constants: parameters) } catch {
                throw FitError(message: "cannot evaluate the basis: \(error)")
            }
            let evaluator = CompiledEvaluator(compiled)
            let p = exprs.count
            design = [Double](repeating: 0, count: n * p)
            states.withUnsafeBufferPointer { x in
                design.withUnsafeMutableBufferPointer { d in
                    for i in 0..<n { evaluator.evaluate(x.baseAddress! + i * columns.count, into: d.baseAddress! + i * p) }
                }
            }
        }
        let p = terms.count
        var scale = [Double](repeating: 0, count: p)
        for i in 0..<n { for j in 0..<p { scale[j] += design[i * p + j] * design[i * p + j] } }
        scale = scale.map { ($0 / Double(n)).squareRoot() }
        let targetScale = (targets.reduce(0) { $0 + $1 * $1 } / Double(n)).squareRoot()

        func solve(_ keep: [Int]) throws -> Regression {
            if keep.count == p {
                return try LeastSquares.fit(design: design, rows: n, columns: p, targets: targets, weights: options.weights,
                                            regularization: options.regularization)
            }
            var sub = [Double](repeating: 0, count: n * keep.count)
            for i in 0..<n { for (k, j) in keep.enumerated() { sub[i * keep.count + k] = design[i * p + j] } }
            return try LeastSquares.fit(design: sub, rows: n, columns: keep.count, targets: targets, weights: options.weights,
                                        regularization: options.regularization)
        }
        var support = Array(0..<p)
        var regression = try solve(support)
        var dropped: [(term: Int, coefficient: Double, reason: String)] = []
        for _ in 0..<20 {
            var keep: [Int] = []
            for (k, j) in support.enumerated() {
                let c = regression.coefficients[k], e = regression.standardErrors[k]
                if let t = options.threshold, abs(c) < t {
                    dropped.append((j, c, "below the threshold \(TextPrinter.format(t, significantDigits: 3))"))
                } else if options.significance > 0 && abs(c) < options.significance * e {
                    dropped.append((j, c, "within \(TextPrinter.format(options.significance, significantDigits: 3)) standard errors of 0"))
                } else if abs(c) * scale[j] < 1e-9 * targetScale {
                    dropped.append((j, c, "negligible (round-off)"))
                } else {
                    keep.append(j)
                }
            }
            if keep.count == support.count { break }
            guard !keep.isEmpty else {
                support = []
                break
            }
            support = keep
            regression = try solve(support)
        }
        if support.isEmpty {
            // Nothing significant: the zero function, with its residual.
            let rss = targets.reduce(0) { $0 + $1 * $1 }
            regression = Regression(coefficients: [], standardErrors: [], residualSumOfSquares: rss, rows: n, effectiveRank: 0,
                                    conditionNumber: 1, lambda: regression.lambda, method: "no term survived", notes: regression.notes)
        }
        return PolynomialFit(terms: terms, support: support, regression: regression, dropped: dropped, selection: selection,
                             degree: degree, columnScale: scale)
    }
}

extension Expr {
    var isConstantOne: Bool { self == Expr.integer(1) }
}
