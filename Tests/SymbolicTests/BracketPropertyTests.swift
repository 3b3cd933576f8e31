import XCTest
@testable import Symbolic

/// Properties on seeded random expressions (P13): the bracket's algebra decides to an exact
/// `true`, printing and parsing give back the same expression, and compiled evaluation agrees
/// with the interpreter. Random rational functions with a sine or an exponential now and then,
/// in two degrees of freedom.
final class BracketPropertyTests: XCTestCase {
    let names = ["q1", "q2", "p1", "p2"]
    let pb = PoissonBracket([CanonicalPair("q1", "p1"), CanonicalPair("q2", "p2")])

    func randomExpr(_ rng: inout SeededGenerator, depth: Int) -> Expr {
        let pick = rng.next() % 10
        if depth == 0 || (depth < 3 && pick < 3) {
            if rng.next() % 3 == 0 { return .rational(Rational(Int(rng.next() % 7) - 3, Int(rng.next() % 3) + 1)) }
            return .symbol(names[Int(rng.next() % 4)])
        }
        let a = randomExpr(&rng, depth: depth - 1), b = randomExpr(&rng, depth: depth - 1)
        switch pick {
        case 3, 4: return a + b
        case 5, 6: return a * b
        case 7: return a ** Int(rng.next() % 3 + 1)
        case 8: return a / (b * b + 1)
        default:
            // Kernels of polynomial arguments, and exp of any random expression: exp(p2/2 + q2/2)
            // beside exp(p1/2 + p2/2 + p1/(2*(p1^2 + 1))) once made exp(p2) and exp(p2/2) two
            // unrelated kernels, and Jacobi and Leibniz identities were decided only numerically
            // (seed 13); the exact form now takes exp(t/D) with one D per t.
            let u = randomPolynomial(&rng, depth: 2)
            switch rng.next() % 3 {
            case 0: return .apply(.sin, u)
            case 1: return .apply(.exp, u / 2)
            default: return .apply(.exp, a / 2 + u / 3)
            }
        }
    }

    func randomPolynomial(_ rng: inout SeededGenerator, depth: Int) -> Expr {
        if depth == 0 || rng.next() % 3 == 0 {
            return rng.next() % 3 == 0 ? .rational(Rational(Int(rng.next() % 5) - 2)) : .symbol(names[Int(rng.next() % 4)])
        }
        let a = randomPolynomial(&rng, depth: depth - 1), b = randomPolynomial(&rng, depth: depth - 1)
        return rng.next() % 2 == 0 ? a + b : a * b
    }

    func testBracketAlgebraIsProvenExactly() {
        var rng = SeededGenerator(seed: 13)
        var decided = 0, sizes = 0
        for _ in 0..<25 {
            let f = randomExpr(&rng, depth: 4), g = randomExpr(&rng, depth: 4), h = randomExpr(&rng, depth: 3)
            let identities: [(String, Expr)] = [
                ("antisymmetry", pb(f, g) + pb(g, f)),
                ("Jacobi", pb(f, pb(g, h)) + pb(g, pb(h, f)) + pb(h, pb(f, g))),
                ("Leibniz", pb(f, g * h) - pb(f, g) * h - g * pb(f, h)),
            ]
            for (name, e) in identities {
                sizes += e.size
                let d = Simplifier.isZero(e)
                XCTAssertEqual(d, .zero, "\(name) for f = \(f), g = \(g), h = \(h): \(d.verdict)")
                decided += 1
            }
        }
        XCTAssertEqual(decided, 75)
        XCTAssertGreaterThan(sizes, 75 * 100, "the identities are not trivially small")
    }

    func testPrintingAndParsingGiveTheSameExpression() throws {
        var rng = SeededGenerator(seed: 14)
        for _ in 0..<200 {
            let e = randomExpr(&rng, depth: 4)
            let text = TextPrinter().print(e)
            XCTAssertEqual(try Expr.parse(text), e, text)
        }
    }

    func testCompiledEvaluationAgreesWithTheInterpreter() throws {
        var rng = SeededGenerator(seed: 15)
        for _ in 0..<100 {
            let e = randomExpr(&rng, depth: 4)
            let compiled = try CompiledFunction([e], inputs: names)
            for _ in 0..<3 {
                let point = names.map { _ in rng.uniform(-1.5, 1.5) }
                let interpreted = try? e.evaluate(Dictionary(uniqueKeysWithValues: zip(names, point)))
                let value = compiled(point)[0]
                guard let interpreted, interpreted.isFinite, value.isFinite else { continue }
                XCTAssertEqual(value, interpreted, accuracy: 1e-12 * max(1, abs(interpreted)), "\(e) at \(point)")
            }
        }
    }
}
