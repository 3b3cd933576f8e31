import XCTest
@testable import Symbolic

/// The exact zero test over differences (`PartialFractionZeroTest`) against closed forms and
/// against the rational normal form, both ways (zero and non-zero).
final class PartialFractionZeroTestTests: XCTestCase {
    func e(_ s: String) throws -> Expr { try Expr.parse(s) }

    /// Lagrange interpolation: Σ_i a_i^k / Π_{j≠i} (a_i − a_j) is 0 for k < n − 1, 1 for
    /// k = n − 1, and the complete homogeneous polynomial h_{k−n+1}(a) above.
    func testLagrangeInterpolationSums() throws {
        for n in 2...6 {
            let a = (1...n).map { "a\($0)" }
            for k in 0...(n + 1) {
                let terms = (0..<n).map { i in
                    "\(a[i])^\(k)/(" + (0..<n).filter { $0 != i }.map { "(\(a[i]) - \(a[$0]))" }.joined(separator: "*") + ")"
                }
                let sum = terms.joined(separator: " + ")
                let expected: String
                switch k - (n - 1) {
                case ..<0: expected = "0"
                case 0: expected = "1"
                case 1: expected = a.joined(separator: " + ")
                default:  // h_2 = Σ_{i≤j} a_i a_j
                    var parts: [String] = []
                    for i in 0..<n { for j in i..<n { parts.append("\(a[i])*\(a[j])") } }
                    expected = parts.joined(separator: " + ")
                }
                XCTAssertEqual(PartialFractionZeroTest.decide(try e("\(sum) - (\(expected))")), .zero, "n = \(n), k = \(k)")
                XCTAssertEqual(PartialFractionZeroTest.decide(try e("\(sum) - (\(expected)) - 1/(\(a[0])*\(a[n - 1])^2)")), .nonzero, "n = \(n), k = \(k)")
            }
        }
    }

    func testIdentitiesAndNearMisses() throws {
        let zero = [
            "1/((a - b)*(b - c)) + 1/((b - c)*(c - a)) + 1/((c - a)*(a - b))",
            "(a^4 - b^4)/(a - b) - (a^3 + a^2*b + a*b^2 + b^3)",
            // 1/(x²(x − y)) in partial fractions over x.
            "1/(x^2*(x - y)) + 1/(y^2*x) + 1/(y*x^2) - 1/(y^2*(x - y))",
            "x^7/(x - y)^3 - (x^7 - y^7)/(x - y)^3 - y^7/(x - y)^3",
            "1.5/((a - b)*c) - 3/(2*(a - b)*c)",
        ]
        for s in zero { XCTAssertEqual(PartialFractionZeroTest.decide(try e(s)), .zero, s) }
        let nonzero = [
            "1/((a - b)*(b - c)) + 1/((b - c)*(c - a)) + 1/((c - a)*(b - a))",
            "x^7/(x - y)^3 - (x^7 - y^7)/(x - y)^3",
            "1/(a - b) + 1/(b - a) + 10^(-60)/(a - c)",
            "1/(x^2*(x - y)) + 1/(y^2*x) + 1/(y*x^2) - 1/(y^2*(x - y)) + 1/(y*x^3)",
        ]
        for s in nonzero { XCTAssertEqual(PartialFractionZeroTest.decide(try e(s)), .nonzero, s) }
        for s in ["1/(1 + x^2)", "1/(x - 2*y)", "1/(x - 1)", "sqrt(x)/(x - y)", "I/(x - y)", "x^(1/2)"] {
            XCTAssertEqual(PartialFractionZeroTest.decide(try e(s)), .notApplicable, s)
        }
    }

    /// Seeded random sums of monomials over products of differences, against their rational
    /// normal form: e − normalForm(e) is zero, and e − normalForm(e) + (a small term) is not.
    func testRandomSumsAgainstTheRationalNormalForm() throws {
        var rng = SeededGenerator(seed: 2026_1206)
        let names = ["q1", "q2", "q3", "q4", "p"]
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        for round in 0..<40 {
            var terms: [String] = []
            for _ in 0..<(2 + pick(4)) {
                var factors = ["\(pick(7) - 3)/\(1 + pick(3))"]
                for _ in 0..<pick(3) { factors.append("\(names[pick(5)])^\(1 + pick(3))") }
                for _ in 0..<(1 + pick(3)) {
                    let i = pick(4), j = (i + 1 + pick(3)) % 4
                    factors.append("(q\(i + 1) - q\(j + 1))^(-\(1 + pick(3)))")
                }
                if pick(3) == 0 { factors.append("q\(1 + pick(4))^(-\(1 + pick(2)))") }
                terms.append(factors.joined(separator: "*"))
            }
            let x = try e(terms.joined(separator: " + "))
            let normal = Simplifier.simplify(x, preferSmaller: false)
            XCTAssertEqual(PartialFractionZeroTest.decide(x - normal), .zero, "round \(round): \(x)")
            let perturbed = x - normal + (try e("1/((q1 - q3)^2*q4)"))
            XCTAssertEqual(PartialFractionZeroTest.decide(perturbed), .nonzero, "round \(round): \(x)")
            // The expansion over differences is the same function.
            guard let expanded = x.expandedOverDifferences() else { XCTFail("round \(round)"); continue }
            XCTAssertTrue(Simplifier.isProvenZero(expanded - normal), "round \(round): \(x)")
            // Its derivatives, taken term by term, are the derivatives.
            let form = DifferenceFractionForm(budget: 1 << 30, allowsImaginaryUnit: true)
            let converted = try form.convert(x)
            for name in ["q1", "q4", "p"] {
                let d = try form.expression(try form.derivative(converted, try form.variable(name)))
                XCTAssertTrue(Simplifier.isProvenZero(d - x.diff(name)), "round \(round): d/d\(name) \(x)")
            }
        }
    }

    /// Brackets decided in factored form agree with the bracket expression's exact normal form.
    func testBracketsInFactoredForm() throws {
        let pb = PoissonBracket([CanonicalPair("q1", "p1"), CanonicalPair("q2", "p2"), CanonicalPair("q3", "p3")])
        let h = try e("(p1^2 + p2^2 + p3^2)/2 + g^2/(q1 - q2)^2 + g^2/(q1 - q3)^2 + g^2/(q2 - q3)^2")
        let fs = try ["p1 + p2 + p3", "p1^3 + p2^3 + p3^3 + 3*g^2*(p1 + p2)/(q1 - q2)^2 + 3*g^2*(p1 + p3)/(q1 - q3)^2 + 3*g^2*(p2 + p3)/(q2 - q3)^2",
                      "p1*q1 + p2*q2 + p3*q3", "q1*p2 - q2*p1", "p1^3/(q2 - q3)", "(p1 - p2)/q3^2"].map(e)
        let decisions = Simplifier.areBracketsZero(fs, h, pb)
        XCTAssertEqual(decisions, [.zero, .zero, .nonzero(witness: nil), .nonzero(witness: nil), .nonzero(witness: nil), .nonzero(witness: nil)])
        for (f, d) in zip(fs, decisions) {
            XCTAssertEqual(Simplifier.isProvenZero(pb(f, h)), d == .zero, "\(f)")
            XCTAssertEqual(Simplifier.bracketIsZeroByPartialFractions(f, h, pb), d == .zero, "\(f)")
        }
        // Kernels take the bracket expression's route.
        XCTAssertNil(Simplifier.bracketIsZeroByPartialFractions(try e("sqrt(q1)"), h, pb))
        XCTAssertEqual(Simplifier.areBracketsZero([try e("exp(p1 + p2 + p3)")], h, pb), [.zero])
    }

    /// The zero test uses it when the normal form gives up, with the exact verdict, and a zero
    /// budget leaves it out.
    func testTheZeroTestUsesIt() throws {
        let s = try e("1/((a - b)*(b - c)) + 1/((b - c)*(c - a)) + 1/((c - a)*(a - b))")
        let saved = Simplifier.exactWorkBudget
        Simplifier.exactWorkBudget = 0
        defer { Simplifier.exactWorkBudget = saved }
        XCTAssertEqual(Simplifier.isZero(s), .zero)
        XCTAssertEqual(Simplifier.isZero(s + (try e("1/(a*(b - c))"))), .nonzero(witness: nil))
        let saved2 = PartialFractionZeroTest.workBudget
        PartialFractionZeroTest.workBudget = 0
        defer { PartialFractionZeroTest.workBudget = saved2 }
        guard case .modularZero = Simplifier.isZero(s) else { return XCTFail("without partial fractions: modular") }
        XCTAssertEqual(PartialFractionZeroTest.decide(s, budget: 0), .notApplicable)
        XCTAssertEqual(PartialFractionZeroTest.decide(s, budget: 3), .notApplicable)
    }

    /// A pole's order can only grow to the packed field's limit: beyond it the test declines
    /// (an exponent of 2^16 would have wrapped to another factor).
    func testExponentLimits() throws {
        let s = DifferenceFractionSum(denominator: [.init(hi: 2, lo: 0, exponent: 65535), .init(hi: 2, lo: 1, exponent: 2)], numerator: .one)
        XCTAssertThrowsError(try PartialFractionZeroTest.isZero(s, DifferenceFractionForm(budget: 1 << 40)))
        let small = DifferenceFractionSum(denominator: [.init(hi: 2, lo: 0, exponent: 300), .init(hi: 2, lo: 1, exponent: 2)], numerator: .one)
        XCTAssertFalse(try PartialFractionZeroTest.isZero(small, DifferenceFractionForm(budget: 1 << 40)))
        XCTAssertEqual(PartialFractionZeroTest.decide(try e("(c - a)^(-300)*((c - a)^(-200)*(c - b)^(-2) + z) - z*(c - a)^(-300) - (c - a)^(-500)*(c - b)^(-2)")), .zero)
        // I in a denominator is not folded: the expansion declines.
        XCTAssertNil(try e("1/((I*x + y)*(I*x - y) + y^2)").expandedOverDifferences())
        XCTAssertNil(try e("1/(x - I)").expandedOverDifferences())
        XCTAssertNotNil(try e("1/(x - y)").expandedOverDifferences())
    }

    /// 1/(c·M/d) moves d's differences up, expanded: (q1 − q2)²/(3 q3) for c M/d = 3 q3/(q1 − q2)².
    func testReciprocalOfAFraction() throws {
        let form = DifferenceFractionForm(budget: 1 << 30)
        let (q1, q2, q3) = (try form.variable("q1"), try form.variable("q2"), try form.variable("q3"))
        let s = DifferenceFractionSum(denominator: [.init(hi: q2, lo: q1, exponent: 2)],
                                      numerator: Polynomial(variable: q3).scaled(by: 3))
        let inverse = try form.expression(try form.reciprocal(s))
        XCTAssertTrue(Simplifier.isProvenZero(inverse - (try e("(q1 - q2)^2/(3*q3)"))), "\(inverse)")
        XCTAssertThrowsError(try DifferenceFractionForm(budget: 3).reciprocal(
            DifferenceFractionSum(denominator: [.init(hi: 1, lo: 0, exponent: 40)], numerator: .one)))
    }

    /// I is folded (I² = −1) by the expansion: a Hermitian Lax matrix's trace comes out real.
    func testExpansionFoldsTheImaginaryUnit() throws {
        let trace = try e("p1^2 + p2^2 + 2*(I*g/(q1 - q2))*(I*g/(q2 - q1))")
        XCTAssertEqual(trace.expandedOverDifferences(), try e("p1^2 + p2^2 + 2*g^2/(q1 - q2)^2"))
        let complex = try e("(p1 + I*g/(q1 - q2))*(p2 + I*g/(q2 - q1))")
        let expanded = try XCTUnwrap(complex.expandedOverDifferences())
        XCTAssertTrue(expanded.contains(.i))
        XCTAssertTrue(Simplifier.isProvenZero(expanded - complex))
        XCTAssertEqual(try e("(I*g)^4 + (I*g)^3").expandedOverDifferences(), try e("g^4 - I*g^3"))
    }

    /// x · x^−1 is not cancelled by the form (a pole at 0 and its variable in the numerator):
    /// the expression is then the constructors' canonical one, not a product of both factors.
    /// And a prepared form that a conversion fails to adopt leaves I's variable alone.
    func testSharedBasesAndFailedAdoption() throws {
        XCTAssertEqual(try e("x*(x + 1/x)").expandedOverDifferences(), try e("x^2 + 1"))
        XCTAssertEqual(try e("(x + 1/x)^2").expandedOverDifferences(), try e("x^2 + 2 + x^(-2)"))
        XCTAssertEqual(try e("x^3/(x*(x - y)) + 1/(x - y)").expandedOverDifferences().map { Simplifier.isProvenZero($0 - (try! e("(x^2 + 1)/(x - y)"))) }, true)
        let prepared = try XCTUnwrap(Expr.expandedOverDifferences([try e("(p1 + I*g/(q1 - q2))*(p1 - I*g/(q1 - q2))")])[0])
        XCTAssertNotNil(PreparedForms.shared.lookup(prepared))
        let results = Expr.expandedOverDifferences([try e("p1 + 1/x"), prepared, try e("x^2 + 1/x")])
        XCTAssertEqual(results[2], try e("x^2 + 1/x"))
        XCTAssertEqual(results[0], try e("p1 + 1/x"))
        // An expansion that comes out a shared number node keeps no prepared form under it.
        XCTAssertEqual(try e("(x + 1)/x - 1/x").expandedOverDifferences(), .one)
        XCTAssertNil(PreparedForms.shared.lookup(.one))
    }

    /// An expansion remembers its factored form: the zero test on its brackets starts from it
    /// (and gives the verdict the expression's own conversion gives), a structurally equal but
    /// distinct expression is converted as usual, and a form whose numbering differs is not used.
    func testPreparedFormsAreTheExpansionsOwn() throws {
        let pb = PoissonBracket([CanonicalPair("q1", "p1"), CanonicalPair("q2", "p2"), CanonicalPair("q3", "p3")])
        let h = try e("(p1^2 + p2^2 + p3^2)/2 + g^2/(q1 - q2)^2 + g^2/(q1 - q3)^2 + g^2/(q2 - q3)^2")
        let l = try [["p1", "I*g/(q1 - q2)", "I*g/(q1 - q3)"], ["I*g/(q2 - q1)", "p2", "I*g/(q2 - q3)"], ["I*g/(q3 - q1)", "I*g/(q3 - q2)", "p3"]].map { try $0.map(e) }
        func trace(_ k: Int) -> Expr {
            var m = l
            for _ in 1..<k { m = (0..<3).map { i in (0..<3).map { j in Expr.sum((0..<3).map { m[i][$0] * l[$0][j] }) } } }
            return .sum((0..<3).map { m[$0][$0] })
        }
        let raw = [trace(2), trace(3), trace(3) + (try e("q1"))]
        let traces = Expr.expandedOverDifferences(raw).map { $0! }
        for t in traces { XCTAssertNotNil(PreparedForms.shared.lookup(t)) }
        XCTAssertEqual(Simplifier.areBracketsZero(traces, h, pb), [.zero, .zero, .nonzero(witness: nil)])
        // The same expressions rebuilt are other nodes: converted from the expression, same verdicts.
        let rebuilt = try traces.map { try e(TextPrinter().print($0)) }
        for (a, b) in zip(rebuilt, traces) { XCTAssertEqual(a, b); XCTAssertNil(PreparedForms.shared.lookup(a)) }
        XCTAssertEqual(Simplifier.areBracketsZero(rebuilt, h, pb), [.zero, .zero, .nonzero(witness: nil)])
        // The stored form is the expression's value.
        let form = DifferenceFractionForm(budget: 1 << 30)
        let prepared = try XCTUnwrap(PreparedForms.shared.lookup(traces[1]))
        XCTAssertTrue(form.adopt(prepared.names))
        XCTAssertTrue(Simplifier.isProvenZero(try form.expression(prepared.sum) - rebuilt[1]))
        // A form that numbers the variables otherwise does not take it.
        let other = DifferenceFractionForm(budget: 1 << 30)
        _ = try other.variable("zz")
        XCTAssertFalse(other.adopt(prepared.names))
        // The terms come out in the canonical order already (the sort after it then costs one pass).
        let sum = try XCTUnwrap(Expr.expandedOverDifferences([trace(3) * trace(2)])[0])
        guard case .sum(let terms) = sum.kind else { return XCTFail("a sum") }
        XCTAssertGreaterThan(terms.count, 16)
        var generator = SeededGenerator(seed: 5)
        XCTAssertEqual(DifferenceFractionForm.presorted(terms.shuffled(using: &generator)), terms)
        // So do they from packed keys (what `expression` uses).
        let shuffled = terms.shuffled(using: &generator)
        var factors: [Expr] = [], index: [Expr: Int] = [:]
        let ids = shuffled.map { t in
            t.splitCoefficient().1.map { f in
                if let i = index[f] { return i }
                factors.append(f)
                index[f] = factors.count - 1
                return factors.count - 1
            }
        }
        XCTAssertEqual(DifferenceFractionForm.termOrdered(shuffled, ids, factors), terms)
    }
}
