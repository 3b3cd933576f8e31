import Symbolic
import Dynamics
import Learn
import Fit

/// `fit(TARGET, data, degree: 2, ...)`: TARGET is an expression in the data's variables, a
/// list of numbers (one per sample), or a learned function of a model (`model.H`).
enum FitVerb: Verb {
    static let signature = Signature(
        name: "fit", family: .fitting, usage: "fit(TARGET, data, degree: 2, vars: [...], basis: [...], noise: 0, seed: 0, threshold: t, ridge: gcv)",
        summary: "least squares (GSL) of TARGET (an expression on the data, a list of numbers, or model.H) on monomials up to a degree (degree: [1, 4] selects one by 5-fold error and prints the table) or on given terms; insignificant terms (5 standard errors) are dropped, threshold: does STLSQ; members .expr, .exact (small rationals), .normalized (scale and offset removed), .mse, .table",
        example: "fit(q1*p2 - q2*p1, dataset(kepler2d, trajectories: 3, samples: 20), degree: 2).exact",
        positional: [.required("TARGET", "an expression, a list of numbers or model.H"), .required("data", "a dataset (from dataset or read)")],
        options: [
            .init("degree", .custom("a whole number 0 to 12, or [low, high] to select one by held-out error"), default: 2, "the highest total degree of the monomials"),
            .init("vars", .expressions, defaultText: "the data's state", "the variables of the monomials"),
            .init("basis", .expressions, "terms to fit on instead of monomials"),
            .init("noise", .number, default: 0, "the standard deviation of Gaussian noise added to the target"),
            .init("seed", .whole(0...Int.max), default: 0, "the seed of that noise and of the folds"),
            .init("threshold", .number, "STLSQ: drop coefficients below this and refit"),
            .init("sigmas", .number, default: 5, "drop terms within this many standard errors of 0"),
            .init("folds", .whole(2...Int.max), default: 5, "folds of the degree selection"),
            .init("holdout", .number, "a held-out fraction instead of folds"),
            .init("ridge", .custom("a number, gcv or lcurve"), "Tikhonov regularisation: a fixed lambda or one chosen by GCV or the L-curve"),
        ])

    static func run(_ call: BoundCall) throws -> Value {
        let evaluation = call.evaluation
        let data = try call.dataset(1)
        let targetSyntax = call.positional[0]
        var targets: [Double], name: String
        if case .member(let base, let member, nil, let memberAt) = targetSyntax, case .object(let o as any SampledMembers) = try evaluation.value(base),
           let sampled = try o.samples(of: member, on: data, at: memberAt, dataAt: call.positional[1].location, in: evaluation) {
            (targets, name) = sampled
        } else {
            switch try call.value(0) {
            case .expr(let e):
                targets = try evaluation.sampleValues(of: [e], on: data, at: targetSyntax.location)[0]
                // The target's name as written, or y for a long expression.
                name = TextPrinter().print(e)
                if case .name(let n, _) = targetSyntax { name = n } else if name.count > 24 { name = "y" }
            case .list(let items):
                targets = try evaluation.numbers(.list(items), at: targetSyntax.location, "the target list")
                guard targets.count == data.count else { throw call.fail("the target list has \(targets.count) numbers for \(data.count) samples", at: targetSyntax.location) }
                name = "y"
            case let other:
                throw call.fail("fit's target is an expression, a list of numbers or model.H, not \(other.kindName)", at: targetSyntax.location)
            }
        }
        var options = FitOptions()
        var basis = FeatureBasis.monomials(variables: nil)
        var labels: [String]?
        // In the order written, so the first bad value is the one reported.
        for l in call.labelled {
            switch l.label! {
            case "degree":
                let v = try evaluation.value(l.value)
                if case .list = v {
                    options.degrees = try evaluation.degreeRange(v, at: l.value.location)
                    options.degree = options.degrees!.upperBound
                } else {
                    options.degree = try evaluation.wholeOption(l.value, "degree", in: 0...12)
                }
            case "vars":
                let vars = try evaluation.expressions(l.value, "'vars'").map { e -> String in
                    guard case .symbol(let s) = e.kind else { throw call.fail("vars holds variable names", at: l.value.location) }
                    return s
                }
                basis = .monomials(variables: vars)
            case "basis":
                basis = .expressions(try evaluation.expressions(l.value, "'basis'"))
                if case .list(let items, _) = l.value {
                    labels = items.map { item in
                        if item.isName { return item.nameText }
                        let e = (try? evaluation.expr(item, "fit", call.location)) ?? .integer(0)
                        if case .sum = e.kind { return "(" + TextPrinter().print(e) + ")" }
                        return TextPrinter().print(e)
                    }
                }
            case "noise": guard try call.number("noise")! >= 0 else { throw call.fail("noise is a standard deviation ≥ 0", at: l.value.location) }
            case "seed": options.seed = UInt64(try call.whole("seed")!)
            case "threshold": options.threshold = try call.number("threshold")
            case "sigmas": options.significance = try call.number("sigmas")!
            case "folds": options.folds = try call.whole("folds")!
            case "holdout": options.heldOutFraction = try call.number("holdout")
            case "ridge":
                if case .name(let n, _) = l.value, n == "gcv" || n == "lcurve" { options.regularization = n == "gcv" ? .gcv : .lcurve } else {
                    options.regularization = .ridge(try evaluation.numberOption(l.value, "ridge"))
                }
            default: break
            }
        }
        let noise = try call.number("noise")!
        if noise > 0 {
            var rng = SeededGenerator(seed: UInt64(try call.whole("seed")!))
            for i in targets.indices { targets[i] += noise * rng.normal() }
        }
        do {
            let fit = try PolynomialFit.fit(targets: targets, states: data.states, columns: data.names, parameters: data.parameters,
                                            basis: basis, options: options)
            return .object(FitValue(fit: fit, name: name, data: data, labels: labels))
        } catch {
            throw call.fail("\(error)", at: call.location, width: 3)
        }
    }
}
