import XCTest
@testable import Symbolic

final class SimplifierTests: XCTestCase {
    func zero(_ s: String) throws -> ZeroDecision { Simplifier.isZero(try Expr.parse(s)) }

    func testSideRelationsDecideExactly() throws {
        let identities = [
            "sin(u)^2 + cos(u)^2 - 1",
            "cosh(u)^2 - sinh(u)^2 - 1",
            "exp(a)*exp(b) - exp(a + b)",
            "exp(2*x) - exp(x)^2",
            "tanh(x) - sinh(x)/cosh(x)",
            "tan(x)*cos(x) - sin(x)",
            "sqrt(x^2 + y^2)^3 - (x^2 + y^2)*sqrt(x^2 + y^2)",
            "1/sqrt(x^2 + y^2) - sqrt(x^2 + y^2)/(x^2 + y^2)",
            "(x^2 - 1)/(x - 1) - x - 1",
            "1/(a - b) + 1/(b - a)",
            "I^2 + 1",
            "(1 + I*x)*(1 - I*x) - 1 - x^2",
            "abs(x)^2 - x^2",
            "1/(1 + sqrt(x)) - (1 - sqrt(x))/(1 - x)",
        ]
        for s in identities { XCTAssertEqual(try zero(s), .zero, s) }
    }

    func testNonZeroIsRefuted() throws {
        for s in ["sin(u)^2 + cos(u)^2", "x - y", "sqrt(x^2) - x", "exp(a + b) - exp(a)", "q1*p2"] {
            XCTAssertFalse(try zero(s).isZero, s)
        }
    }

    func testDependentKernelsFallBackToANumericTestAndSaySo() throws {
        // sqrt(x^2) and abs(x) are different kernels; their equality is only found numerically.
        let d = try zero("sqrt(x^2) - abs(x)")
        XCTAssertEqual(d, .numericallyZero(points: Simplifier.numericPoints))
        XCTAssertEqual(d.verdict, "true (numeric, 8 points)")
        XCTAssertEqual(try zero("0.1 + 0.2 - 0.3"), .numericallyZero(points: 1))
        XCTAssertEqual(try zero("0.1*x + 0.2*x - 0.3*x"), .numericallyZero(points: Simplifier.numericPoints))
        XCTAssertFalse(try zero("0.5*x - x/3").isZero)
    }

    func testTheNumericTestIsHighPrecision() throws {
        // A tiny exact coefficient is still non-zero at 256 bits; a double test would miss it.
        XCTAssertFalse(try zero("x/10^30").isZero)
        XCTAssertFalse(try zero("sqrt(x^2) - abs(x) + x/10^25").isZero)
        // Identities outside the kernel relations are found numerically, and say so.
        XCTAssertEqual(try zero("sin(2*x) - 2*sin(x)*cos(x)"), .numericallyZero(points: 8))
        XCTAssertEqual(try zero("sqrt(2)*sqrt(3) - sqrt(6)"), .numericallyZero(points: 1))
        XCTAssertEqual(try zero("exp(I*pi) + 1"), .numericallyZero(points: 1))
        // A refutation comes with the point where the expression is visibly non-zero.
        if case .nonzero(let witness?) = try zero("sin(2*x) - sin(x)") { XCTAssertNotNil(witness["x"]) } else { XCTFail() }
    }

    func testSimplifyReturnsSmallerEquivalentForms() throws {
        XCTAssertEqual(Simplifier.simplify(try Expr.parse("(x^2 - 1)/(x - 1)")), try Expr.parse("x + 1"))
        XCTAssertEqual(Simplifier.simplify(try Expr.parse("sin(x)^2 + cos(x)^2")), 1)
        XCTAssertEqual(Simplifier.simplify(try Expr.parse("cos(x)^2")), try Expr.parse("cos(x)^2"))
        XCTAssertEqual(Simplifier.simplify(try Expr.parse("(x*y + x)/(y + 1)")), "x")
        XCTAssertEqual(Simplifier.simplify(try Expr.parse("1/(a - b) - 1/(b - a)")), try Expr.parse("2/(a - b)"))
    }
}
