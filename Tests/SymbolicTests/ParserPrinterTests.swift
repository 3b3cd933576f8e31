import ComplexModule
import XCTest
@testable import Symbolic

/// Random canonical expressions from a seeded generator (the round-trip property's input).
struct RandomExpressions {
    var rng: SeededGenerator
    let symbols = ["x", "y", "z", "q1", "p1", "q10", "k"]

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    mutating func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

    mutating func expr(depth: Int) -> Expr {
        if depth == 0 || pick(4) == 0 {
            switch pick(6) {
            case 0: return .integer(pick(9) - 4)
            case 1: return .rational(Rational(pick(7) - 3, pick(4) + 1))
            case 2: return .float([0.25, 1.5, -2.0, 1e-3, 3.0e8, 0.1][pick(6)])
            case 3: return .i
            default: return .symbol(symbols[pick(symbols.count)])
            }
        }
        switch pick(5) {
        case 0: return .sum((0..<(2 + pick(3))).map { _ in expr(depth: depth - 1) })
        case 1: return .product((0..<(2 + pick(2))).map { _ in expr(depth: depth - 1) })
        case 2:
            let exponents: [Expr] = [2, 3, -1, -2, .half, .rational(Rational(-3, 2)), .symbol("k")]
            let e = Expr.power(expr(depth: depth - 1), exponents[pick(exponents.count)])
            return e.isUndefined ? .symbol("x") : e
        case 3:
            let f = MathFunction.allCases[pick(MathFunction.allCases.count)]
            let e = Expr.apply(f, expr(depth: depth - 1))
            return e.isUndefined ? .symbol("y") : e
        default:
            return expr(depth: depth - 1) - expr(depth: depth - 1)
        }
    }
}

final class ParserPrinterTests: XCTestCase {
    func testPrecedenceAndAssociativity() throws {
        XCTAssertEqual(try Expr.parse("-x^2"), -(Expr.power("x", 2)))
        XCTAssertEqual(try Expr.parse("2^3^2"), 512)
        XCTAssertEqual(try Expr.parse("a - b - c"), Expr.symbol("a") - "b" - "c")
        XCTAssertEqual(try Expr.parse("a/b/c"), Expr.symbol("a") / (Expr.symbol("b") * "c"))
        XCTAssertEqual(try Expr.parse("x^-2"), Expr.power("x", -2))
        XCTAssertEqual(try Expr.parse("x**2"), Expr.power("x", 2))
        XCTAssertEqual(try Expr.parse("1.5e3"), .float(1500))
        XCTAssertEqual(try Expr.parse("3/6"), .rational(Rational(1, 2)))
    }

    func testErrorsArePositioned() {
        func diagnostic(_ s: String) -> Diagnostic? {
            do { _ = try Expr.parse(s); return nil } catch { return error as? Diagnostic }
        }
        let cases: [(String, Int, String)] = [
            ("sin(x,", 7, "expected an expression"),
            ("x^^2", 3, "expected an expression, found '^'"),
            ("sine(x)", 1, "did you mean 'sin'?"),
            ("sqrt(x, y)", 1, "sqrt takes 1 argument, got 2"),
            ("x/(y - y)", 2, "division by zero"),
            ("0^-1 + x", 2, "division by zero"),
            ("(x + 1", 7, "expected ')'"),
            ("2x", 2, "write '*'"),
            ("x $ y", 3, "unexpected character '$'"),
        ]
        for (source, column, fragment) in cases {
            guard let d = diagnostic(source) else { XCTFail("\(source) parsed"); continue }
            XCTAssertEqual(d.location?.column, column, source)
            XCTAssertTrue(d.message.contains(fragment), "\(source): \(d.message)")
            XCTAssertTrue(d.description.contains("^"), "caret missing for \(source)")
        }
    }

    func testTextRoundTripsOverRandomExpressions() throws {
        var gen = RandomExpressions(seed: 42)
        for k in 0..<600 {
            let e = gen.expr(depth: 4)
            let text = TextPrinter().print(e)
            let back: Expr
            do { back = try Expr.parse(text) } catch { XCTFail("#\(k): '\(text)' does not parse: \(error)"); continue }
            if e.containsFloat {
                // Float arithmetic is not associative: re-association on parsing may move the
                // last bits, so expressions with floats must agree in value, not structure.
                let point: [String: Complex<Double>] = ["x": .init(0.7), "y": .init(1.3), "z": .init(-0.4), "q1": .init(0.9),
                                                        "p1": .init(1.1), "q10": .init(-0.6), "k": .init(1.2)]
                guard let a = try? e.evaluateComplex(point), let b = try? back.evaluateComplex(point), a.isFinite else { continue }
                XCTAssertLessThan((a - b).length, 1e-9 * max(1, a.length), "#\(k): '\(text)' reparses as '\(back)'")
            } else {
                XCTAssertEqual(back, e, "#\(k): '\(text)' reparses as '\(back)'")
            }
        }
    }

    func testDisplayAndLaTeX() throws {
        let h = try Expr.parse("(px^2 + py^2)/2 - k/sqrt(x^2 + y^2)")
        XCTAssertEqual(h.description, "px^2/2 + py^2/2 - k/sqrt(x^2 + y^2)")
        XCTAssertEqual(TextPrinter(floatDigits: 6).print(try Expr.parse("3.14159265*x")), "3.14159*x")
        XCTAssertEqual(TextPrinter(floatDigits: 6).print(.float(2)), "2.0")
        XCTAssertEqual(LaTeXPrinter().print(try Expr.parse("p1^2/2 - k/sqrt(q1^2 + q2^2)")),
                       "\\frac{p_{1}^{2}}{2} - \\frac{k}{\\sqrt{q_{1}^{2} + q_{2}^{2}}}")
        XCTAssertEqual(LaTeXPrinter().print(try Expr.parse("omega*sin(theta)")), "\\omega \\sin\\left(\\theta\\right)")
    }
}
