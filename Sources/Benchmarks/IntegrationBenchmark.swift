import Dynamics
import Foundation
import Symbolic

/// `noether bench integrate`: the workload of `shared/peers/scipy_integrate.py` — 1000 two-body
/// trajectories (SCNN B.1 initial conditions), 50 samples over t ∈ [0, 20], adaptive 8th order
/// at rtol = atol = 1e-10 — and fixed-step RK4 / leapfrog steps per second on kepler3d against a
/// hand-written Swift loop for the same field.
public enum IntegrationBenchmark {
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    public static func run(trajectories: Int = 1000, repeats: Int = 3) throws -> [String] {
        let system = try Catalog.system("twobody")
        let field = try HamiltonianVectorField(system: system, native: true)
        let times = (0..<50).map { 20.0 * Double($0) / 49 }
        let integrator = AdaptiveIntegrator(.rk8pd, relativeTolerance: 1e-10, absoluteTolerance: 1e-10)
        var best = Double.infinity, evaluations = 0, worst = 0.0
        for _ in 0..<max(1, repeats) {
            var rng = SeededGenerator(seed: 0)
            evaluations = 0; worst = 0
            let t = try seconds {
                for _ in 0..<trajectories {
                    let x0 = InitialConditions.twoBodyNearCircular(&rng)
                    let traj = try integrator.run(field, from: x0, times: times)
                    evaluations += traj.statistics.functionEvaluations
                    let e0 = field.energy(x0)
                    for k in 0..<traj.count { worst = max(worst, abs(field.energy(Array(traj.state(k))) - e0) / abs(e0)) }
                }
            }
            best = min(best, t)
        }
        var lines = ["backend: \(field.backend)"]
        lines.append(String(format: "two-body dataset: %.3f s (best of %d; %d trajectories x 50 samples, rk8pd rtol = atol = 1e-10, %d rhs evaluations, worst relative energy error %.2e)",
                            best, repeats, trajectories, evaluations, worst))
        lines += try stepRates()
        return lines
    }

    /// Steps per second of RK4 and leapfrog on kepler3d, compiled field versus hand-written.
    static func stepRates() throws -> [String] {
        let field = try HamiltonianVectorField(system: try Catalog.system("kepler3d"), native: true)
        let interpreted = try HamiltonianVectorField(system: try Catalog.system("kepler3d"))
        let handWritten = HandWrittenKepler()
        let x0 = [1.0, 0, 0, 0, 1, 0.1]
        let steps = 200_000
        var lines: [String] = []
        for method in [FixedStepMethod.rk4, .leapfrog] {
            let integrator = FixedStepIntegrator(method, step: 1e-3)
            var compiled = Double.infinity, manual = Double.infinity, interpreter = Double.infinity
            var check = 0.0
            for _ in 0..<3 {
                compiled = min(compiled, try seconds { check += try integrator.run(field, from: x0, steps: steps, sampleEvery: steps).last[0] })
                interpreter = min(interpreter, try seconds { check += try integrator.run(interpreted, from: x0, steps: steps, sampleEvery: steps).last[0] })
                manual = min(manual, seconds { check += handWritten.run(method, x0, steps: steps, h: 1e-3)[0] })
            }
            lines.append(String(format: "%@ on kepler3d: %.2f M steps/s native, %.2f M steps/s interpreted, %.2f M steps/s hand-written Swift (native/hand-written time ratio %.2f)%@",
                                method.rawValue, Double(steps) / compiled / 1e6, Double(steps) / interpreter / 1e6, Double(steps) / manual / 1e6,
                                compiled / manual, check.isFinite ? "" : " (non-finite check value)"))
        }
        let compiledField = try CompiledFunction(PoissonBracket(try Catalog.system("kepler3d").pairs).vectorField(try Catalog.system("kepler3d").hamiltonian),
                                                 inputs: field.stateNames, constants: ["k": 1])
        lines.append("kepler3d vector field: \(compiledField.instructionCount) instructions after sharing subexpressions")
        return lines
    }

    /// Kepler's field written by hand, with the same two integrators: the baseline.
    struct HandWrittenKepler {
        @inline(__always) func force(_ q: UnsafePointer<Double>, _ f: UnsafeMutablePointer<Double>) {
            let r2 = q[0] * q[0] + q[1] * q[1] + q[2] * q[2]
            let s = -1 / (r2 * r2.squareRoot())
            f[0] = s * q[0]; f[1] = s * q[1]; f[2] = s * q[2]
        }

        func run(_ method: FixedStepMethod, _ x0: [Double], steps: Int, h: Double) -> [Double] {
            var x = x0
            var k1 = [Double](repeating: 0, count: 6), k2 = k1, k3 = k1, k4 = k1, y = k1
            x.withUnsafeMutableBufferPointer { xb in
                let x = xb.baseAddress!
                func field(_ s: UnsafePointer<Double>, _ d: UnsafeMutablePointer<Double>) {
                    d[0] = s[3]; d[1] = s[4]; d[2] = s[5]
                    force(s, d + 3)
                }
                if method == .rk4 {
                    k1.withUnsafeMutableBufferPointer { k1 in k2.withUnsafeMutableBufferPointer { k2 in
                    k3.withUnsafeMutableBufferPointer { k3 in k4.withUnsafeMutableBufferPointer { k4 in
                    y.withUnsafeMutableBufferPointer { y in
                        let (a, b, c, d, e) = (k1.baseAddress!, k2.baseAddress!, k3.baseAddress!, k4.baseAddress!, y.baseAddress!)
                        for _ in 0..<steps {
                            field(x, a)
                            for i in 0..<6 { e[i] = x[i] + 0.5 * h * a[i] }
                            field(e, b)
                            for i in 0..<6 { e[i] = x[i] + 0.5 * h * b[i] }
                            field(e, c)
                            for i in 0..<6 { e[i] = x[i] + h * c[i] }
                            field(e, d)
                            for i in 0..<6 { x[i] += h / 6 * (a[i] + 2 * b[i] + 2 * c[i] + d[i]) }
                        }
                    } } } } }
                } else {
                    k1.withUnsafeMutableBufferPointer { fb in
                        let f = fb.baseAddress!
                        force(x, f)
                        for _ in 0..<steps {
                            for i in 0..<3 { x[3 + i] += 0.5 * h * f[i] }
                            for i in 0..<3 { x[i] += h * x[3 + i] }
                            force(x, f)
                            for i in 0..<3 { x[3 + i] += 0.5 * h * f[i] }
                        }
                    }
                }
            }
            return x
        }
    }
}

/// `noether bench compile`: one evaluation of kepler3d's vector field, compiled (native and
/// interpreted) against the same field written by hand in Swift.
public enum CompileBenchmark {
    /// Best of five: nanoseconds per evaluation, through the protocol (never inlined). Every
    /// output feeds a checksum, so no evaluation can be optimised away.
    /// With `chained`, each input depends on the previous output (x[0] = 1 + 1e-9 f_3, a force component), which is
    /// how an integrator calls a field; otherwise inputs are independent and the hand-written,
    /// inlinable loop overlaps consecutive evaluations.
    @inline(never)
    static func time(_ field: VectorField, _ evaluations: Int, chained: Bool) -> (nanoseconds: Double, checksum: Double) {
        var x: [Double] = [1.0, 0.2, -0.3, 0.1, 0.9, 0.05]
        var out = [Double](repeating: 0, count: 6)
        var best = Double.infinity, checksum = 0.0
        for _ in 0..<5 {
            checksum = 0
            let t = IntegrationBenchmark.seconds {
                x.withUnsafeMutableBufferPointer { xb in out.withUnsafeMutableBufferPointer { ob in
                    for k in 0..<evaluations {
                        xb[0] = chained ? 1.0 + 1e-9 * ob[3] : 1.0 + Double(k & 1023) * 1e-6
                        field.evaluate(xb.baseAddress!, into: ob.baseAddress!)
                        checksum += ob[1] + ob[3] + ob[5] + ob[0] + ob[2] + ob[4]
                    }
                } }
            }
            best = min(best, t)
        }
        return (best / Double(evaluations) * 1e9, checksum)
    }

    public static func run(evaluations: Int = 2_000_000) throws -> [String] {
        let system = try Catalog.system("kepler3d")
        let native = try HamiltonianVectorField(system: system, native: true)
        let interpreted = try HamiltonianVectorField(system: system)
        // Every field is called as integrators call it: through the VectorField protocol.
        let handField = HandWrittenKeplerField()
        var lines = [native.backend == "native" ? "backend: native" : "backend: \(native.backend)"]
        for chained in [true, false] {
            let (tn, cn) = time(native, evaluations, chained: chained), (ti, ci) = time(interpreted, evaluations, chained: chained)
            let (th, ch) = time(handField, evaluations, chained: chained)
            let agree = cn == ci && abs(cn - ch) <= 1e-9 * abs(ch)
            lines.append(String(format: "kepler3d vector field, %@: %.1f ns native, %.1f ns interpreted, %.1f ns hand-written Swift (native/hand-written %.2f, interpreted/hand-written %.2f)%@",
                                chained ? "each input from the previous output (as in integration)" : "independent inputs (throughput)",
                                tn, ti, th, tn / th, ti / th, agree ? "" : " (CHECKSUMS DIFFER)"))
        }
        return lines
    }
}

/// Kepler's field written by hand as a VectorField: the baseline for a compiled field.
/// `@inline(never)`: a function, called as integrators call fields, not code the optimiser may
/// merge into the timing loop.
final class HandWrittenKeplerField: VectorField {
    var dimension: Int { 6 }
    @inline(never)
    func evaluate(_ s: UnsafePointer<Double>, into d: UnsafeMutablePointer<Double>) {
        d[0] = s[3]; d[1] = s[4]; d[2] = s[5]
        let r2 = s[0] * s[0] + s[1] * s[1] + s[2] * s[2]
        let f = -1 / (r2 * r2.squareRoot())
        d[3] = f * s[0]; d[4] = f * s[1]; d[5] = f * s[2]
    }
}
