import Symbolic

/// Why a substitution has no value: the smallest part of the expression that becomes undefined
/// once its own parts are substituted (each of them defined), named with what happens there.
///
/// `subs(log(x), x: 0)` → "log(x) is undefined at x = 0: log(0) is a singularity of log";
/// `subs(1/x, x: 0)` → "1/x divides by zero at x = 0".
enum SubstitutionFailure {
    static func explain(_ e: Expr, _ map: [Expr: Expr]) -> String {
        let at = map.map { "\(TextPrinter().print($0.key)) = \(TextPrinter().print($0.value))" }.sorted().joined(separator: ", ")
        guard let (part, parts) = culprit(e, map) else { return "the substitution \(at) has no value" }
        let printer = TextPrinter()
        switch part.kind {
        case .function(let f, _):
            let argument = printer.print(parts[0])
            return "\(printer.print(part)) is undefined at \(at): \(f.rawValue)(\(argument)) is a singularity of \(f.rawValue)"
        case .power:
            let (base, exponent) = (parts[0], parts[1])
            if base.isZero, let n = exponent.numberValue, n.isNegative {
                return "\(printer.print(part)) divides by zero at \(at)"
            }
            return "\(printer.print(part)) is undefined at \(at): \(printer.print(base))^\(printer.print(exponent)) has no value"
        default:
            return "\(printer.print(part)) is undefined at \(at)"
        }
    }

    /// The innermost subexpression whose substitution is undefined while its parts' are not,
    /// with its parts substituted.
    static func culprit(_ e: Expr, _ map: [Expr: Expr]) -> (Expr, [Expr])? {
        let parts: [Expr]
        switch e.kind {
        case .sum(let ts): parts = ts
        case .product(_, let fs): parts = fs
        case .power(let b, let x): parts = [b, x]
        case .function(_, let a): parts = [a]
        default: parts = []
        }
        for p in parts where p.substitute(map).isUndefined { return culprit(p, map) }
        guard e.substitute(map).isUndefined else { return nil }
        return (e, parts.map { $0.substitute(map) })
    }
}
