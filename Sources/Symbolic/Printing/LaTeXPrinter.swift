/// Prints an expression as LaTeX: `\frac`, `\sqrt`, subscripted indices (`q1` → `q_{1}`),
/// Greek letter names as commands, `\left( … \right)` around function arguments.
public struct LaTeXPrinter {
    public init() {}

    static let greek: Set<String> = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
                                     "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "chi",
                                     "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega"]

    public func print(_ e: Expr) -> String { render(e).0 }

    func symbol(_ s: String) -> String {
        var head = s, digits = ""
        while let last = head.last, last.isNumber { digits = String(last) + digits; head.removeLast() }
        if head.hasSuffix("_") { head.removeLast() }
        var base = LaTeXPrinter.greek.contains(head) ? "\\" + head : head
        if base.count > 1 && !base.hasPrefix("\\") { base = "\\mathrm{\(base)}" }
        if head.isEmpty { base = s }
        return digits.isEmpty || head.isEmpty ? base : "\(base)_{\(digits)}"
    }

    /// (text, level) with levels as in `TextPrinter`: 1 sum, 2 product, 3 power, 4 atom.
    func render(_ e: Expr) -> (String, Int) {
        switch e.kind {
        case .number(let n):
            switch n {
            case .exact(let r):
                if r.isInteger { return (r.description, r.isNegative ? 1 : 4) }
                let t = "\\frac{\(r.numerator.magnitude)}{\(r.denominator)}"
                return (r.isNegative ? "-" + t : t, r.isNegative ? 1 : 2)
            case .float(let d): return (TextPrinter.format(d, significantDigits: 6), d < 0 ? 1 : 4)
            }
        case .symbol(let s): return (symbol(s), 4)
        case .imaginaryUnit: return ("i", 4)
        case .pi: return ("\\pi", 4)
        case .undefined: return ("\\mathrm{undefined}", 4)
        case .function(let f, let a):
            let name = f == .abs ? "" : f == .atan ? "\\arctan" : "\\\(f.rawValue)"
            if f == .abs { return ("\\left|\(print(a))\\right|", 4) }
            return ("\(name)\\left(\(print(a))\\right)", 4)
        case .sum(let ts):
            var out = ""
            for (k, t) in TextPrinter.displayOrder(ts).enumerated() {
                if k == 0 { out = print(t); continue }
                out += t.hasLeadingMinus ? " - " + wrap(-t, 1) : " + " + wrap(t, 1)
            }
            return (out, 1)
        case .product, .power:
            var c = Number.one, fs = [e]
            if case .product(let k, let xs) = e.kind { c = k; fs = xs }
            var num: [String] = [], den: [String] = []
            if case .exact(let r) = c.magnitude {
                if r.numerator != 1 { num.append(r.numerator.description) }
                if r.denominator != 1 { den.append(r.denominator.description) }
            } else if c.magnitude != .one { num.append(render(.number(c.magnitude)).0) }
            for f in fs {
                if case .power(let b, let x) = f.kind, let n = x.numberValue, n.isNegative {
                    den.append(power(b, .number(-n), alone: fs.count == 1 && num.isEmpty))
                } else if case .power(let b, let x) = f.kind {
                    num.append(power(b, x, alone: false))
                } else {
                    num.append(wrap(f, 2))
                }
            }
            var text = num.isEmpty ? "1" : num.joined(separator: " ")
            if !den.isEmpty { text = "\\frac{\(text)}{\(den.joined(separator: " "))}" }
            if c.isNegative { return ("-" + text, 1) }
            return (text, fs.count == 1 && den.isEmpty && num.count == 1 ? 3 : 2)
        }
    }

    func wrap(_ e: Expr, _ minimum: Int) -> String {
        let (t, level) = render(e)
        return level > minimum ? t : "\\left(\(t)\\right)"
    }

    func power(_ b: Expr, _ x: Expr, alone: Bool) -> String {
        if x.isOne { return wrap(b, 2) }
        if x == .half { return "\\sqrt{\(print(b))}" }
        if let r = x.rationalValue, r.denominator == 2 {
            return "\\left(\(print(b))\\right)^{\\frac{\(r.numerator)}{2}}"
        }
        return "\(wrap(b, 3))^{\(print(x))}"
    }
}
