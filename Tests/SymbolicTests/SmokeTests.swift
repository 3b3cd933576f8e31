import XCTest
@testable import Symbolic

final class SmokeTests: XCTestCase {
    func testSmoke() throws {
        let e = try Expr.parse("(px^2 + py^2)/2 - k/sqrt(x^2 + y^2)")
        print(e)
        let pb = PoissonBracket([CanonicalPair("x", "px"), CanonicalPair("y", "py")])
        let L = try Expr.parse("x*py - y*px")
        let b = pb(L, e)
        print(b, Simplifier.isZero(b))
        print(Simplifier.simplify(try Expr.parse("(x^2 - 1)/(x - 1)")))
        print(try Expr.parse("2*x + y - 3/2*z^(3/2) + x^(-1/2) + sin(-x)*exp(x)*exp(y)"))
        print(LaTeXPrinter().print(try Expr.parse("2*q1 + p1^2/2 - k/sqrt(q1^2+q2^2)")))
    }
}
