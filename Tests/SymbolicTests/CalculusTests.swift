import ComplexModule
import XCTest
@testable import Symbolic

final class CalculusTests: XCTestCase {
    func testDerivativesOfEveryFunction() throws {
        let cases: [(String, String)] = [
            ("x^3", "3*x^2"), ("sqrt(x)", "1/(2*sqrt(x))"), ("exp(2*x)", "2*exp(2*x)"), ("log(x)", "1/x"),
            ("sin(x)", "cos(x)"), ("cos(x)", "-sin(x)"), ("tan(x)", "1 + tan(x)^2"), ("sinh(x)", "cosh(x)"),
            ("cosh(x)", "sinh(x)"), ("tanh(x)", "1 - tanh(x)^2"), ("abs(x)", "x/abs(x)"), ("atan(x)", "1/(1 + x^2)"), ("atan(y/x)", "-y/(x^2 + y^2)"), ("x^x", "x^x*(log(x) + 1)"),
            ("k/sqrt(x^2 + y^2)", "-k*x/(x^2 + y^2)^(3/2)"), ("sin(x^2)", "2*x*cos(x^2)"),
        ]
        for (f, d) in cases {
            let got = try Expr.parse(f).diff("x")
            XCTAssertTrue(Simplifier.areEqual(got, try Expr.parse(d)).isZero, "d/dx \(f) = \(got), expected \(d)")
        }
    }

    /// Derivatives of random expressions against central finite differences.
    func testDerivativesAgreeWithFiniteDifferences() throws {
        var gen = RandomExpressions(seed: 7)
        var checked = 0
        for _ in 0..<1500 {
            let e = gen.expr(depth: 3)
            guard !e.contains(.i), e.freeSymbols.contains("x"), !hasHugeNumber(e) else { continue }
            let point: [String: Double] = ["x": 0.7, "y": 1.3, "z": 0.4, "q1": 0.9, "p1": 1.1, "q10": 0.6, "k": 1.2]
            let h = 1e-6
            guard let fPlus = try? e.evaluate(point.merging(["x": 0.7 + h]) { $1 }),
                  let fMinus = try? e.evaluate(point.merging(["x": 0.7 - h]) { $1 }),
                  let exact = try? e.diff("x").evaluate(point) else { continue }
            let numeric = (fPlus - fMinus) / (2 * h)
            guard abs(exact) < 1e4 else { continue }
            // Rounding of f itself limits the difference quotient: ~1e-16 |f| / h.
            let cancellation = 1e-15 * max(abs(fPlus), abs(fMinus)) / h
            XCTAssertEqual(exact, numeric, accuracy: 1e-4 * max(1, abs(exact)) + cancellation, "\(e)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 100)
    }

    /// Literals like 3e8 make f(x ± h) lose every digit of the difference: not a fair test.
    func hasHugeNumber(_ e: Expr) -> Bool {
        if let n = e.numberValue { return abs(n.doubleValue) > 1e3 }
        if case .product(let c, _) = e.kind, abs(c.doubleValue) > 1e3 { return true }
        return e.children.contains(where: hasHugeNumber)
    }

    func testExpandSubstituteEvaluate() throws {
        XCTAssertEqual(try Expr.parse("(x + y)^2").expand(), try Expr.parse("x^2 + 2*x*y + y^2"))
        XCTAssertEqual(try Expr.parse("(x + 1)*(x - 1)").expand(), try Expr.parse("x^2 - 1"))
        XCTAssertEqual(try Expr.parse("x^2 + y").substitute("x", with: try Expr.parse("y + 1")), try Expr.parse("(y + 1)^2 + y"))
        XCTAssertTrue(try Expr.parse("1/x").substitute("x", with: .zero).isUndefined)
        XCTAssertEqual(try Expr.parse("x^2 + sqrt(y)").evaluate(["x": 3, "y": 4]), 11)
        XCTAssertThrowsError(try Expr.parse("x + z").evaluate(["x": 1]))
        XCTAssertThrowsError(try Expr.parse("sqrt(x)").evaluate(["x": -1]))
    }

    /// atan everywhere an elementary function goes: values, odd symmetry, the compiled and
    /// high-precision evaluators, complex arguments, LaTeX.
    func testArctangent() throws {
        let e = try Expr.parse("atan(x)")
        XCTAssertEqual(try e.evaluate(["x": 1]), Double.pi / 4, accuracy: 1e-15)
        XCTAssertEqual(Expr.apply(.atan, .zero), .zero)
        XCTAssertEqual(try Expr.parse("atan(-x)"), try Expr.parse("-atan(x)"))
        let f = try CompiledFunction([try Expr.parse("atan(x*y) + x")], inputs: ["x", "y"])
        XCTAssertEqual(f([0.5, 3])[0], atan(1.5) + 0.5, accuracy: 1e-15)
        XCTAssertEqual(try e.evaluateComplex(["x": Complex<Double>(0.5, 0)]).real, atan(0.5), accuracy: 1e-15)
        XCTAssertEqual(LaTeXPrinter().print(try Expr.parse("atan(q1)")), "\\arctan\\left(q_{1}\\right)")
        // The bracket of the polar angle with the angular momentum is 1, exactly.
        let bracket = PoissonBracket([CanonicalPair("q1", "p1"), CanonicalPair("q2", "p2")])
        XCTAssertEqual(Simplifier.areEqual(bracket(try Expr.parse("atan(q2/q1)"), try Expr.parse("q1*p2 - q2*p1")), .one), .zero)
    }
}
