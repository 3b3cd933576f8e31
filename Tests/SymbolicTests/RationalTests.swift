import BigInt
import XCTest
@testable import Symbolic

final class RationalTests: XCTestCase {
    func testArithmeticIsExactAndReduced() {
        let a = Rational(6, -4)
        XCTAssertEqual(a.description, "-3/2")
        XCTAssertEqual(a + Rational(3, 2), .zero)
        XCTAssertEqual(Rational(1, 3) * Rational(3, 7), Rational(1, 7))
        XCTAssertEqual(Rational(2, 3) / Rational(4, 9), Rational(3, 2))
        XCTAssertEqual(Rational(2, 3).power(-2), Rational(9, 4))
        XCTAssertTrue(Rational(-1, 2) < Rational(1, 3))
    }

    func testOverflowMovesToBigIntAndBack() {
        let big = Rational(Int.max) * Rational(Int.max)
        XCTAssertNil(big.intValue)
        XCTAssertEqual(big.numerator, BigInt(Int.max) * BigInt(Int.max))
        // Dividing back brings the value into the machine range with equal storage.
        let back = big / Rational(Int.max)
        XCTAssertEqual(back, Rational(Int.max))
        XCTAssertEqual(back.hashValue, Rational(Int.max).hashValue)
        XCTAssertEqual(Rational(Int.max) + Rational(1) - Rational(1), Rational(Int.max))
        XCTAssertEqual(Rational(Int.min, 1).description, "\(Int.min)")
    }

    func testExactRootsAndDyadicDoubles() {
        XCTAssertEqual(Rational(8, 27).exactRoot(3), Rational(2, 3))
        XCTAssertNil(Rational(2).exactRoot(2))
        XCTAssertEqual(Rational(-8).exactRoot(3), Rational(-2))
        XCTAssertEqual(Rational(exactly: 0.375), Rational(3, 8))
        XCTAssertEqual(Rational(exactly: 0.1)!.doubleValue, 0.1)
    }
}
