import XCTest
@testable import Symbolic

/// The flat zero test (`FlatFractions`) and the flat expansion (`FlatExpansion`) against the
/// general factored form they stand in for, and against closed forms: each verdict and each
/// expansion must be the general route's, on zero and non-zero cases alike.
final class FlatFractionsTests: XCTestCase {
    func e(_ s: String) throws -> Expr { try Expr.parse(s) }

    /// x_ij = 1/(q_i − q_j) as a factor of the general form, for i ≠ j (variables 0..<n).
    func x(_ i: Int, _ j: Int, _ m: Int = 1) -> (DifferenceFractionSum.Factor, Int) {
        (.init(hi: max(i, j), lo: min(i, j), exponent: m), i < j && m % 2 == 1 ? -1 : 1)
    }

    /// A term c · Π x_ij^m as the general form's sum.
    func term(_ c: Int, _ factors: [(Int, Int, Int)]) throws -> DifferenceFractionSum {
        var d: DifferenceFractionSum.Denominator = []
        var sign = c
        for (i, j, m) in factors {
            let (f, s) = x(i, j, m)
            d = try DifferenceFractionSum.multiply(d, [f])
            sign *= s
        }
        return DifferenceFractionSum(denominator: d, numerator: Polynomial(constant: Rational(sign)))
    }

    /// The flat test's verdict on Σ c/D, through the same slots the bracket uses.
    func flatIsZero(_ s: DifferenceFractionSum, variables: Int) throws -> Bool {
        let slots = try FlatFractions.Slots(poles: Array(0..<variables), withZero: false, variableCount: variables)
        var table = FlatFractions.Table<Monomial>()
        for (d, n) in s.terms {
            var key = Monomial()
            for f in d { key[try slots.index(f.hi, f.lo)] = f.exponent }
            try table.add(key, try XCTUnwrap(n.constantValue?.intValue))
        }
        var budget = FlatFractions.Allowance(shared: .init(1 << 40))
        var binomials = FlatFractions.Binomials()
        return try FlatFractions.isZero(table, slots, &budget, &binomials)
    }

    /// Sums built from the three-term identity x_ab x_bc + x_bc x_ca + x_ca x_ab = 0, each copy
    /// times a random product of differences and a random integer, are zero; one more random
    /// term makes them non-zero. Both verdicts must be the general test's.
    func testArnoldRelationSums() throws {
        var rng = SeededGenerator(seed: 2026_1207)
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        let n = 5
        for round in 0..<60 {
            var sum = DifferenceFractionSum()
            for _ in 0..<(1 + pick(4)) {
                let abc = Array(Array(0..<n).shuffled(using: &rng).prefix(3))
                let (a, b, c) = (abc[0], abc[1], abc[2])
                var extra: [(Int, Int, Int)] = []
                for _ in 0..<pick(4) {
                    let i = pick(n), j = (i + 1 + pick(n - 1)) % n
                    extra.append((i, j, 1 + pick(3)))
                }
                let k = pick(9) - 4
                if k == 0 { continue }
                for pair in [[(a, b, 1), (b, c, 1)], [(b, c, 1), (c, a, 1)], [(c, a, 1), (a, b, 1)]] {
                    sum.add(try term(k, pair + extra))
                }
            }
            let form = DifferenceFractionForm(budget: 1 << 40)
            XCTAssertTrue(try PartialFractionZeroTest.isZero(sum, form), "round \(round)")
            XCTAssertTrue(try flatIsZero(sum, variables: n), "round \(round)")
            // One more term, which the identity cannot cancel.
            let i = pick(n), j = (i + 1 + pick(n - 1)) % n
            var perturbed = sum
            perturbed.add(try term(1 + pick(3), [(i, j, 1 + pick(3)), ((j + 1) % n == i ? (j + 2) % n : (j + 1) % n, i, 1)]))
            XCTAssertFalse(try PartialFractionZeroTest.isZero(perturbed, form), "round \(round)")
            XCTAssertFalse(try flatIsZero(perturbed, variables: n), "round \(round)")
        }
    }

    /// Random sums of c/D: the flat verdict is the general test's, zero or not (most are not;
    /// a sum minus a rearrangement of itself is zero).
    func testRandomSumsAgainstTheGeneralTest() throws {
        var rng = SeededGenerator(seed: 77)
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        let n = 4
        var verdicts = [0, 0]
        for round in 0..<80 {
            var sum = DifferenceFractionSum()
            for _ in 0..<(1 + pick(5)) {
                var factors: [(Int, Int, Int)] = []
                for _ in 0..<(1 + pick(3)) {
                    let i = pick(n), j = (i + 1 + pick(n - 1)) % n
                    factors.append((i, j, 1 + pick(3)))
                }
                sum.add(try term(pick(7) - 3, factors))
            }
            if sum.isZero { continue }
            let general = try PartialFractionZeroTest.isZero(sum, DifferenceFractionForm(budget: 1 << 40))
            XCTAssertEqual(try flatIsZero(sum, variables: n), general, "round \(round)")
            verdicts[general ? 1 : 0] += 1
        }
        XCTAssertGreaterThan(verdicts[0], 40)
    }

    /// Calogero–Moser brackets through `areBracketsZero`, which takes the flat route: the
    /// verdicts are the exact normal form's, with rational coefficients (scaled to integers)
    /// and with terms the test must find non-zero.
    func testCalogeroMoserBrackets() throws {
        for n in [3, 4] {
            let pairs = (1...n).map { CanonicalPair("q\($0)", "p\($0)") }
            let pb = PoissonBracket(pairs)
            var h = (1...n).map { "p\($0)^2/2" }.joined(separator: " + ")
            for i in 1...n { for j in 1...n where j > i { h += " + g^2/(q\(i) - q\(j))^2" } }
            let lax = try (1...n).map { i in try (1...n).map { j in try e(i == j ? "p\(i)" : "I*g/(q\(i) - q\(j))") } }
            var power = lax
            var traces: [Expr] = []
            for k in 1...n {
                if k > 1 { power = (0..<n).map { i in (0..<n).map { j in Expr.sum((0..<n).map { power[i][$0] * lax[$0][j] }) } } }
                traces.append(.sum((0..<n).map { power[$0][$0] }))
            }
            let expanded = Expr.expandedOverDifferences(traces).map { $0! }
            let hamiltonian = try e(h)
            var fs = expanded
            fs.append(expanded[n - 1] / 3 + (try e("5*p1^2/(7*(q1 - q2))")))   // not conserved
            fs.append(expanded[1] * expanded[n - 1] / 6)                          // conserved, rational
            fs.append(expanded[n - 1] + (try e("g^3/(q1 - q2)^4")))              // not conserved
            // Symmetric under every permutation of the particles but not conserved: only one
            // numerator per orbit is tested, and it must be found non-zero.
            let cubes = (1...n).map { "p\($0)^3" }.joined(separator: " + ")
            var quartic = ""
            for i in 1...n { for j in 1...n where j > i { quartic += " + g^4/(q\(i) - q\(j))^4" } }
            fs.append(try e(cubes))
            fs.append(expanded[n - 1] + (try e(String(quartic.dropFirst(3)))))
            // Asymmetric, with a bracket whose numerators (p_n^2 g^2) are all out of order: had
            // the swap of the first two particles (which fixes p_n) been taken for symmetry,
            // they would all have been skipped.
            fs.append(try e("p\(n)^3"))
            let decisions = Simplifier.areBracketsZero(fs, hamiltonian, pb)
            XCTAssertEqual(decisions, Array(repeating: .zero, count: n) + [.nonzero(witness: nil), .zero, .nonzero(witness: nil)]
                           + Array(repeating: .nonzero(witness: nil), count: 3), "n = \(n)")
            // Which of them the shortcut took.
            let form = DifferenceFractionForm(budget: 1 << 30)
            let pairIndices = try pairs.map { (q: try form.variable($0.q), p: try form.variable($0.p)) }
            let gs = try form.convert(hamiltonian)
            for (k, f) in fs.enumerated() {
                let fsum = try form.convert(f)
                var poles = Set<Int>()
                for d in fsum.terms.keys { for x in d { poles.insert(x.hi); poles.insert(x.lo) } }
                for d in gs.terms.keys { for x in d { poles.insert(x.hi); poles.insert(x.lo) } }
                poles.remove(-1)
                let slots = try FlatFractions.Slots(poles: Array(poles), withZero: false, variableCount: form.names.count)
                func terms(_ s: DifferenceFractionSum) throws -> [FlatFractions.Term] {
                    var out: [FlatFractions.Term] = []
                    for (d, p) in s.terms {
                        var den = Monomial()
                        for x in d { den[try slots.index(x.hi, x.lo)] = x.exponent }
                        for t in p.terms {
                            let c = t.coefficient
                            guard c.isInteger, let i = c.intValue else { return [] }
                            out.append((t.monomial, den, i))
                        }
                    }
                    return out
                }
                let (ft, gt) = (try terms(fsum), try terms(gs))
                if ft.isEmpty { continue }
                let momenta = try FlatFractions.symmetricMomenta(ft, gt, pairs: pairIndices, poles: poles, slots: slots)
                XCTAssertEqual(momenta != nil, k < n || k == n + 1 || k == n + 3 || k == n + 4, "n = \(n), \(f)")
            }
            if n == 3 {
                for (f, d) in zip(fs, decisions) { XCTAssertEqual(Simplifier.isProvenZero(pb(f, hamiltonian)), d == .zero, "\(f)") }
            }
        }
    }

    /// A numerator with a pole variable, or coefficients past Int, leave the flat route (it
    /// throws `NotApplicable`); the general route then gives the verdict.
    func testWhereTheFlatRouteDeclines() throws {
        let pb = PoissonBracket([CanonicalPair("q1", "p1"), CanonicalPair("q2", "p2")])
        let h = try e("(p1^2 + p2^2)/2 + g^2/(q1 - q2)^2")
        func flat(_ f: Expr) throws -> Bool {
            // A form of its own: a form's memo is keyed by node, and f is a temporary.
            let form = DifferenceFractionForm(budget: 1 << 30)
            let (fs, gs) = (try form.convert(f), try form.convert(h))
            let pairs = try [("q1", "p1"), ("q2", "p2")].map { (q: try form.variable($0.0), p: try form.variable($0.1)) }
            return try FlatFractions.bracketIsZero(fs, gs, pairs: pairs, form)
        }
        XCTAssertTrue(try flat(try e("p1 + p2")))
        XCTAssertFalse(try flat(try e("p1/(q1 - q2)")))
        XCTAssertThrowsError(try flat(try e("q1*p1/(q1 - q2)"))) { XCTAssertTrue($0 is FlatFractions.NotApplicable) }
        let huge = try e("\(Int.max / 2)*p1^3/(q1 - q2) + \(Int.max / 2)*p2^3/(q1 - q2)")
        XCTAssertThrowsError(try flat(huge)) { XCTAssertTrue($0 is FlatFractions.NotApplicable, "\($0)") }
        // A coefficient of exactly Int.min (2^62 scaled by 2) is negated by the swap's check:
        // the route declines instead of trapping, and the general one answers.
        let minimum = try e("4611686018427387904/(q1 - q2) + 1/(2*(q1 - q2)^2)")
        XCTAssertThrowsError(try flat(minimum)) { XCTAssertTrue($0 is FlatFractions.NotApplicable, "\($0)") }
        XCTAssertEqual(Simplifier.bracketIsZeroByPartialFractions(minimum, h, pb), false)
        // The budget: what both phases spend leaves the form's, and a budget too small for the
        // test is refused, not overdrawn.
        let form = DifferenceFractionForm(budget: 1 << 30)
        let pairs = try [("q1", "p1"), ("q2", "p2"), ("q3", "p3")].map { (q: try form.variable($0.0), p: try form.variable($0.1)) }
        let h3 = try e("(p1^2 + p2^2 + p3^2)/2 + g^2/(q1 - q2)^2 + g^2/(q1 - q3)^2 + g^2/(q2 - q3)^2")
        let t3 = try e("p1^3 + p2^3 + p3^3 + 3*g^2*(p1 + p2)/(q1 - q2)^2 + 3*g^2*(p1 + p3)/(q1 - q3)^2 + 3*g^2*(p2 + p3)/(q2 - q3)^2")
        let (fs3, gs3) = (try form.convert(t3), try form.convert(h3))
        XCTAssertTrue(try FlatFractions.bracketIsZero(fs3, gs3, pairs: pairs, form))
        let spent = (1 << 30) - form.budget
        XCTAssertGreaterThan(spent, 0)
        for budget in [spent - 1, spent / 2] {
            let small = DifferenceFractionForm(budget: budget)
            for (name, k) in zip(form.names, form.names.indices) { XCTAssertEqual(try small.variable(name), k) }
            XCTAssertThrowsError(try FlatFractions.bracketIsZero(try small.convert(t3), try small.convert(h3), pairs: pairs, small)) {
                XCTAssertTrue($0 is FlatFractions.OverBudget || $0 is DifferenceFractionForm.Failure, "\($0)")
            }
            XCTAssertLessThanOrEqual(small.budget, 0)
        }
        let exact = DifferenceFractionForm(budget: spent)
        for name in form.names { _ = try exact.variable(name) }
        XCTAssertTrue(try FlatFractions.bracketIsZero(try exact.convert(t3), try exact.convert(h3), pairs: pairs, exact))
        XCTAssertEqual(exact.budget, 0)
        // The table's empty marker (every exponent 255, which a product of keys can reach) is
        // refused, not stored where it would read as an empty bucket; other keys are kept.
        var table = FlatFractions.Table<Monomial>()
        var m = Monomial()
        m[3] = 254
        try table.add(m, 2)
        var (a, b) = (Monomial(), Monomial())
        for i in 0..<Monomial.maxVariables { (a[i], b[i]) = (128, 127) }
        let reached = try XCTUnwrap(a.times(b))
        XCTAssertEqual(reached, Monomial.empty)
        XCTAssertThrowsError(try table.add(reached, 1)) { XCTAssertTrue($0 is FlatFractions.NotApplicable, "\($0)") }
        XCTAssertThrowsError(try table.add(reached, 1))
        var seen: [(Monomial, Int)] = []
        table.forEach { seen.append(($0, $1)) }
        XCTAssertEqual(seen.count, 1)
        XCTAssertEqual(seen.first?.1, 2)
        XCTAssertEqual(table.value(m), 2)
        var fractions = FlatFractions.Table<FlatFractions.Fraction>()
        XCTAssertThrowsError(try fractions.add(FlatFractions.Fraction.empty, 1)) { XCTAssertTrue($0 is FlatFractions.NotApplicable, "\($0)") }
        // Binomials past Int are refused only when used.
        var binomials = FlatFractions.Binomials()
        XCTAssertEqual(try binomials(70, 1), 70)
        XCTAssertEqual(try binomials(66, 33), 7_219_428_434_016_265_740)
        XCTAssertThrowsError(try binomials(70, 35))
        // The general route decides both.
        XCTAssertEqual(Simplifier.areBracketsZero([try e("q1*p1/(q1 - q2)"), huge, try e("(p1 + p2)*\(Int.max)")], h, pb),
                       [.nonzero(witness: nil), .nonzero(witness: nil), .zero])
    }

    /// The flat expansion gives the general conversion's sums, and the expression built from
    /// them without `Expr.sum`'s and `Expr.product`'s work is the one they would build.
    func testFlatExpansionIsTheGeneralConversion() throws {
        var rng = SeededGenerator(seed: 12)
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        let atoms = try ["p1", "p2", "g", "I", "I*g/(q1 - q2)", "1/(q2 - q3)", "-1/(q3 - q1)^2", "p1^2", "(q1 - q2)^(-2)", "q1"].map(e)
        var applied = 0
        for round in 0..<40 {
            var exprs: [Expr] = []
            for _ in 0..<3 {
                // A product of sums of signed products of atoms (a sum whose first coefficient
                // is not ±1 is kept with fractional coefficients, which the flat tables decline).
                var factors: [Expr] = []
                for _ in 0..<(1 + pick(3)) {
                    var sum: [Expr] = []
                    for _ in 0..<(1 + pick(4)) {
                        var product: [Expr] = [.integer(pick(2) == 0 ? 1 : -1)]
                        for _ in 0..<(1 + pick(3)) { product.append(atoms[pick(atoms.count)]) }
                        sum.append(.product(product))
                    }
                    factors.append(.sum(sum))
                }
                exprs.append(.product(factors))
            }
            guard let flat = FlatExpansion.expand(exprs, budget: 1 << 30) else { continue }
            applied += 1
            let form = DifferenceFractionForm(budget: 1 << 30, allowsImaginaryUnit: true)
            XCTAssertTrue(form.adopt(flat.names))
            for (k, expr) in exprs.enumerated() {
                let general = try form.convert(expr)
                XCTAssertEqual(flat.sums[k].terms, general.terms, "round \(round): \(expr)")
                // The expression, against Expr.sum of Expr.products of the same terms.
                let built = try form.expression(general)
                var items: [Expr] = []
                let symbols = form.names.map { $0 == FlatExpansion.imaginaryUnitName ? Expr.i : Expr.symbol($0) }
                for (d, n) in general.terms {
                    for t in n.terms {
                        var factors: [Expr] = [.number(.exact(t.coefficient))]
                        for f in d { factors.append((symbols[f.hi] - (f.lo < 0 ? .zero : symbols[f.lo])) ** .integer(-f.exponent)) }
                        for v in symbols.indices where t.monomial[v] > 0 { factors.append(symbols[v] ** .integer(t.monomial[v])) }
                        items.append(.product(factors))
                    }
                }
                XCTAssertEqual(built, Expr.sum(items), "round \(round): \(expr)")
            }
        }
        XCTAssertGreaterThan(applied, 25)
        // Fractions, floats and other divisors are for the general conversion.
        for s in ["p1/2", "1.5*p1", "1/(q1 + q2)", "1/q1", "sqrt(p1)", "1/(2*q1 - 2*q2)", "(3*p1 + p2)^2"] {
            XCTAssertNil(FlatExpansion.expand([try e(s)], budget: 1 << 30), s)
        }
        // Where they decline, the general conversion expands.
        XCTAssertEqual(try e("(3*p1 + I*g/(q1 - q2))^2").expandedOverDifferences(), try e("9*p1^2 + 6*I*g*p1/(q1 - q2) - g^2/(q1 - q2)^2"))
        XCTAssertNil(FlatExpansion.expand([try e("(p1 + p2 + 1/(q1 - q2))^6")], budget: 10))
    }
}
