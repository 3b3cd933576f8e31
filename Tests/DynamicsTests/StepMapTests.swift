import XCTest
import Symbolic
@testable import Dynamics

/// Step maps x ↦ φ(x) iterated into trajectories, against the integrators and closed forms.
final class StepMapTests: XCTestCase {
    /// H = (p² + q²)/2, compiled (interpreted or as machine code).
    func oscillator(native: Bool) throws -> HamiltonianVectorField {
        try HamiltonianVectorField(hamiltonian: try Expr.parse("(p^2 + q^2)/2"), pairs: [CanonicalPair("q", "p")], native: native)
    }

    /// Kick-drift-kick for H = (p² + q²)/2 written out: p += h/2 (−q); q += h p; p += h/2 (−q).
    final class OscillatorLeapfrog: StepMap {
        let stepSize: Double
        var dimension: Int { 2 }
        init(step: Double) { stepSize = step }
        func apply(_ x: UnsafeMutablePointer<Double>) {
            let h = stepSize
            x[1] += 0.5 * h * -x[0]
            x[0] += h * x[1]
            x[1] += 0.5 * h * -x[0]
        }
    }

    /// The exact flow of H = (p² + q²)/2 over a time h: a rotation of the (q, p) plane by −h.
    final class OscillatorFlow: StepMap {
        let stepSize: Double, c: Double, s: Double
        var dimension: Int { 2 }
        init(step: Double) { stepSize = step; c = cos(step); s = sin(step) }
        func apply(_ x: UnsafeMutablePointer<Double>) {
            let (q, p) = (x[0], x[1])
            x[0] = q * c + p * s
            x[1] = -q * s + p * c
        }
    }

    /// The hand-written leapfrog map, iterated, is the integrator's leapfrog run bit for bit:
    /// the same samples at the same times, with the compiled field interpreted or native.
    func testLeapfrogMapOfTheOscillatorIsTheIntegratorsRunBitForBit() throws {
        let h = 0.1, x0 = [1.0, 0.25]
        let orbit = try OscillatorLeapfrog(step: h).iterate(from: x0, steps: 1000, sampleEvery: 7)
        for native in [false, true] {
            let run = try FixedStepIntegrator(.leapfrog, step: h).run(try oscillator(native: native), from: x0, steps: 1000, sampleEvery: 7)
            XCTAssertEqual(orbit.times, run.times, "native \(native)")
            XCTAssertEqual(orbit.states, run.states, "native \(native)")
        }
        XCTAssertEqual(orbit.count, 1 + 1000 / 7 + 1)
        XCTAssertEqual(orbit.statistics.steps, 1000)
    }

    /// An integrator's step as a map (`FixedStepMap`) iterates to exactly the integrator's run,
    /// for every method, on a nonlinear system (the pendulum), forwards and backwards in time.
    func testFixedStepMapIteratesToTheRunForEveryMethod() throws {
        let pendulum = try HamiltonianVectorField(system: try Catalog.system("pendulum"), native: true)
        for method in FixedStepMethod.allCases {
            for h in [0.05, -0.05] {
                let integrator = FixedStepIntegrator(method, step: h)
                let run = try integrator.run(pendulum, from: [1, 0.5], steps: 400, sampleEvery: 3, startTime: 2)
                let orbit = try FixedStepMap(pendulum, integrator: integrator).iterate(from: [1, 0.5], steps: 400, sampleEvery: 3, startTime: 2)
                XCTAssertEqual(orbit.times, run.times, "\(method), h = \(h)")
                XCTAssertEqual(orbit.states, run.states, "\(method), h = \(h)")
            }
        }
    }

    /// The exact rotation map's orbit is the closed form (q0 cos t + p0 sin t, −q0 sin t + p0 cos t)
    /// at t = k h, to rounding; H drifts by rounding only. The leapfrog map instead conserves its
    /// modified energy H̃ = (p² + (1 − h²/4) q²)/2 exactly (to rounding) while H itself oscillates:
    /// from q0 = 1, p0 = 0, H = H̃ + h² q²/8 deviates from H(0) = 1/2 by up to h²/8, relative h²/4.
    func testOrbitsOfExactAndLeapfrogMapsAgainstClosedForms() throws {
        let h = 0.1, steps = 10_000, x0 = [1.0, 0.0]
        let exact = try OscillatorFlow(step: h).iterate(from: x0, steps: steps)
        var worst = 0.0
        for k in 0..<exact.count {
            let t = exact.times[k], x = exact.state(k)
            XCTAssertEqual(t, Double(k) * h)
            worst = max(worst, abs(x[x.startIndex] - cos(t)), abs(x[x.startIndex + 1] + sin(t)))
        }
        XCTAssertLessThan(worst, 1e-10)
        let energy = try Expr.parse("(p^2 + q^2)/2")
        XCTAssertLessThan(try Drift(of: energy, along: exact, variables: ["q", "p"]).maximum, 1e-11)

        let leapfrog = try OscillatorLeapfrog(step: h).iterate(from: x0, steps: steps)
        let modified = try Expr.parse("(p^2 + (1 - h^2/4)*q^2)/2")
        XCTAssertLessThan(try Drift(of: modified, along: leapfrog, variables: ["q", "p"], parameters: ["h": h]).maximum, 1e-12)
        let drift = try Drift(of: energy, along: leapfrog, variables: ["q", "p"])
        XCTAssertTrue(drift.isRelative)
        XCTAssertEqual(drift.maximum, h * h / 4, accuracy: 2e-5)
    }

    /// Liouville's theorem on maps: rotation and leapfrog (linear, determinant 1) keep the loop's
    /// area to rounding; Euler's step matrix [[1, h], [−h, 1]] has determinant 1 + h², and the
    /// mapped polygon of a linear map is the exact image, so the area grows by (1 + h²)^steps.
    func testLiouvilleOnStepMaps() throws {
        let (h, steps) = (0.1, 100)
        let maps: [StepMap] = [OscillatorFlow(step: h), OscillatorLeapfrog(step: h)]
        for map in maps {
            let r = try PhaseSpaceDiagnostics.liouville(map, center: [1, 0], radius: 0.1, points: 64, steps: steps)
            XCTAssertEqual(r.relativeChange, 0, accuracy: 1e-12, "\(type(of: map))")
        }
        let euler = try FixedStepMap(try oscillator(native: false), integrator: FixedStepIntegrator(.euler, step: h))
        let r = try PhaseSpaceDiagnostics.liouville(euler, center: [1, 0], radius: 0.1, points: 64, steps: steps)
        XCTAssertEqual(r.finalArea / r.initialArea, pow(1 + h * h, Double(steps)), accuracy: 1e-10)
    }

    /// A map that leaves the finite states stops with the time of the failing step and the
    /// samples before it; leapfrog as a map of a field without a split is refused.
    func testIterationStopsAndRefuses() throws {
        final class Doubling: StepMap {
            var dimension: Int { 1 }
            var stepSize: Double { 0.5 }
            func apply(_ x: UnsafeMutablePointer<Double>) { x[0] *= 1e10 }
        }
        XCTAssertThrowsError(try Doubling().iterate(from: [1], steps: 100)) { error in
            guard let e = error as? IntegrationError else { return XCTFail("\(error)") }
            // 1e10^11 = 1e110 > 1e100 after the 11th step, at t = 5.5.
            XCTAssertEqual(e.time, 5.5)
            XCTAssertEqual(e.partial?.count, 11)
            XCTAssertTrue("\(e)".contains("diverged"), "\(e)")
        }
        let mixed = try HamiltonianVectorField(hamiltonian: try Expr.parse("q^2*p^2/2"), pairs: [CanonicalPair("q", "p")])
        XCTAssertThrowsError(try FixedStepMap(mixed, integrator: FixedStepIntegrator(.leapfrog, step: 0.1)))
        XCTAssertNoThrow(try FixedStepMap(mixed, integrator: FixedStepIntegrator(.gl4, step: 0.1)))
    }
}
