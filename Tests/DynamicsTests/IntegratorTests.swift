import XCTest
import Symbolic
@testable import Dynamics

final class IntegratorTests: XCTestCase {
    func field(_ name: String, _ parameters: [String: Double] = [:]) throws -> HamiltonianVectorField {
        try HamiltonianVectorField(system: try Catalog.system(name), parameters: parameters)
    }

    /// Global error at T = 2 on H = (p^2 + q^2)/2 against the closed form; the log-log slope
    /// over halving steps is the order.
    func testConvergenceOrderOfEveryMethod() throws {
        let oscillator = try field("harmonic")
        let (q0, p0, T) = (1.0, 0.5, 2.0)
        let exact = [q0 * cos(T) + p0 * sin(T), -q0 * sin(T) + p0 * cos(T)]
        for method in FixedStepMethod.allCases {
            let steps: [Double] = method == .gl6 ? [0.4, 0.2, 0.1] : (method.order >= 4 ? [0.2, 0.1, 0.05] : [0.02, 0.01, 0.005])
            var errors: [Double] = []
            for h in steps {
                let n = Int((T / h).rounded())
                let end = try FixedStepIntegrator(method, step: h).run(oscillator, from: [q0, p0], steps: n).last
                errors.append(max(abs(end[0] - exact[0]), abs(end[1] - exact[1])))
            }
            let slope = (log(errors[0]) - log(errors[2])) / (log(steps[0]) - log(steps[2]))
            XCTAssertEqual(slope, Double(method.order), accuracy: 0.2, "\(method): errors \(errors)")
        }
    }

    /// The one-step map of a linear Hamiltonian system is a matrix R; symplectic methods give
    /// RᵀΩR = Ω to rounding, RK4 and Euler visibly not.
    func testSymplecticityOfTheOneStepMap() throws {
        let h = try Expr.parse("(p1^2 + p2^2)/2 + (q1^2 + 2*q2^2 + q1*q2)/2")
        let f = try HamiltonianVectorField(hamiltonian: h, pairs: [CanonicalPair("q1", "p1"), CanonicalPair("q2", "p2")])
        let n = 4
        for method in FixedStepMethod.allCases {
            let integrator = FixedStepIntegrator(method, step: 0.1)
            var R = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
            for j in 0..<n {
                var e = [Double](repeating: 0, count: n)
                e[j] = 1
                try integrator.step(f, &e)
                for i in 0..<n { R[i][j] = e[i] }
            }
            // Ω = [[0, I], [-I, 0]] in the layout (q1, q2, p1, p2).
            func omega(_ i: Int, _ j: Int) -> Double { j == i + 2 ? 1 : (i == j + 2 ? -1 : 0) }
            var deviation = 0.0
            for i in 0..<n { for j in 0..<n {
                var s = 0.0
                for k in 0..<n { for l in 0..<n { s += R[k][i] * omega(k, l) * R[l][j] } }
                deviation = max(deviation, abs(s - omega(i, j)))
            } }
            if method.isSymplectic {
                XCTAssertLessThan(deviation, 1e-12, "\(method)")
            } else {
                XCTAssertGreaterThan(deviation, 1e-7, "\(method)")
            }
        }
    }

    /// 10^5 steps of the pendulum: bounded energy error for the symplectic methods, a growing
    /// one for RK4 and Euler.
    func testLongRunEnergyBehaviourOnThePendulum() throws {
        let pendulum = try field("pendulum")
        let x0 = [2.0, 0.0]
        let e0 = pendulum.energy(x0)
        func errors(_ method: FixedStepMethod) throws -> (early: Double, late: Double) {
            let traj = try FixedStepIntegrator(method, step: 0.1).run(pendulum, from: x0, steps: 100_000, sampleEvery: 10)
            var early = 0.0, late = 0.0
            for k in 0..<traj.count {
                let err = abs(pendulum.energy(Array(traj.state(k))) - e0)
                if k < traj.count / 10 { early = max(early, err) } else if k > 9 * traj.count / 10 { late = max(late, err) }
            }
            return (early, late)
        }
        for method in [FixedStepMethod.leapfrog, .gl4] {
            let (early, late) = try errors(method)
            XCTAssertLessThan(late, 1.5 * early + 1e-12, "\(method) drifts: \(early) then \(late)")
            XCTAssertLessThan(late, 1e-2, "\(method)")
        }
        let rk4 = try errors(.rk4)
        XCTAssertGreaterThan(rk4.late, 5 * rk4.early, "rk4 should drift: \(rk4)")
        let euler = try errors(.euler)
        XCTAssertGreaterThan(euler.late, 1, "euler should drift: \(euler)")
    }

    /// Kepler, e = 0.6, 20 orbits: angular momentum and the LRL vector stay put.
    func testKeplerInvariantsAreConserved() throws {
        let system = try Catalog.system("kepler3d")
        let kepler = try HamiltonianVectorField(system: system)
        let defs = Dictionary(uniqueKeysWithValues: system.definitions.map { ($0.name, $0.expr) })
        let names = kepler.stateNames
        let L3 = try CompiledFunction([defs["L3"]!], inputs: names, constants: ["k": 1])
        let A1 = try CompiledFunction([defs["A1"]!], inputs: names, constants: ["k": 1])
        // Perihelion at r = 0.4 with speed for a = 1: v^2 = 2/r - 1/a.
        let x0 = [0.4, 0, 0, 0, (2 / 0.4 - 1).squareRoot(), 0]
        let (l0, a0) = (L3(x0)[0], A1(x0)[0])
        XCTAssertEqual(a0, 0.6, accuracy: 1e-12)  // |A| = k e
        let period = 2 * Double.pi
        for (method, tolerance) in [(FixedStepMethod.leapfrog, 1e-2), (.gl6, 1e-7)] {
            let steps = 20 * 2000
            let traj = try FixedStepIntegrator(method, step: 20 * period / Double(steps)).run(kepler, from: x0, steps: steps, sampleEvery: 100)
            var maxL = 0.0, maxA = 0.0
            for k in 0..<traj.count {
                let x = Array(traj.state(k))
                maxL = max(maxL, abs(L3(x)[0] - l0)); maxA = max(maxA, abs(A1(x)[0] - a0))
            }
            XCTAssertLessThan(maxL, 1e-11, "\(method): L3 is conserved exactly by rotation-equivariant symplectic methods")
            XCTAssertLessThan(maxA, tolerance, "\(method): A1")
        }
    }

    func testSingularitiesAndMisuseStopWithClearErrors() throws {
        let kepler = try field("kepler3d")
        XCTAssertThrowsError(try FixedStepIntegrator(.rk4, step: 0.1).run(kepler, from: [0, 0, 0, 1, 0, 0], steps: 10)) { error in
            let e = error as! IntegrationError
            XCTAssertEqual(e.time, 0.1, accuracy: 1e-15)
            XCTAssertTrue("\(e)".contains("NaN"), "\(e)")
            XCTAssertEqual(e.partial?.count, 1)
        }
        let h = try Expr.parse("p^2/2 + q*p")
        let nonSeparable = try HamiltonianVectorField(hamiltonian: h, pairs: [CanonicalPair("q", "p")])
        XCTAssertFalse(nonSeparable.isSeparable)
        XCTAssertThrowsError(try FixedStepIntegrator(.leapfrog, step: 0.1).run(nonSeparable, from: [1, 0], steps: 1)) { error in
            XCTAssertTrue("\(error)".contains("separable"), "\(error)")
        }
        XCTAssertThrowsError(try FixedStepIntegrator(.gl4, step: 50).run(try field("pendulum"), from: [1, 0], steps: 3)) { error in
            XCTAssertTrue("\(error)".contains("did not converge"), "\(error)")
        }
        XCTAssertThrowsError(try FixedStepIntegrator(.rk4, step: 0.1).run(kepler, from: [1, 0], steps: 3))
    }

    func testCompiledFunctionsMatchTheExpressions() throws {
        let system = try Catalog.system("kepler3d")
        let f = try HamiltonianVectorField(system: system, parameters: ["k": 1.5])
        let x = [0.3, -0.7, 0.2, 0.1, 0.9, -0.4]
        let binding = Dictionary(uniqueKeysWithValues: zip(f.stateNames, x)).merging(["k": 1.5]) { $1 }
        let expected = PoissonBracket(system.pairs).vectorField(system.hamiltonian)
        // vectorField orders (q1', p1', q2', ...); the compiled state is (q..., p...).
        let fx = f(x)
        for i in 0..<3 {
            XCTAssertEqual(fx[i], try expected[2 * i].evaluate(binding), accuracy: 1e-14)
            XCTAssertEqual(fx[3 + i], try expected[2 * i + 1].evaluate(binding), accuracy: 1e-14)
        }
        XCTAssertEqual(f.energy(x), try system.hamiltonian.evaluate(binding), accuracy: 1e-14)
        // The Jacobian against central differences.
        var J = [Double](repeating: 0, count: 36)
        _ = x.withUnsafeBufferPointer { xs in J.withUnsafeMutableBufferPointer { f.jacobian(xs.baseAddress!, into: $0.baseAddress!) } }
        for j in 0..<6 {
            var xp = x, xm = x
            xp[j] += 1e-6; xm[j] -= 1e-6
            let (fp, fm) = (f(xp), f(xm))
            for i in 0..<6 { XCTAssertEqual(J[i * 6 + j], (fp[i] - fm[i]) / 2e-6, accuracy: 1e-7) }
        }
        XCTAssertThrowsError(try CompiledFunction([try Expr.parse("q + m")], inputs: ["q"])) { e in
            XCTAssertTrue("\(e)".contains("'m' has no value"), "\(e)")
        }
    }
}

final class AdaptiveIntegratorTests: XCTestCase {
    /// A circular Kepler orbit (k = 1, r = 1, v = 1) returns to its start after 2π.
    func testKeplerOrbitClosesToTolerance() throws {
        let f = try HamiltonianVectorField(system: try Catalog.system("kepler2d"))
        let x0 = [1.0, 0, 0, 1]
        for (method, tolerance) in [(AdaptiveMethod.rk8pd, 1e-9), (.rkf45, 1e-6)] {
            let times = (0...10).map { Double($0) * 2 * Double.pi / 10 }
            let traj = try AdaptiveIntegrator(method, relativeTolerance: 1e-11, absoluteTolerance: 1e-11).run(f, from: x0, times: times)
            XCTAssertEqual(traj.count, 11)
            for k in 0..<traj.count {
                let t = traj.times[k], x = Array(traj.state(k))
                XCTAssertEqual(x[0], cos(t), accuracy: tolerance, "\(method) at t = \(t)")
                XCTAssertEqual(x[1], sin(t), accuracy: tolerance, "\(method)")
            }
            XCTAssertGreaterThan(traj.statistics.steps, 5)
            XCTAssertGreaterThanOrEqual(traj.statistics.functionEvaluations, traj.statistics.steps)
        }
    }

    func testCollisionStopsWithTheTimeAndState() throws {
        // Radial fall from rest at r = 1 reaches r = 0 at t = π/(2√2).
        let f = try HamiltonianVectorField(system: try Catalog.system("kepler2d"))
        XCTAssertThrowsError(try AdaptiveIntegrator().run(f, from: [1, 0, 0, 0], times: [0, 0.5, 1.0, 1.5])) { error in
            guard let e = error as? IntegrationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.time, Double.pi / (2 * 2.0.squareRoot()), accuracy: 1e-3, "\(e)")
            XCTAssertEqual(e.partial?.count, 3)  // t = 0, 0.5, 1.0
            XCTAssertTrue("\(e)".contains("singularity"), "\(e)")
        }
    }
}

final class NativeCodeTests: XCTestCase {
    /// Machine code built at run time gives the interpreter's results bit for bit (the same
    /// operations in the same order, no contraction into FMA).
    func testNativeAndInterpretedAgreeBitForBit() throws {
        for name in ["kepler3d", "pendulum", "twobody"] {
            let system = try Catalog.system(name)
            let native = try HamiltonianVectorField(system: system, native: true)
            let interpreted = try HamiltonianVectorField(system: system)
            guard native.backend == "native" else { throw XCTSkip("no C compiler here: \(native.backend)") }
            var rng = SeededGenerator(seed: 9)
            let x0 = name == "twobody" ? InitialConditions.twoBodyNearCircular(&rng)
                : (0..<native.dimension).map { _ in rng.uniform(0.3, 1.2) }
            XCTAssertEqual(native(x0), interpreted(x0), name)
            XCTAssertEqual(native.energy(x0).bitPattern, interpreted.energy(x0).bitPattern, name)
            for method in [FixedStepMethod.rk4, .leapfrog, .yoshida4, .gl4] {
                let a = try FixedStepIntegrator(method, step: 0.01).run(native, from: x0, steps: 500, sampleEvery: 100)
                let b = try FixedStepIntegrator(method, step: 0.01).run(interpreted, from: x0, steps: 500, sampleEvery: 100)
                XCTAssertEqual(a.states, b.states, "\(name) \(method)")
                XCTAssertEqual(a.statistics, b.statistics, "\(name) \(method)")
            }
        }
    }

    func testCSourceIsStraightLine() throws {
        let f = try CompiledFunction([try Expr.parse("k*x/(x^2 + y^2)^(3/2)")], inputs: ["x", "y"], constants: ["k": 0.5])
        let c = f.cSource(name: "f")
        XCTAssertTrue(c.contains("sqrt("), c)
        XCTAssertFalse(c.contains("pow("), c)  // half-integer powers become sqrt and products
        XCTAssertTrue(c.contains("0x1p-1"), c)  // constants as exact hexadecimal literals
    }
}

final class DatasetTests: XCTestCase {
    func spec(_ name: String, trajectories: Int = 6, samples: Int = 8, seed: UInt64 = 1, noise: Double? = nil) throws -> Dataset.Specification {
        var recipe = InitialConditions.recipe(for: name)
        recipe.trajectories = trajectories; recipe.samples = samples
        if let noise { recipe.noise = noise }
        return .init(system: try Catalog.system(name), catalogName: name, recipe: recipe, seed: seed)
    }

    /// Derivatives are Hamilton's equations at the stored states, the split is by whole
    /// trajectories, and the same seed gives the same numbers.
    func testDatasetsAreExactSplitByTrajectoryAndReproducible() throws {
        let data = try Dataset.generate(try spec("twobody"))
        XCTAssertEqual(data.count, 48)
        XCTAssertEqual(data.testTrajectoryCount, 1)  // 20 % of 6, rounded
        let f = try HamiltonianVectorField(system: try Catalog.system("twobody"))
        for k in stride(from: 0, to: data.count, by: 7) {
            let x = Array(data.states[(k * 8)..<((k + 1) * 8)])
            XCTAssertEqual(f(x), Array(data.derivatives[(k * 8)..<((k + 1) * 8)]))
        }
        for id in 0..<data.trajectoryCount {
            let splits = Set((0..<data.count).filter { data.trajectoryIDs[$0] == id }.map(data.isTest))
            XCTAssertEqual(splits.count, 1, "trajectory \(id) straddles the split")
        }
        let again = try Dataset.generate(try spec("twobody"))
        XCTAssertEqual(again.states, data.states)
        XCTAssertEqual(again.isTestTrajectory, data.isTestTrajectory)
        XCTAssertNotEqual(try Dataset.generate(try spec("twobody", seed: 2)).states, data.states)
        // Energy along each clean trajectory stays at its initial value (rk8pd at 1e-10).
        for k in 0..<data.count where data.times[k] > 0 {
            let x = Array(data.states[(k * 8)..<((k + 1) * 8)])
            let start = data.trajectoryIDs.firstIndex(of: data.trajectoryIDs[k])!
            let x0 = Array(data.states[(start * 8)..<((start + 1) * 8)])
            XCTAssertEqual(f.energy(x), f.energy(x0), accuracy: 1e-8)
        }
    }

    func testFilesRoundTripExactlyAndRejectDamage() throws {
        let data = try Dataset.generate(try spec("pendulum", noise: 0.1))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("noether-test-\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try DatasetFile.write(data, to: path)
        let back = try DatasetFile.read(path)
        XCTAssertEqual(back.states, data.states)
        XCTAssertEqual(back.derivatives, data.derivatives)
        XCTAssertEqual(back.times, data.times)
        XCTAssertEqual(back.isTestTrajectory, data.isTestTrajectory)
        XCTAssertEqual(back.names, ["q", "p"])
        XCTAssertEqual(back.parameters["g"], 6)
        XCTAssertEqual(back.seed, 1)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        func rejects(_ damaged: String, _ fragment: String) throws {
            try damaged.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try DatasetFile.read(path)) { XCTAssertTrue("\($0)".contains(fragment), "\($0)") }
        }
        try rejects(String(text.dropLast(20)), "truncated")
        try rejects("x,y\n1,2\n", "not a Noether dataset")
        try rejects(text.replacingOccurrences(of: ",train,", with: ",trian,"), "split must be train or test")
        let lines = text.split(separator: "\n").map(String.init)
        try rejects((lines.prefix(4) + [lines[4] + ",7"] + lines.dropFirst(5)).joined(separator: "\n") + "\n", "line 5: 8 columns")
        try rejects(text.replacingOccurrences(of: "d_q", with: "dq"), "derivative columns")
        XCTAssertThrowsError(try DatasetFile.read(path + ".missing"))
    }

    /// Bondesan & Lamacraft's Neumann trajectories start on the sphere |q| = r with tangent
    /// momenta, and |q|² is conserved, so every sample stays on it.
    func testNeumannOnSpheresStaysOnTheSphere() throws {
        for radius in [2.0, 5.0] {
            let recipe = try InitialConditions.recipe(for: "neumann", sampler: "bondesan")
            let data = try Dataset.generate(.init(system: try Catalog.system("neumann3"), catalogName: "neumann", recipe: recipe, seed: 4, radius: radius))
            XCTAssertEqual(data.count, 128)
            for k in 0..<data.count {
                let q = data.states[(k * 6)..<(k * 6 + 3)]
                XCTAssertEqual(q.reduce(0) { $0 + $1 * $1 }, radius * radius, accuracy: 1e-8 * radius * radius)
            }
        }
        XCTAssertThrowsError(try InitialConditions.recipe(for: "harmonic", sampler: "bondesan"))
        let sj = try InitialConditions.recipe(for: "doublependulum", sampler: "songjeong")
        XCTAssertEqual([sj.samples, sj.trajectories], [200, 10_000])
        XCTAssertEqual(sj.duration, 20)
    }

    func testEveryPaperRecipeSamples() throws {
        for name in ["twobody", "threebody", "sphericalpendulum", "chargedparticle", "doublependulum", "harmonic", "pendulum", "kepler3d", "magneticmirror"] {
            let data = try Dataset.generate(try spec(name, trajectories: 3, samples: 4))
            XCTAssertEqual(data.count, 12, name)
            XCTAssertTrue(data.states.allSatisfy(\.isFinite), name)
        }
        let oscillators = try Dataset.generate(.init(system: try Catalog.system("oscillators"), catalogName: "oscillators",
                                                     recipe: InitialConditions.recipe(for: "oscillators"), seed: 0))
        XCTAssertEqual(oscillators.count, 100 * 500)  // SCNN B.3: 100 initial conditions x 500 points
    }
}

final class PhaseSpaceTests: XCTestCase {
    /// On H = (p^2 + q^2)/2 every method is a linear map: Euler's has det 1 + h^2, so a loop's
    /// area grows by exactly (1 + h^2)^n; the symplectic ones have det 1.
    func testLiouvilleAreaOnTheOscillator() throws {
        let f = try HamiltonianVectorField(hamiltonian: try Expr.parse("(p^2 + q^2)/2"), pairs: [CanonicalPair("q", "p")])
        let (h, n) = (0.05, 200)
        let euler = try PhaseSpaceDiagnostics.liouville(f, integrator: FixedStepIntegrator(.euler, step: h), center: [1, 0.5], radius: 0.3, points: 64, steps: n)
        XCTAssertEqual(euler.finalArea / euler.initialArea, pow(1 + h * h, Double(n)), accuracy: 1e-12)
        for method in [FixedStepMethod.leapfrog, .gl4, .midpoint] {
            let r = try PhaseSpaceDiagnostics.liouville(f, integrator: FixedStepIntegrator(method, step: h), center: [1, 0.5], radius: 0.3, points: 64, steps: n)
            XCTAssertEqual(r.relativeChange, 0, accuracy: 1e-12, "\(method)")
        }
        let rk4 = try PhaseSpaceDiagnostics.liouville(f, integrator: FixedStepIntegrator(.rk4, step: 0.5), center: [1, 0.5], radius: 0.3, points: 64, steps: n)
        XCTAssertLessThan(rk4.relativeChange, -1e-3)  // RK4 contracts areas
        // The polygon of 64 points on a circle of radius 0.3.
        XCTAssertEqual(euler.initialArea, 0.5 * 64 * 0.09 * sin(2 * Double.pi / 64), accuracy: 1e-12)
    }

    /// Two uncoupled oscillators with incommensurate frequencies: the section q2 = 0, p2 > 0
    /// lies on the q1-oscillator's energy circle.
    func testPoincareSectionOfUncoupledOscillators() throws {
        let f = try HamiltonianVectorField(hamiltonian: try Expr.parse("(p1^2 + q1^2)/2 + (p2^2 + 2*q2^2)/2"),
                                           pairs: [CanonicalPair("q1", "p1"), CanonicalPair("q2", "p2")])
        let points = try PhaseSpaceDiagnostics.poincareSection(f, integrator: FixedStepIntegrator(.gl6, step: 0.01), from: [0.6, 0, 0.3, 1], steps: 20_000)
        XCTAssertGreaterThan(points.count, 40)
        let energy = (0.6 * 0.6 + 0.3 * 0.3) / 2
        for (q, p) in points { XCTAssertEqual((q * q + p * p) / 2, energy, accuracy: 1e-5) }
    }
}

final class DormandPrinceTests: XCTestCase {
    /// Dense output against the oscillator's closed form at times that fall inside steps.
    func testDenseOutputMatchesTheClosedForm() throws {
        let f = try HamiltonianVectorField(system: try Catalog.system("harmonic"))  // m = k = 1
        let times = (0...400).map { Double($0) * 0.05 }
        for (tolerance, bound) in [(1e-6, 2e-5), (1e-10, 2e-9)] {
            let traj = try AdaptiveIntegrator(.dopri5, relativeTolerance: tolerance, absoluteTolerance: tolerance).run(f, from: [1, 0.5], times: times)
            XCTAssertEqual(traj.count, times.count)
            if tolerance > 1e-8 {
                XCTAssertLessThan(traj.statistics.steps, times.count / 2, "steps are chosen by error control, not by the sample times")
            }
            for k in 0..<traj.count {
                let t = traj.times[k], x = Array(traj.state(k))
                XCTAssertEqual(x[0], cos(t) + 0.5 * sin(t), accuracy: bound, "t = \(t), tol \(tolerance)")
                XCTAssertEqual(x[1], -sin(t) + 0.5 * cos(t), accuracy: bound)
            }
        }
    }

    /// The interpolant is (at least) 4th order: samples in the middle of single large steps
    /// improve by at least 2^5 per halving of the step (local error O(h^5); on this linear
    /// problem the midpoint value is one order better still).
    func testTheInterpolantIsFourthOrder() throws {
        let f = try HamiltonianVectorField(system: try Catalog.system("harmonic"))
        var errors: [Double] = []
        for h in [0.4, 0.2] {
            // One step of size h (huge tolerances so it is accepted), sampled at h/2.
            let traj = try AdaptiveIntegrator(.dopri5, relativeTolerance: 1, absoluteTolerance: 1, initialStep: h).run(f, from: [1, 0], times: [0, h / 2, h])
            XCTAssertEqual(traj.statistics.steps, 1)
            errors.append(abs(traj.state(1)[traj.state(1).startIndex] - cos(h / 2)))
        }
        XCTAssertGreaterThan(log2(errors[0] / errors[1]), 4.5, "\(errors)")
    }

    func testAgreesWithRk8pdAndStopsAtCollisions() throws {
        let f = try HamiltonianVectorField(system: try Catalog.system("kepler2d"))
        let times = (0...20).map { Double($0) * 0.5 }
        let a = try AdaptiveIntegrator(.dopri5, relativeTolerance: 1e-11, absoluteTolerance: 1e-11).run(f, from: [1, 0, 0, 1.2], times: times)
        let b = try AdaptiveIntegrator(.rk8pd, relativeTolerance: 1e-11, absoluteTolerance: 1e-11).run(f, from: [1, 0, 0, 1.2], times: times)
        for (u, v) in zip(a.states, b.states) { XCTAssertEqual(u, v, accuracy: 1e-8) }
        XCTAssertThrowsError(try AdaptiveIntegrator(.dopri5).run(f, from: [1, 0, 0, 0], times: [0, 0.5, 1.0, 1.5])) { error in
            guard let e = error as? IntegrationError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.time, Double.pi / (2 * 2.0.squareRoot()), accuracy: 1e-3, "\(e)")
            XCTAssertEqual(e.partial?.count, 3)
        }
    }
}
