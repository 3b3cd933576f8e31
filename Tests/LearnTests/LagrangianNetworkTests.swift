import CKernels
import Dynamics
import Foundation
import Symbolic
import XCTest
@testable import Learn

/// LNNs against exact mathematics: the accelerations are the Euler–Lagrange equations of the
/// network's own Lagrangian written out symbolically and differentiated by Symbolic; the loss's
/// gradient is the finite differences'; the kinematics of a (q, p) dataset convert both ways; a
/// singular mass matrix stops training with the parameters it had.
final class LagrangianNetworkTests: XCTestCase {
    func randomNet(n: Int, hidden: Int, layers: Int, kinematics: LegendreKinematics? = nil, seed: UInt64) -> LagrangianNeuralNetwork {
        let m = LagrangianNeuralNetwork(dimension: 2 * n, hidden: hidden, layers: layers, kinematics: kinematics, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 3)
        for p in m.variables { p.value = Tensor(shape: p.shape, storage: p.value.storage.map { _ in rng.normal() * 0.8 }) }
        return m
    }

    /// L_θ as an expression of q1…qn, v1…vn: softplus(z) = log(1 + exp(z)) layer by layer.
    func symbolicLagrangian(_ m: LagrangianNeuralNetwork, names: [String]) throws -> Expr {
        var h = names.map { Expr.symbol($0) }
        let θ = m.network.parameters.map(\.value)
        let layers = θ.count / 2
        for k in 0..<layers {
            let W = θ[2 * k], b = θ[2 * k + 1]
            let (rows, columns) = (W.shape[0], W.shape[1])
            var next: [Expr] = []
            for j in 0..<columns {
                var terms: [Expr] = [Expr.float(b.storage[j])]
                for i in 0..<rows {
                    let w: Expr = Expr.float(W.storage[i * columns + j])
                    terms.append(w * h[i])
                }
                let z: Expr = Expr.sum(terms)
                let one: Expr = Expr.integer(1)
                next.append(k < layers - 1 ? Expr.apply(.log, one + Expr.apply(.exp, z)) : z)
            }
            h = next
        }
        return h[0]
    }

    func testAccelerationsAreTheEulerLagrangeEquationsOfTheSymbolicLagrangian() throws {
        let n = 2
        let m = randomNet(n: n, hidden: 5, layers: 2, seed: 1)
        let q = (1...n).map { "q\($0)" }, v = (1...n).map { "v\($0)" }
        let L = try symbolicLagrangian(m, names: q + v)
        // A_ij = ∂²L/∂v_i∂v_j, B_ij = ∂²L/∂v_i∂q_j, and ∂L/∂q_i, exactly.
        let A = v.flatMap { a in v.map { b in L.diff(a).diff(b) } }
        let B = v.flatMap { a in q.map { b in L.diff(a).diff(b) } }
        let dLdq = q.map { L.diff($0) }
        let evaluator = try SampleEvaluator(A + B + dLdq, variables: q + v)
        var rng = SeededGenerator(seed: 7)
        let rows = 6
        let s = (0..<(rows * 2 * n)).map { _ in rng.normal() }
        let values = evaluator.values(rows: s, count: rows)
        let predicted = m.accelerations(Tensor(shape: [rows, 2 * n], storage: s), createGraph: false).value.value.storage
        for r in 0..<rows {
            let a = (0..<(n * n)).map { values[$0][r] }, b = (0..<(n * n)).map { values[n * n + $0][r] }
            let qdot = Array(s[(r * 2 * n + n)..<(r * 2 * n + 2 * n)])
            // q̈ = A⁻¹(∂L/∂q − B q̇), 2 × 2 by Cramer's rule.
            let rhs = (0..<n).map { i in values[2 * n * n + i][r] - (0..<n).reduce(0.0) { $0 + b[i * n + $1] * qdot[$1] } }
            let det = a[0] * a[3] - a[1] * a[2]
            let exact = [(a[3] * rhs[0] - a[1] * rhs[1]) / det, (a[0] * rhs[1] - a[2] * rhs[0]) / det]
            for i in 0..<n {
                XCTAssertEqual(predicted[r * n + i], exact[i], accuracy: 1e-9 * max(1, abs(exact[i])), "row \(r), component \(i)")
            }
        }
    }

    func testLossGradientMatchesFiniteDifferences() throws {
        let n = 2
        let m = randomNet(n: n, hidden: 4, layers: 2, seed: 2)
        var rng = SeededGenerator(seed: 11)
        let rows = 5
        let x = Tensor(shape: [rows, 2 * n], storage: (0..<(rows * 2 * n)).map { _ in rng.normal() })
        let dx = Tensor(shape: [rows, 2 * n], storage: (0..<(rows * 2 * n)).map { _ in rng.normal() })
        let batch = Batch(["x": x, "dx": dx])
        let loss = { () throws -> Double in try Recording.with(false) { try m.losses(batch)["mse"]!.value.scalar } }
        let grads = try Recording.with(true) { gradient(of: try m.losses(batch)["mse"]!, wrt: m.variables) }
        let eps = 1e-6
        var checked = 0
        for (p, g) in zip(m.variables, grads) {
            for k in stride(from: 0, to: p.value.count, by: 3) {
                let original = p.value.storage[k]
                p.value.storage[k] = original + eps; let up = try loss()
                p.value.storage[k] = original - eps; let down = try loss()
                p.value.storage[k] = original
                let fd = (up - down) / (2 * eps)
                XCTAssertEqual(g.value.storage[k], fd, accuracy: 1e-5 * max(1, abs(fd)), "parameter entry \(k) of shape \(p.shape)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 10)
    }

    /// y = A⁻¹ r and y = A⁻ᵀ r: values and both gradients by central differences.
    func testSolveAndItsGradients() {
        var rng = SeededGenerator(seed: 5)
        let batch = 3, n = 3
        let A0 = (0..<(batch * n * n)).map { k in rng.normal() + ((k % (n * n)) % (n + 1) == 0 ? 3 : 0) }
        let r0 = (0..<(batch * n)).map { _ in rng.normal() }
        let w = Variable(Tensor(shape: [batch, n], storage: (0..<(batch * n)).map { _ in rng.normal() }))
        for transposed in [false, true] {
            let f = { (a: [Double], r: [Double]) -> Double in
                let y = BatchedLinearSystem.solve(Tensor(shape: [batch, n, n], storage: a), Tensor(shape: [batch, n], storage: r), transposed: transposed)
                return zip(y.storage, w.value.storage).reduce(0) { $0 + $1.0 * $1.1 }
            }
            let A = Variable(Tensor(shape: [batch, n, n], storage: A0), requiresGradient: true)
            let r = Variable(Tensor(shape: [batch, n], storage: r0), requiresGradient: true)
            let y = Variable.solve(A, r, transposed: transposed)
            // The residual of the system itself.
            for b in 0..<batch {
                for i in 0..<n {
                    let row = (0..<n).reduce(0.0) { s, j in s + (transposed ? A0[b * n * n + j * n + i] : A0[b * n * n + i * n + j]) * y.value.storage[b * n + j] }
                    XCTAssertEqual(row, r0[b * n + i], accuracy: 1e-12)
                }
            }
            let (gA, gr) = { let g = gradient(of: (y * w).sum(), wrt: [A, r]); return (g[0].value.storage, g[1].value.storage) }()
            let eps = 1e-6
            for k in 0..<A0.count {
                var up = A0, down = A0; up[k] += eps; down[k] -= eps
                XCTAssertEqual(gA[k], (f(up, r0) - f(down, r0)) / (2 * eps), accuracy: 1e-7, "dA \(k), transposed \(transposed)")
            }
            for k in 0..<r0.count {
                var up = r0, down = r0; up[k] += eps; down[k] -= eps
                XCTAssertEqual(gr[k], (f(A0, up) - f(A0, down)) / (2 * eps), accuracy: 1e-7, "dr \(k), transposed \(transposed)")
            }
        }
    }

    func testReciprocalCondition() {
        let A = Tensor(shape: [3, 2, 2], storage: [2, 0, 0, 2,  1, 1, 1, 1,  1, 0, 0, 1e-13])
        let rc = BatchedLinearSystem.reciprocalCondition(A)
        XCTAssertEqual(rc[0], 1, accuracy: 1e-15)
        XCTAssertEqual(rc[1], 0)
        XCTAssertEqual(rc[2], 1e-13, accuracy: 1e-20)
        // A 1 x 1 matrix near 0 is well conditioned alone; against the batch's size it is not.
        let scalars = Tensor(shape: [2, 1, 1], storage: [2, 1e-12])
        XCTAssertEqual(BatchedLinearSystem.reciprocalCondition(scalars), [1, 1])
        let relative = BatchedLinearSystem.reciprocalCondition(scalars, scale: BatchedLinearSystem.largestNorm(scalars))
        XCTAssertEqual(relative[0], 1, accuracy: 1e-15)
        XCTAssertEqual(relative[1], 5e-13, accuracy: 1e-25)
    }

    /// Kepler in polar coordinates, H = p_r²/2 + p_θ²/(2r²) − 1/r: q̇ = (p_r, p_θ/r²), and the
    /// field the model predicts in (q, p) converts back to its own q̈ = H_pq q̇ + H_pp ṗ.
    func testKinematicsConvertBothWays() throws {
        let h = try Expr.parse("pr^2/2 + pt^2/(2*r^2) - 1/r")
        let kinematics = try LegendreKinematics(hamiltonian: h, coordinates: ["r", "t", "pr", "pt"])
        let m = randomNet(n: 2, hidden: 6, layers: 2, kinematics: kinematics, seed: 3)
        let x = Tensor([[1.2, 0.3, 0.1, 0.9], [0.8, -1.0, -0.4, 1.1]])
        let k = kinematics.evaluate(x)
        for (a, b) in zip(k.velocity.storage, [0.1, 0.9 / (1.2 * 1.2), -0.4, 1.1 / (0.8 * 0.8)]) { XCTAssertEqual(a, b, accuracy: 1e-15) }
        let f = m.predict(x, createGraph: false).value
        XCTAssertEqual(Array(f.storage[0..<2]), [0.1, 0.9 / 1.44])
        let s = m.velocityState(x)
        let qdd = m.accelerations(s, createGraph: false).value.value.storage
        for r in 0..<2 {
            let pdot = [f.storage[r * 4 + 2], f.storage[r * 4 + 3]]
            let qdot = Array(k.velocity.storage[(r * 2)..<(r * 2 + 2)])
            for i in 0..<2 {
                var back = 0.0
                for j in 0..<2 { back += k.mixed.storage[r * 4 + i * 2 + j] * qdot[j] + k.hessian.storage[r * 4 + i * 2 + j] * pdot[j] }
                XCTAssertEqual(back, qdd[r * 2 + i], accuracy: 1e-10 * max(1, abs(qdd[r * 2 + i])))
            }
        }
        // The training targets against the closed-form Euler-Lagrange equations of polar Kepler,
        // L = (rdot^2 + r^2 tdot^2)/2 + 1/r: rddot = r tdot^2 - 1/r^2, tddot = -2 rdot tdot / r,
        // with the data's dx/dt from Hamilton's equations.
        var dx: [Double] = []
        for row in 0..<2 {
            let (r, pr, pt) = (x.storage[row * 4], x.storage[row * 4 + 2], x.storage[row * 4 + 3])
            dx += [pr, pt / (r * r), pt * pt / (r * r * r) - 1 / (r * r), 0]
        }
        let targets = m.accelerationTargets(x, Tensor(shape: [2, 4], storage: dx)).storage
        for row in 0..<2 {
            let r = x.storage[row * 4], rdot = dx[row * 4], tdot = dx[row * 4 + 1]
            XCTAssertEqual(targets[row * 2], r * tdot * tdot - 1 / (r * r), accuracy: 1e-13)
            XCTAssertEqual(targets[row * 2 + 1], -2 * rdot * tdot / r, accuracy: 1e-13)
        }
        // A Hamiltonian linear in p has no Lagrangian in (q, qdot).
        XCTAssertThrowsError(try LegendreKinematics(hamiltonian: try Expr.parse("p*q"), coordinates: ["q", "p"])) { e in
            XCTAssert("\(e)".contains("cannot be inverted"), "\(e)")
        }
    }

    /// L independent of q̇ (its q̇ input weights zero) has A = 0: the first step stops, the
    /// parameters stay the ones it started from, all finite.
    func testSingularMassMatrixStopsTrainingAndKeepsTheParameters() throws {
        let m = LagrangianNeuralNetwork(dimension: 2, hidden: 8, layers: 2, seed: 4)
        m.network.parameters[0].value.storage[8..<16] = ArraySlice(repeating: 0, count: 8)
        let before = m.variables.map(\.value)
        let rows = 16
        var recipe = InitialConditions.recipe(for: "harmonic")
        recipe.trajectories = 2
        recipe.samples = rows
        let data = try Dataset.generate(.init(system: try Catalog.system("harmonic"), catalogName: "harmonic", recipe: recipe, seed: 3))
        let report = try train(m, on: data, options: TrainingOptions(steps: 20, learningRate: 1e-3, seed: 0))
        XCTAssert(report.stoppedEarly?.contains("training stopped at step 1 of 20: the learned mass matrix d2L/dqdot2 is singular") ?? false, report.stoppedEarly ?? "not stopped")
        XCTAssert(report.stoppedEarly?.contains("no step passed") ?? false)
        XCTAssertEqual(m.variables.map(\.value), before)
    }
}

/// The pair histogram's kernel: a distance one ulp below rmax can divide to bin index `bins`;
/// it must not be written past the bins (a sentinel after them stays 0).
final class PairHistogramKernelTests: XCTestCase {
    func testADistanceJustBelowRmaxStaysInsideTheBins() {
        // A separation d whose distance, as the kernel computes it (sqrt(d·d)), is below rmax but
        // divides by the bin width rmax/bins to `bins` or more.
        var found: (d: Double, rmax: Double, bins: Int)?
        search: for bins in [3, 7, 40, 100] {
            for k in 1...2000 {
                let rmax = 0.01 * Double(k) + 0.0137, d = rmax.nextDown
                let r = (d * d).squareRoot()
                if r < rmax && r / (rmax / Double(bins)) >= Double(bins) { found = (d, rmax, bins); break search }
            }
        }
        guard let (d, rmax, bins) = found else { return XCTFail("no rmax found where the rounding reaches index bins") }
        let x: [Double] = [0, 0, d, 0]
        var counts = [Double](repeating: 0, count: bins + 1)
        nk_pair_histogram(2, x, 100, rmax, Int32(bins), &counts)
        XCTAssertEqual(counts[bins], 0, "written past the bins (rmax \(rmax), bins \(bins))")
    }
}

/// σ⁽ᵏ⁾ as fused operations (k ≤ 3) and composed ones (k ≥ 4) against central differences of the
/// order below, and their recorded gradients against the next order.
final class SigmoidDerivativeTests: XCTestCase {
    func testEachOrderIsTheDerivativeOfTheOneBelow() {
        let xs: [Double] = [-3.1, -0.7, 0, 0.4, 2.2]
        let x = Tensor(xs)
        let e = 1e-5
        for k in 1...5 {
            let value = Variable(x).sigmoidDerivative(k).value.storage
            let up = Variable(x.map { $0 + e }), down = Variable(x.map { $0 - e })
            let below = { (v: Variable) in k == 1 ? v.sigmoid().value.storage : v.sigmoidDerivative(k - 1).value.storage }
            let (a, b) = (below(up), below(down))
            for i in xs.indices { XCTAssertEqual(value[i], (a[i] - b[i]) / (2 * e), accuracy: 1e-8, "order \(k) at \(xs[i])") }
            // The recorded gradient of order k is order k + 1.
            let input = Variable(x, requiresGradient: true)
            let g = gradient(of: input.sigmoidDerivative(k).sum(), wrt: [input])[0].value.storage
            let next = Variable(x).sigmoidDerivative(k + 1).value.storage
            for i in xs.indices { XCTAssertEqual(g[i], next[i], accuracy: 1e-12, "gradient of order \(k)") }
        }
    }
}
