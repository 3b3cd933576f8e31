import XCTest
import Symbolic
@testable import Dynamics

/// A fixed step that crosses a singularity stops with the time and the last good state, naming
/// the test that saw it (energy jump, energy drift, singular field); runs that are integrated legitimately
/// do not stop, and are bit for bit what step-by-step integration gives.
final class FixedStepSingularityTests: XCTestCase {
    func kepler(_ name: String = "kepler2d") throws -> HamiltonianVectorField {
        try HamiltonianVectorField(system: try Catalog.system(name), native: true)
    }

    /// Radial free fall from rest at r = r0 with k = 1 reaches r = 0 at t = (π/(2√2)) r0^(3/2).
    func collisionTime(from r0: Double) -> Double { Double.pi / (2 * 2.0.squareRoot()) * pow(r0, 1.5) }

    func assertStopsNearTheCollision(_ method: FixedStepMethod, step h: Double, from x0: [Double], field: HamiltonianVectorField,
                                     every: Int = 1, file: StaticString = #filePath, line: UInt = #line) {
        let r0 = (0..<(x0.count / 2)).map { x0[$0] * x0[$0] }.reduce(0, +).squareRoot()
        let collision = collisionTime(from: r0) * (h < 0 ? -1 : 1)
        let steps = Int((3 * collision / h).rounded())
        do {
            let trajectory = try FixedStepIntegrator(method, step: h).run(field, from: x0, steps: steps, sampleEvery: every)
            XCTFail("\(method), h = \(h): ran through r = 0 to H = \(field.energy(trajectory.last))", file: file, line: line)
        } catch let e as IntegrationError {
            let message = "\(e)"
            let named = message.contains("energy jump") || message.contains("energy drift") || message.contains("singular field")
                || (method.gaussLegendre != nil && message.contains("did not converge"))
            XCTAssertTrue(named, "\(method), h = \(h): \(message)", file: file, line: line)
            XCTAssertTrue(message.contains("t = \(TextFormat.number(e.time))") && message.contains("state ["), message, file: file, line: line)
            // Stopped within 3 % of the collision time (and never after it by more than a step).
            XCTAssertEqual(e.time / collision, 1, accuracy: 0.03, "\(method), h = \(h): \(message)", file: file, line: line)
            XCTAssertLessThanOrEqual(abs(e.time), abs(collision) + abs(h), message, file: file, line: line)
            // The state is the last good one: close to r = 0 but not through it, on the line of
            // the fall, and the partial trajectory ends at or before it.
            let q = e.state.prefix(e.state.count / 2)
            let r = q.map { $0 * $0 }.reduce(0, +).squareRoot()
            XCTAssertTrue(r > 0 && r < 0.25 * r0, message, file: file, line: line)
            XCTAssertTrue(zip(q, x0.prefix(q.count)).allSatisfy { $0 * $1 >= 0 }, "not yet through r = 0: \(message)", file: file, line: line)
            let partial = e.partial
            XCTAssertNotNil(partial, file: file, line: line)
            if let partial, partial.count > 0 {
                XCTAssertLessThanOrEqual(abs(partial.times[partial.count - 1]), abs(e.time) + 1e-12, message, file: file, line: line)
                if every == 1 {
                    XCTAssertEqual(partial.times[partial.count - 1], e.time, accuracy: 1e-12, file: file, line: line)
                    XCTAssertEqual(partial.last, e.state, file: file, line: line)
                }
            }
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    /// Kepler from x0 = [1, 0, 0, 0]: every fixed-step method, at three step sizes, stops at the
    /// collision instead of running through r = 0 (before the fix: H grew from -1 to 224 with
    /// RK4 and to 8e5 with yoshida4, silently).
    func testEveryFixedStepMethodStopsAtTheHeadOnCollision() throws {
        let field = try kepler()
        for method in FixedStepMethod.allCases {
            for h in [0.01, 0.003, 0.001] {
                assertStopsNearTheCollision(method, step: h, from: [1, 0, 0, 0], field: field)
            }
        }
    }

    /// Variants: another direction and distance (r0 = 2 falls in t = π), backwards in time,
    /// sampling every 10 steps, and Kepler in space.
    func testCollisionVariants() throws {
        let plane = try kepler(), space = try kepler("kepler3d")
        for method in [FixedStepMethod.rk4, .leapfrog, .yoshida4, .euler] {
            assertStopsNearTheCollision(method, step: 0.01, from: [0, 2, 0, 0], field: plane)
            assertStopsNearTheCollision(method, step: -0.01, from: [1, 0, 0, 0], field: plane)
            assertStopsNearTheCollision(method, step: 0.01, from: [1, 0, 0, 0], field: plane, every: 10)
            assertStopsNearTheCollision(method, step: 0.002, from: [0.6, -0.8, 0, 0, 0, 0], field: space)
        }
        // With the interpreter instead of machine code (the RK4 and leapfrog kernels differ).
        let interpreted = try HamiltonianVectorField(system: try Catalog.system("kepler2d"))
        assertStopsNearTheCollision(.rk4, step: 0.01, from: [1, 0, 0, 0], field: interpreted)
        assertStopsNearTheCollision(.leapfrog, step: 0.01, from: [1, 0, 0, 0], field: interpreted)
    }

    /// Orbits that pass close to r = 0 and are resolved do not stop, and are bit for bit the
    /// states of the same steps taken one at a time (the tests read states, change nothing):
    /// e = 0.9 (pericenter r = 0.1) and e = 0.99 (r = 0.01) over three periods, and the
    /// parabolic orbit with H = 0 exactly, whose energy scale comes from its terms.
    func testResolvedNearMissesDoNotStop() throws {
        let field = try kepler()
        // Apocenter r = a(1 + e) of a = 1 at speed sqrt((1 - e)/(1 + e)); the period is 2π.
        func apocenter(_ e: Double) -> [Double] { [1 + e, 0, 0, ((1 - e) / (1 + e)).squareRoot()] }
        let cases: [(x0: [Double], h: Double, steps: Int)] = [
            (apocenter(0.9), 1e-3, 19_000), (apocenter(0.99), 1e-4, 63_000),
            ([1, 0, 0, 2.0.squareRoot()], 1e-3, 20_000),  // parabolic: H = 1 - 1 = 0
        ]
        for (x0, h, steps) in cases {
            let h0 = field.energy(x0)
            // Euler is no legitimate integrator of these orbits at any of these steps (its energy
            // drifts by 100 % and more), so it is left out.
            for method in FixedStepMethod.allCases where method != .euler && !(h < 1e-3 && method.gaussLegendre != nil) {
                let integrator = FixedStepIntegrator(method, step: h)
                let trajectory = try integrator.run(field, from: x0, steps: steps, sampleEvery: steps / 4)
                let scale = max(abs(h0), 1 / (x0[0] * x0[0] + x0[1] * x0[1]).squareRoot())
                XCTAssertEqual(field.energy(trajectory.last), h0, accuracy: 1e-3 * scale, "\(method) from \(x0)")
                if method == .rk4 || method == .leapfrog {
                    var x = x0
                    for _ in 0..<steps { try integrator.step(field, &x) }
                    XCTAssertEqual(trajectory.last, x, "\(method) from \(x0): bit for bit")
                }
            }
        }
    }

    /// A coarse step on a smooth system is the user's choice, not a singularity: its energy
    /// error is O(h^p), oscillating or (Euler) growing steadily. Before the fix, a fixed 1 % of
    /// the terms per step stopped these runs ("energy jump ... crosses a singularity"). Each runs
    /// to its end, and its states and energy are bit for bit those of the same steps taken one at
    /// a time, unmonitored.
    func testCoarseStepsOnSmoothSystemsRunToTheEnd() throws {
        let oscillator = try HamiltonianVectorField(system: try Catalog.system("harmonic"), parameters: ["m": 1, "k": 1], native: true)
        let pendulum = try HamiltonianVectorField(system: try Catalog.system("pendulum"), native: true)
        var cases: [(field: HamiltonianVectorField, method: FixedStepMethod, h: Double, x0: [Double], steps: Int)] = [
            (oscillator, .leapfrog, 0.5, [1, 0], 40), (oscillator, .leapfrog, 1.0, [1, 0], 20), (oscillator, .euler, 0.2, [1, 0], 100),
            (oscillator, .rk4, 1.0, [1, 0], 20), (oscillator, .yoshida4, 1.0, [1, 0], 20),
            // Variants: near the methods' stability limits, Euler's H growing 7500-fold, longer runs.
            (oscillator, .leapfrog, 1.9, [1, 0], 200), (oscillator, .rk4, 2.0, [1, 0], 200), (oscillator, .euler, 0.5, [1, 0], 40),
            (oscillator, .leapfrog, 0.5, [0, 3], 4000), (oscillator, .midpoint, 1.0, [1, 0], 20),
            // The pendulum just below the separatrix (H = 1.998 of 2), where the motion nearly stops.
            (pendulum, .rk4, 0.3, [0, 1.999], 1000), (pendulum, .leapfrog, 0.3, [0, 1.999], 1000), (pendulum, .yoshida4, 0.3, [0, 1.99999], 1000),
        ]
        // Backwards in time, too.
        cases.append((oscillator, .leapfrog, -1.0, [1, 0], 20))
        for (field, method, h, x0, steps) in cases {
            let integrator = FixedStepIntegrator(method, step: h)
            let trajectory: Trajectory
            do { trajectory = try integrator.run(field, from: x0, steps: steps) } catch {
                XCTFail("\(method), h = \(h) from \(x0): \(error)"); continue
            }
            XCTAssertEqual(trajectory.count, steps + 1, "\(method), h = \(h)")
            var x = x0
            for k in 1...steps {
                try integrator.step(field, &x)
                if k == steps / 2 { XCTAssertEqual(Array(trajectory.state(k)), x, "\(method), h = \(h): bit for bit at step \(k)") }
            }
            XCTAssertEqual(trajectory.last, x, "\(method), h = \(h): bit for bit")
            XCTAssertEqual(field.energy(trajectory.last), field.energy(x), "\(method), h = \(h): the same energy")
        }
    }

    /// At a fine step the energy is wrecked over the last few dozen steps before r = 0, each
    /// only a little larger than the one before: before the fix the state kept had H = -32.9
    /// (euler) with H0 = -1. The drift test stops the run while H is within a few times its
    /// initial scale (S0 = 1 here) of H0.
    func testAFineStepStopsBeforeTheEnergyIsWrecked() throws {
        let field = try kepler()
        for method in FixedStepMethod.allCases where method.gaussLegendre == nil {
            for h in [0.01, 0.003, 0.001, 0.00001] {
                assertStopsNearTheCollision(method, step: h, from: [1, 0, 0, 0], field: field)
                do {
                    _ = try FixedStepIntegrator(method, step: h).run(field, from: [1, 0, 0, 0], steps: Int(1.5 / h))
                    XCTFail("\(method), h = \(h) did not stop")
                } catch let e as IntegrationError {
                    XCTAssertEqual(field.energy(e.state), -1, accuracy: 3, "\(method), h = \(h): \(e)")
                }
            }
        }
    }

    /// The singular-field test on a field with no Hamiltonian: ẋ = x² from x = 1 blows up at
    /// t = 1 (x = 1/(1 − t)); the step's displacement then grows by orders of magnitude from
    /// one step to the next, long before |x| reaches 1e100. A legitimate field (ẋ = −x, with a
    /// second component at 1e-300 to try the rounding floor) runs through.
    func testSingularFieldWithoutAHamiltonian() throws {
        final class BlowUp: VectorField {
            var dimension: Int { 2 }
            func evaluate(_ x: UnsafePointer<Double>, into f: UnsafeMutablePointer<Double>) { f[0] = x[0] * x[0]; f[1] = 0 }
        }
        final class Decay: VectorField {
            var dimension: Int { 2 }
            func evaluate(_ x: UnsafePointer<Double>, into f: UnsafeMutablePointer<Double>) { f[0] = -x[0]; f[1] = -3 * x[1] }
        }
        for method in [FixedStepMethod.euler, .rk4, .midpoint] {
            XCTAssertThrowsError(try FixedStepIntegrator(method, step: 0.001).run(BlowUp(), from: [1, 0], steps: 2000)) { error in
                let message = "\(error)"
                // RK4 can also overflow within one step, which the state check reports.
                XCTAssertTrue(message.contains("singular field") || message.contains("did not converge") || message.contains("diverged"), message)
                XCTAssertEqual((error as? IntegrationError)?.time ?? 0, 1, accuracy: 0.02, message)
            }
            let h = 0.01, n = 3000
            let decay = try FixedStepIntegrator(method, step: h).run(Decay(), from: [1, 1e-300], steps: n)
            // Euler multiplies by 1 − h per step, exactly; the others follow exp(−t) (midpoint to
            // t h²/12 = 2.5e-4 relative).
            let expected = method == .euler ? pow(1 - h, Double(n)) : exp(-Double(n) * h)
            XCTAssertEqual(decay.last[0], expected, accuracy: (method == .euler ? 1e-11 : 1e-3) * expected, "\(method)")
        }
    }
}
