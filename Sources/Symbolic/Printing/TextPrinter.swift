/// Prints an expression as text that parses back to the same canonical `Expr`.
///
/// Terms print in canonical order with the constant last; factors with negative exponents
/// go under a `/`; `x^(1/2)` prints as `sqrt(x)`. With `floatDigits` set, floats print with
/// that many significant digits (for display; then the text need not round-trip exactly).
public struct TextPrinter {
    public var floatDigits: Int?

    public init(floatDigits: Int? = nil) { self.floatDigits = floatDigits }

    enum Level: Int { case sum = 1, product = 2, power = 3, atom = 4 }

    public func print(_ e: Expr) -> String { render(e).text }

    func render(_ e: Expr) -> (text: String, level: Level) {
        switch e.kind {
        case .number(let n):
            let t = number(n)
            return (t, n.isNegative ? .sum : (t.contains("/") ? .product : .atom))
        case .symbol(let s): return (s, .atom)
        case .imaginaryUnit: return ("I", .atom)
        case .pi: return ("pi", .atom)
        case .undefined: return ("undefined", .atom)
        case .function(let f, let a): return ("\(f.rawValue)(\(print(a)))", .atom)
        case .sum(let ts):
            var out = ""
            for (k, t) in TextPrinter.displayOrder(ts).enumerated() {
                if k == 0 { out = render(t).text; continue }
                if t.hasLeadingMinus { out += " - " + wrap(-t, above: .sum) } else { out += " + " + wrap(t, above: .sum) }
            }
            return (out, .sum)
        case .product, .power:
            return term(e)
        }
    }

    /// Terms with a leading plus first, then those with a leading minus (kinetic − potential),
    /// each group in canonical order. Display only: parsing re-sorts canonically.
    static func displayOrder(_ terms: [Expr]) -> [Expr] {
        terms.filter { !$0.hasLeadingMinus } + terms.filter(\.hasLeadingMinus)
    }

    /// Text at a level that needs no parentheses where a `minimum` level is required.
    func wrap(_ e: Expr, above minimum: Level) -> String {
        let r = render(e)
        return r.level.rawValue > minimum.rawValue ? r.text : "(\(r.text))"
    }

    func number(_ n: Number) -> String {
        switch n {
        case .exact(let r): return r.description
        case .float(let d):
            if let digits = floatDigits { return TextPrinter.format(d, significantDigits: digits) }
            return "\(d)"
        }
    }

    /// `%g`-style: up to `significantDigits` significant digits, trailing zeros removed,
    /// but always with a '.' or exponent so a float never reads as an exact integer.
    public static func format(_ d: Double, significantDigits: Int) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        var s = String(format: "%.\(significantDigits)g", d)
        if !s.contains(".") && !s.contains("e") && !s.contains("n") { s += ".0" }
        return s
    }

    /// A product or power: sign, numerator factors, then `/` and denominator factors.
    func term(_ e: Expr) -> (text: String, level: Level) {
        var coefficient = Number.one
        var factors: [Expr] = [e]
        if case .product(let c, let fs) = e.kind { coefficient = c; factors = fs }
        var numerator: [String] = [], denominator: [String] = []
        var negative = coefficient.isNegative
        var magnitude = coefficient.magnitude
        if case .float = coefficient, magnitude != .one || factors.isEmpty {
            numerator.append(number(magnitude)); magnitude = .one
        }
        if case .exact(let r) = magnitude {
            if r.numerator != 1 { numerator.append(r.numerator.description) }
            if r.denominator != 1 { denominator.append(r.denominator.description) }
        }
        for f in factors {
            if case .power(let b, let x) = f.kind, let n = x.numberValue, n.isNegative {
                denominator.append(powerText(b, .number(-n)))
            } else if case .power(let b, let x) = f.kind {
                numerator.append(powerText(b, x))
            } else {
                numerator.append(wrap(f, above: .product))
            }
        }
        if factors.count == 1, case .power = factors[0].kind, denominator.isEmpty, numerator.count == 1, !negative {
            return (numerator[0], .power)
        }
        var text = numerator.isEmpty ? "1" : numerator.joined(separator: "*")
        if !denominator.isEmpty {
            text += "/" + (denominator.count == 1 ? denominator[0] : "(" + denominator.joined(separator: "*") + ")")
        }
        if negative { text = "-" + text; negative = false }
        return (text, coefficient.isNegative ? .sum : .product)
    }

    func powerText(_ b: Expr, _ x: Expr) -> String {
        if x.isOne { return wrap(b, above: .product) }
        if x == .half { return "sqrt(\(print(b)))" }
        let base = wrap(b, above: .power)
        let exponent: String
        let r = render(x)
        if case .number(let n) = x.kind, !n.isNegative, !r.text.contains("/") { exponent = r.text }
        else if r.level == .atom { exponent = r.text }
        else { exponent = "(\(r.text))" }
        return base + "^" + exponent
    }
}
