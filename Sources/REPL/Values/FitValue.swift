import Symbolic
import Dynamics
import Fit

/// A fit held by the session: the result and what it was fitted on.
struct FitValue: ObjectValue {
    var fit: PolynomialFit
    /// How the target was written (the display's left-hand side).
    var name: String
    var data: Dataset
    /// Names of the terms of a given basis, as written.
    var labels: [String]?

    var kindName: String { "a fit" }

    var display: String {
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

    /// `f.expr`, `f.exact`, `f.normalized`, `f.mse`, `f.table`.
    func member(_ name: String, _ arguments: [Syntax.Argument]?, at: SourceLocation, in evaluation: Evaluation) throws -> Value {
        guard arguments == nil else { throw evaluation.fail(".\(name) is not called", at: at, width: name.count) }
        do {
            switch name {
            case "expr": return .expr(fit.expr)
            case "exact": return .expr(try fit.exact())
            case "normalized": return .expr(try fit.normalized())
            case "mse": return .expr(.float(fit.meanSquaredError))
            case "table":
                guard let s = fit.selection else { throw evaluation.fail("no degree table: fit with degree: [low, high] to select a degree", at: at, width: name.count) }
                return .table(TextTable(header: s.header, rows: s.rows, layout: s.table))
            default: throw evaluation.fail("a fit has .expr, .exact, .normalized, .mse and .table", at: at, width: name.count)
            }
        } catch let e as FitError {
            throw evaluation.fail(e.message, at: at, width: name.count)
        }
    }
}
