import XCTest
@testable import Symbolic

/// The modular verdict (`ModularZeroTest`): identities pass with the bound they state, and
/// non-zero expressions that the 256-bit numeric test would struggle with fail.
final class ModularZeroTestTests: XCTestCase {
    func e(_ s: String) throws -> Expr { try Expr.parse(s) }

    /// With a zero work budget the exact form gives up at its first polynomial product, so the
    /// zero test takes the modular route wherever it applies.
    func withoutExactForm<T>(_ body: () throws -> T) rethrows -> T {
        let saved = (Simplifier.exactWorkBudget, PartialFractionZeroTest.workBudget)
        (Simplifier.exactWorkBudget, PartialFractionZeroTest.workBudget) = (0, 0)
        defer { (Simplifier.exactWorkBudget, PartialFractionZeroTest.workBudget) = saved }
        return try body()
    }

    func testTrueIdentitiesPassWithTheStatedBound() throws {
        let identities = [
            "1/((a - b)*(a - c)) + 1/((b - a)*(b - c)) + 1/((c - a)*(c - b))",
            "(x + y)^30 - (\(try e("(x + y)^30").expand()))",
            "(x^2 - 1)/(x - 1) - x - 1",
            "(a^2 + b^2)*(c^2 + d^2) - (a*c - b*d)^2 - (a*d + b*c)^2",
            "1/(x - y) - (x + y)/(x^2 - y^2) + x^3/8 - (x/2)^3",
        ]
        for s in identities {
            guard case .zero(let k) = ModularZeroTest.decide(try e(s)) else { XCTFail(s); continue }
            XCTAssertGreaterThanOrEqual(k, ModularZeroTest.targetErrorBits, s)
            // Through the zero test, when the exact form gives up at once.
            let d = try withoutExactForm { Simplifier.isZero(try e(s)) }
            XCTAssertEqual(d, .modularZero(errorBits: k), s)
            XCTAssertEqual(d.verdict, "true (modular, error < 2^-\(k))")
            XCTAssertTrue(d.isZero)
            // With its budget, the exact form proves these small identities itself.
            XCTAssertEqual(Simplifier.isZero(try e(s)), .zero, s)
        }
    }

    func testNonZeroExpressionsThatLookZeroNumericallyFail() throws {
        let big = try e("(x + y + 1)^40").expand()
        let cases = [
            // A term 10⁻⁶⁰ beside coefficients up to 10¹⁸.
            "(x + y + 1)^40 - (\(big)) + 10^(-60)*x*y",
            // Two huge polynomials that differ in one coefficient by 1 part in 10⁴⁰.
            "(\(big)) - (\(big)) * (1 + 10^(-40))",
            "1/((a - b)*(a - c)) + 1/((b - a)*(b - c)) + 1/((c - a)*(c - b)) + 10^(-50)/(a - b)",
        ]
        for s in cases {
            XCTAssertEqual(ModularZeroTest.decide(try e(s)), .nonzero, s)
            XCTAssertEqual(try withoutExactForm { Simplifier.isZero(try e(s)) }, .nonzero(witness: nil), s)
        }
    }

    func testKernelsAreLeftToTheNumericTest() throws {
        for s in ["sqrt(x^2) - abs(x)", "sin(x)^2 + cos(x)^2 - 1", "I*x + 1", "pi*x", "sqrt(x) - y", "x^y - 1"] {
            XCTAssertEqual(ModularZeroTest.decide(try e(s)), .notApplicable, s)
        }
        XCTAssertEqual(try withoutExactForm { Simplifier.isZero(try e("sqrt(x^2) - abs(x)")) }, .numericallyZero(points: Simplifier.numericPoints))
    }

    /// The bound is the one the header derives: degrees and log₂ ℓ¹ norms of the cleared
    /// numerator and denominator, node by node; the stated error is the product over rounds of
    /// 2(hn/(61·2⁵⁵) + dn/(2⁶¹ − dd)).
    func testTheErrorBoundFollowsFromTheComputedDegree() throws {
        // (x + y)^7: ℓ¹ norm 2^7, degree 7.
        let power = try XCTUnwrap(ModularZeroTest.bound(try e("(x + y)^7")))
        XCTAssertEqual(power.numeratorDegree, 7)
        XCTAssertEqual(power.denominatorDegree, 0)
        XCTAssertEqual(power.numeratorBits, 7, accuracy: 1e-6)
        XCTAssertEqual(power.denominatorBits, 0)
        // 3x/(2y^2): 3 has 2 bits, 2 has 2 bits (bit widths bound log₂ from above).
        XCTAssertEqual(ModularZeroTest.bound(try e("3*x/(2*y^2)")),
                       .init(numeratorDegree: 1, denominatorDegree: 2, numeratorBits: 2, denominatorBits: 2))
        // a/b + c/d^3 = (a d³ + c b)/(b d³): degrees (4, 4); each term's numerator has norm 1
        // (the constant 1 is counted as one bit), so the sum's is at most 2·2¹·2¹.
        let sum = try XCTUnwrap(ModularZeroTest.bound(try e("a/b + c/d^3")))
        XCTAssertEqual(sum.numeratorDegree, 4)
        XCTAssertEqual(sum.denominatorDegree, 4)
        XCTAssertEqual(sum.numeratorBits, 3, accuracy: 1e-6)
        // The verdict's exponent from that bound: rounds until 2^-128, each worth −log₂ ε.
        for s in ["a/b + c/d^3 - (a*d^3 + b*c)/(b*d^3)", "(x + y)^30 - (\(try e("(x + y)^30").expand()))"] {
            let b = try XCTUnwrap(ModularZeroTest.bound(try e(s)))
            let perRound = 2 * ((b.numeratorBits + b.denominatorBits) / (61 * 0x1p55) + b.numeratorDegree / (0x1p61 - b.denominatorDegree))
            let rounds = Int((128 / -log2(perRound)).rounded(.up))
            let expected = Int((Double(rounds) * -log2(perRound)).rounded(.down))
            XCTAssertEqual(ModularZeroTest.decide(try e(s)), .zero(errorBits: expected), s)
        }
    }

    /// Bounds that are not finite (constants too large for a double's exponent) or too large to
    /// be useful leave the test out, never floor the error at 2^-128.
    func testUnusableBoundsAreNotApplicable() {
        let infinite = ModularZeroTest.Bound(numeratorDegree: 3, denominatorDegree: 1, numeratorBits: .infinity, denominatorBits: 2)
        XCTAssertNil(ModularZeroTest.perRoundError(infinite))
        XCTAssertNil(ModularZeroTest.perRoundError(.init(numeratorDegree: 3, denominatorDegree: 1, numeratorBits: .nan, denominatorBits: 2)))
        XCTAssertNil(ModularZeroTest.perRoundError(.init(numeratorDegree: 0x1p60, denominatorDegree: 0, numeratorBits: 1, denominatorBits: 0)))
        XCTAssertNil(ModularZeroTest.perRoundError(.init(numeratorDegree: 1, denominatorDegree: 0, numeratorBits: 0x1p70, denominatorBits: 0)))
        XCTAssertEqual(ModularZeroTest.perRoundError(.init(numeratorDegree: 0, denominatorDegree: 0, numeratorBits: 0, denominatorBits: 0)), 0x1p-128)
    }

    /// A pole at the drawn point is drawn again, not taken for a value: with x₀ the first point
    /// the test draws, (x + 1)/(x − x₀) − 1 − (x₀ + 1)/(x − x₀) = 0 is met first at its pole
    /// (where a pole read as 0 would give −1, a false "non-zero").
    func testPolesAreDrawnAgain() throws {
        var rng = SeededGenerator(seed: 0x0D0_2026_5EED)
        let p = ModularZeroTest.randomPrime(&rng)
        let x0 = rng.next(upperBound: p)
        let e = try Expr.parse("(x + 1)/(x - \(x0)) - 1 - \(x0 + 1)/(x - \(x0))")
        guard case .zero = ModularZeroTest.decide(e) else { return XCTFail("\(e): \(ModularZeroTest.decide(e))") }
    }

    func testPrimesAreDrawnFromTheStatedRange() {
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<20 {
            let p = ModularZeroTest.randomPrime(&rng)
            XCTAssertTrue((UInt64(1) << 61)..<(UInt64(1) << 62) ~= p)
            XCTAssertTrue(ModularZeroTest.isPrime(p))
        }
        // Miller–Rabin against known values: a Carmichael number, the largest prime below 2⁶², its neighbour.
        XCTAssertFalse(ModularZeroTest.isPrime(561))
        // A strong pseudoprime to every base up to 31, in the range drawn from: base 37 refutes it.
        XCTAssertFalse(ModularZeroTest.isPrime(3_825_123_056_546_413_051))
        XCTAssertTrue(ModularZeroTest.isPrime(4_611_686_018_427_387_847))
        XCTAssertFalse(ModularZeroTest.isPrime(4_611_686_018_427_387_849))
        XCTAssertTrue(ModularZeroTest.isPrime(2_305_843_009_213_693_951))  // 2⁶¹ − 1
    }
}
