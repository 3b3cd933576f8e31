import XCTest
@testable import Symbolic

final class PoissonBracketTests: XCTestCase {
    let pb = PoissonBracket([CanonicalPair("q1", "p1"), CanonicalPair("q2", "p2")])

    func testCanonicalRelations() {
        let names = ["q1", "p1", "q2", "p2"]
        for a in names { for b in names {
            let expected: Expr = (a == "q1" && b == "p1") || (a == "q2" && b == "p2") ? 1
                : (a == "p1" && b == "q1") || (a == "p2" && b == "q2") ? -1 : 0
            XCTAssertEqual(pb(.symbol(a), .symbol(b)), expected, "{\(a), \(b)}")
        } }
    }

    func testAntisymmetryLeibnizAndJacobiOnRandomFunctions() throws {
        var gen = RandomExpressions(seed: 11)
        let vars: [Expr] = ["q1", "p1", "q2", "p2"]
        func random() -> Expr {
            // Polynomials and one radical in the phase-space variables.
            var terms: [Expr] = []
            for _ in 0..<3 {
                let c = Expr.integer(gen.pick(5) - 2)
                terms.append(c * vars[gen.pick(4)] ** (1 + gen.pick(2)) * vars[gen.pick(4)])
            }
            if gen.pick(2) == 0 { terms.append(1 / Expr.sqrt(vars[0] ** 2 + vars[2] ** 2)) }
            return .sum(terms)
        }
        for _ in 0..<8 {
            let (f, g, h) = (random(), random(), random())
            XCTAssertEqual(Simplifier.isZero(pb(f, g) + pb(g, f)), .zero)
            XCTAssertEqual(Simplifier.isZero(pb(f * g, h) - f * pb(g, h) - g * pb(f, h)), .zero)
            XCTAssertEqual(Simplifier.isZero(pb(f, pb(g, h)) + pb(g, pb(h, f)) + pb(h, pb(f, g))), .zero)
        }
    }

    func testVectorFieldOfTheOscillator() throws {
        let h = try Expr.parse("(p1^2 + q1^2)/2 + (p2^2 + 4*q2^2)/2")
        XCTAssertEqual(pb.vectorField(h), [try Expr.parse("p1"), try Expr.parse("-q1"), try Expr.parse("p2"), try Expr.parse("-4*q2")])
    }
}
