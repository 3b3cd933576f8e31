import Foundation
import Symbolic
import Dynamics
import Learn
import Fit

/// A fit held by the session: the result and what it was fitted on.
public struct FitValue {
    public var fit: PolynomialFit
    /// How the target was written (the display's left-hand side).
    public var name: String
    public var data: Dataset
    /// Names of the terms of a given basis, as written.
    public var labels: [String]?

    var summary: String {
        var lines = [fit.display(name: name, labels: labels)]
        if let s = fit.selection { lines.append(s.table) }
        let r = fit.regression
        var facts = "\(fit.support.count) of \(fit.terms.count) terms kept"
        if let d = fit.degree { facts += " (degree \(d))" }
        facts += "; rank \(r.effectiveRank), condition \(TextPrinter.format(r.conditionNumber, significantDigits: 3)); \(r.method)"
        if r.lambda > 0 { facts += ", lambda \(TextPrinter.format(r.lambda, significantDigits: 3))" }
        lines.append(facts)
        if !fit.dropped.isEmpty {
            var reasons: [String: Int] = [:]
            for d in fit.dropped { reasons[d.reason, default: 0] += 1 }
            lines.append("dropped: " + reasons.keys.sorted().map { "\(reasons[$0]!) \($0)" }.joined(separator: "; "))
        }
        lines += r.notes
        return lines.joined(separator: "\n")
    }
}

extension Evaluation {
    /// Values of expressions at every sample of a dataset (state names and parameters bound).
    func values(of exprs: [Expr], on d: Dataset, at location: SourceLocation) throws -> [[Double]] {
        if let unknown = SampleEvaluator.unknownSymbol(in: exprs, variables: d.names, parameters: d.parameters) {
            throw fail("unknown variable '\(unknown)': the data has (\(d.names.joined(separator: ", ")))", at: location)
        }
        let evaluator: SampleEvaluator
        do { evaluator = try SampleEvaluator(exprs, variables: d.names, parameters: d.parameters) } catch {
            throw fail("\(error)", at: location)
        }
        return evaluator.values(on: d)
    }

    /// `fit(TARGET, data, degree: 2, ...)`: TARGET is an expression in the data's variables, a
    /// list of numbers (one per sample), or an HNN's learned Hamiltonian `model.H`.
    func fitValue(_ positional: [Syntax], _ labelled: [Syntax.Argument], _ at: SourceLocation) throws -> Value {
        let dataValue = try value(positional[1])
        guard case .dataset(let data, _) = dataValue else { throw fail("fit needs a dataset second (from dataset or read), not \(dataValue.kindName)", at: positional[1].location) }
        let targetSyntax = positional[0]
        var targets: [Double], name: String
        if case .member(let base, "H", nil, let mAt) = targetSyntax, case .model(let m) = try value(base) {
            let hamiltonian = try learnedHamiltonianModel(m, mAt)  // refuses a baseline model, which has no H
            guard m.names == data.names else { throw fail("the model's state is (\(m.names.joined(separator: ", "))), the data's (\(data.names.joined(separator: ", ")))", at: positional[1].location) }
            let x = Tensor(shape: [data.count, data.dimension], storage: data.states)
            targets = hamiltonian.hamiltonian(Variable(x)).value.storage
            name = "H_theta"
        } else {
            switch try value(targetSyntax) {
            case .expr(let e):
                targets = try values(of: [e], on: data, at: targetSyntax.location)[0]
                // The target's name as written, or y for a long expression.
                name = TextPrinter().print(e)
                if case .name(let n, _) = targetSyntax { name = n } else if name.count > 24 { name = "y" }
            case .list(let items):
                targets = try items.map { item in
                    guard case .expr(let e) = item, let x = try? e.evaluate([:]) else { throw fail("the target list must hold numbers", at: targetSyntax.location) }
                    return x
                }
                guard targets.count == data.count else { throw fail("the target list has \(targets.count) numbers for \(data.count) samples", at: targetSyntax.location) }
                name = "y"
            case let other:
                throw fail("fit's target is an expression, a list of numbers or model.H, not \(other.kindName)", at: targetSyntax.location)
            }
        }
        var options = FitOptions()
        var basis = FeatureBasis.monomials(variables: nil)
        var noise = 0.0, noiseSeed: UInt64 = 0, labels: [String]?
        func number(_ l: Syntax.Argument) throws -> Double { try numberOption(l.value, l.label!) }
        func names(_ l: Syntax.Argument) throws -> [Expr] {
            guard case .list(let items) = try value(l.value) else { throw fail("'\(l.label!)' is a list such as [x, y]", at: l.value.location) }
            return try items.map { item in
                guard case .expr(let e) = item else { throw fail("'\(l.label!)' holds expressions", at: l.value.location) }
                return e
            }
        }
        for l in labelled {
            switch l.label! {
            case "degree":
                if case .list(let items) = try value(l.value) {
                    let bounds = items.compactMap { item -> Int? in if case .expr(let e) = item, let v = try? e.evaluate([:]) { return Int(exactly: v) }; return nil }
                    guard bounds.count == 2, bounds[0] >= 0, bounds[0] <= bounds[1], bounds[1] <= 12 else {
                        throw fail("degree is a number, or [low, high] to select one by held-out error (0 ≤ low ≤ high ≤ 12)", at: l.value.location)
                    }
                    options.degrees = bounds[0]...bounds[1]
                    options.degree = bounds[1]
                } else {
                    options.degree = try wholeOption(l.value, "degree", in: 0...12)
                }
            case "vars":
                let vars = try names(l).map { e -> String in
                    guard case .symbol(let s) = e.kind else { throw fail("vars holds variable names", at: l.value.location) }
                    return s
                }
                basis = .monomials(variables: vars)
            case "basis":
                basis = .expressions(try names(l))
                if case .list(let items, _) = l.value {
                    labels = items.map { item in
                        if item.isName { return item.nameText }
                        let e = (try? expr(item, "fit", at)) ?? .integer(0)
                        if case .sum = e.kind { return "(" + TextPrinter().print(e) + ")" }
                        return TextPrinter().print(e)
                    }
                }
            case "noise": noise = try number(l); guard noise >= 0 else { throw fail("noise is a standard deviation ≥ 0", at: l.value.location) }
            case "seed": noiseSeed = UInt64(try wholeOption(l.value, "seed", in: 0...Int.max)); options.seed = noiseSeed
            case "threshold": options.threshold = try number(l)
            case "sigmas": options.significance = try number(l)
            case "folds": options.folds = try wholeOption(l.value, "folds", in: 2...Int.max)
            case "holdout": options.heldOutFraction = try number(l)
            case "ridge":
                if case .name(let n, _) = l.value, n == "gcv" || n == "lcurve" { options.regularization = n == "gcv" ? .gcv : .lcurve } else {
                    options.regularization = .ridge(try number(l))
                }
            default:
                throw fail("fit has no option '\(l.label!):' (options: degree, vars, basis, noise, seed, threshold, sigmas, folds, holdout, ridge)", at: l.value.location)
            }
        }
        if noise > 0 {
            var rng = SeededGenerator(seed: noiseSeed)
            for i in targets.indices { targets[i] += noise * rng.normal() }
        }
        do {
            let fit = try PolynomialFit.fit(targets: targets, states: data.states, columns: data.names, parameters: data.parameters,
                                            basis: basis, options: options)
            return .fit(FitValue(fit: fit, name: name, data: data, labels: labels))
        } catch {
            throw fail("\(error)", at: at, width: 3)
        }
    }

    /// `f.expr`, `f.exact`, `f.normalized`, `f.mse`.
    func fitMember(_ f: FitValue, _ name: String, _ arguments: [Syntax.Argument]?, _ at: SourceLocation) throws -> Value {
        guard arguments == nil else { throw fail(".\(name) is not called", at: at, width: name.count) }
        do {
            switch name {
            case "expr": return .expr(f.fit.expr)
            case "exact": return .expr(try f.fit.exact())
            case "normalized": return .expr(try f.fit.normalized())
            case "mse": return .expr(.float(f.fit.meanSquaredError))
            case "table":
                guard let s = f.fit.selection else { throw fail("no degree table: fit with degree: [low, high] to select a degree", at: at, width: name.count) }
                return .text(s.table)
            default: throw fail("a fit has .expr, .exact, .normalized, .mse and .table", at: at, width: name.count)
            }
        } catch let e as FitError {
            throw fail(e.message, at: at, width: name.count)
        }
    }

    /// `identify(f, [Px, Py, L])`: f (a fit, or several in a list) in the span of known
    /// quantities, on the data f was fitted to; with several, the principal angles between the
    /// two spans.
    func identify(_ positional: [Syntax], _ at: SourceLocation) throws -> Value {
        var fits: [FitValue] = []
        switch try value(positional[0]) {
        case .fit(let f):
            fits = [f]
            if positional[0].isName { fits[0].name = positional[0].nameText }
        case .list(let items):
            fits = try items.map { item in
                guard case .fit(let f) = item else { throw fail("identify takes a fit or a list of fits", at: positional[0].location) }
                return f
            }
            // Fits named in the list are called by those names.
            if case .list(let syntax, _) = positional[0] {
                for (k, s) in syntax.enumerated() where s.isName { fits[k].name = s.nameText }
            }
        case let other: throw fail("identify takes a fit (from fit) or a list of fits, not \(other.kindName)", at: positional[0].location)
        }
        guard let data = fits.first?.data else { throw fail("identify needs at least one fit", at: positional[0].location) }
        guard fits.allSatisfy({ $0.data.states == data.states }) else { throw fail("the fits were made on different data", at: positional[0].location) }
        guard case .list(let items) = try value(positional[1]) else { throw fail("identify's second argument is a list of known quantities, such as [Px, Py, L]", at: positional[1].location) }
        let known: [Expr] = try items.map { item in
            guard case .expr(let e) = item else { throw fail("the known quantities are expressions", at: positional[1].location) }
            return e
        }
        guard !known.isEmpty else { throw fail("identify needs at least one known quantity, as in [Px, Py, L]", at: positional[1].location) }
        let labels: [String] = {
            func label(_ e: Expr) -> String { if case .sum = e.kind { return "(" + TextPrinter().print(e) + ")" }; return TextPrinter().print(e) }
            if case .list(let syntax, _) = positional[1] { return syntax.map { $0.isName ? $0.nameText : label((try? expr($0, "identify", at)) ?? .integer(0)) } }
            return known.map(label)
        }()
        let columns = try values(of: known, on: data, at: positional[1].location)
        let fitted = try values(of: fits.map(\.fit.expr), on: data, at: positional[0].location)
        var lines: [String] = []
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 3) }
        do {
            for (f, y) in zip(fits, fitted) {
                let id = try Identification.identify(y, in: columns, names: labels)
                var text = ""
                for (k, label) in labels.enumerated() {
                    let c = id.coefficients[k]
                    let term = "\(short(abs(c))) (±\(TextPrinter.format(id.standardErrors[k], significantDigits: 2))) \(label)"
                    text += text.isEmpty ? (c < 0 ? "-" : "") + term : (c < 0 ? " - " : " + ") + term
                }
                text += (id.intercept < 0 ? " - " : " + ") + short(abs(id.intercept))
                lines.append("\(f.name) ≈ \(text)  (R² \(TextPrinter.format(id.rSquared, significantDigits: 6)), residual rms \(short(id.residualRMS)))")
            }
            if fits.count > 1 || known.count > 1 {
                let angles = try Identification.principalAngles(fitted, columns)
                lines.append("principal angles between span(\(fits.map(\.name).joined(separator: ", "))) and span(\(labels.joined(separator: ", "))): "
                             + angles.map { short($0 * 180 / Double.pi) + "°" }.joined(separator: ", "))
            }
        } catch let e as FitError {
            throw fail(e.message, at: at, width: 8)
        }
        return .text(lines.joined(separator: "\n"))
    }
}
