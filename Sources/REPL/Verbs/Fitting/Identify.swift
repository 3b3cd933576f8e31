import Symbolic
import Dynamics
import Fit

/// `identify(f, [Px, Py, L])`: f (a fit, or several in a list) in the span of known
/// quantities, on the data f was fitted to; with several, the principal angles between the
/// two spans.
enum Identify: Verb {
    static let signature = Signature(
        name: "identify", family: .fitting, usage: "identify(f, [Px, Py, L])   or   identify([f, g], [Px, Py, L])",
        summary: "a fit in the span of known quantities on its data (coefficients, R²), and the principal angles between the spans",
        example: "identify(fit(2*(q1*p2 - q2*p1) + 1, dataset(kepler2d, trajectories: 3, samples: 20), degree: 2), [q1*p2 - q2*p1])",
        positional: [.required("f", "a fit (from fit) or a list of fits"), .required("known", "a list of known quantities, such as [Px, Py, L]")])

    static func run(_ call: BoundCall) throws -> Value {
        let evaluation = call.evaluation, positional = call.positional
        var fits: [FitValue] = []
        switch try call.value(0) {
        case .object(let f as FitValue):
            fits = [f]
            if positional[0].isName { fits[0].name = positional[0].nameText }
        case .list(let items):
            fits = try items.map { item in
                guard let f = item.object(FitValue.self) else { throw call.fail("identify takes a fit or a list of fits", at: positional[0].location) }
                return f
            }
            // Fits named in the list are called by those names.
            if case .list(let syntax, _) = positional[0] {
                for (k, s) in syntax.enumerated() where s.isName { fits[k].name = s.nameText }
            }
        case let other: throw call.fail("identify takes a fit (from fit) or a list of fits, not \(other.kindName)", at: positional[0].location)
        }
        guard let data = fits.first?.data else { throw call.fail("identify needs at least one fit", at: positional[0].location) }
        guard fits.allSatisfy({ $0.data.states == data.states }) else { throw call.fail("the fits were made on different data", at: positional[0].location) }
        guard case .list(let items) = try call.value(1) else { throw call.fail("identify's second argument is a list of known quantities, such as [Px, Py, L]", at: positional[1].location) }
        let known: [Expr] = try items.map { item in
            guard case .expr(let e) = item else { throw call.fail("the known quantities are expressions", at: positional[1].location) }
            return e
        }
        guard !known.isEmpty else { throw call.fail("identify needs at least one known quantity, as in [Px, Py, L]", at: positional[1].location) }
        let labels: [String] = {
            func label(_ e: Expr) -> String { if case .sum = e.kind { return "(" + TextPrinter().print(e) + ")" }; return TextPrinter().print(e) }
            if case .list(let syntax, _) = positional[1] { return syntax.map { $0.isName ? $0.nameText : label((try? evaluation.expr($0, "identify", call.location)) ?? .integer(0)) } }
            return known.map(label)
        }()
        let columns = try evaluation.sampleValues(of: known, on: data, at: positional[1].location)
        let fitted = try evaluation.sampleValues(of: fits.map(\.fit.expr), on: data, at: positional[0].location)
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
            throw call.fail(e.message, at: call.location, width: 8)
        }
        return .text(lines.joined(separator: "\n"))
    }
}
