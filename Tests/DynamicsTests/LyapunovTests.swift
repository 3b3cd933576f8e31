import Foundation
import Symbolic
import XCTest
@testable import Dynamics

/// The largest Lyapunov exponent against exact values: the saddle H = p²/2 − q²/2 separates
/// orbits as e^t (λ = 1, to rk4's own error), the harmonic oscillator does not separate them
/// (λ = 0), and Arnold's cat map (q, p) ↦ (2q + p, q + p) mod 1 stretches by its larger
/// eigenvalue (3 + √5)/2 per step.
final class LyapunovTests: XCTestCase {
    final class CatMap: StepMap {
        var dimension: Int { 2 }
        var stepSize: Double { 1 }
        func apply(_ x: UnsafeMutablePointer<Double>) throws {
            let (q, p) = (x[0], x[1])
            x[0] = (2 * q + p).truncatingRemainder(dividingBy: 1)
            x[1] = (q + p).truncatingRemainder(dividingBy: 1)
        }
    }

    func field(_ h: String) throws -> HamiltonianVectorField {
        try HamiltonianVectorField(hamiltonian: try Expr.parse(h), pairs: [CanonicalPair("q", "p")], parameters: [:], native: true)
    }

    func testSaddleOscillatorAndCatMap() throws {
        let saddle = try FixedStepMap(try field("p^2/2 - q^2/2"), integrator: FixedStepIntegrator(.rk4, step: 0.01))
        let s = try Lyapunov.largestExponent(of: saddle, from: [1e-3, 5e-4], steps: 1000, renormalizeEvery: 100)
        XCTAssertEqual(s.exponent, 1, accuracy: 1e-5)
        XCTAssertEqual(s.renormalizations, 10)
        XCTAssertEqual(s.running.count, 4)
        let oscillator = try FixedStepMap(try field("(p^2 + q^2)/2"), integrator: FixedStepIntegrator(.gl4, step: 0.01))
        let o = try Lyapunov.largestExponent(of: oscillator, from: [1, 0], steps: 20_000, renormalizeEvery: 100)
        XCTAssertLessThan(abs(o.exponent), 1e-6)
        let c = try Lyapunov.largestExponent(of: CatMap(), from: [0.3, 0.1], steps: 200, renormalizeEvery: 1)
        // The random first direction is not the unstable one: a transient of order 1/steps.
        XCTAssertEqual(c.exponent, log((3 + 5.0.squareRoot()) / 2), accuracy: 1e-3)
    }

    func testBadRunsAreRefused() throws {
        let map = CatMap()
        XCTAssertThrowsError(try Lyapunov.largestExponent(of: map, from: [1], steps: 10, renormalizeEvery: 1)) { XCTAssertTrue("\($0)".contains("1 components, the map 2"), "\($0)") }
        XCTAssertThrowsError(try Lyapunov.largestExponent(of: map, from: [1, 0], steps: 5, renormalizeEvery: 10)) { XCTAssertTrue("\($0)".contains("at least one renormalisation"), "\($0)") }
        // A doubling map's orbit overflows: refused by name, not NaN.
        final class Doubling: StepMap {
            var dimension: Int { 1 }
            var stepSize: Double { 1 }
            func apply(_ x: UnsafeMutablePointer<Double>) throws { x[0] *= 1e10 }
        }
        XCTAssertThrowsError(try Lyapunov.largestExponent(of: Doubling(), from: [1], steps: 100, renormalizeEvery: 1)) { XCTAssertTrue("\($0)".contains("left the finite states"), "\($0)") }
    }
}
