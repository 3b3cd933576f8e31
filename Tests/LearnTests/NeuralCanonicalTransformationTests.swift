import Dynamics
import Foundation
import Symbolic
import XCTest
@testable import Learn

/// The neural canonical transformation against exact mathematics: (Q, P) ↦ (q, p) is
/// symplectic (JᵀΩJ = Ω, J by reverse mode through the recorded vector–Jacobian product) at
/// random parameters, ln |det ∂F/∂Q| matches a finite-difference Jacobian, the inverse undoes F,
/// and the variational loss on the harmonic chain learns ω_k = 2 sin(πk/(2n+2)) and the exact
/// free energy.
final class NeuralCanonicalTransformationTests: XCTestCase {
    func randomModel(n: Int, seed: UInt64) -> NeuralCanonicalTransformation {
        let m = NeuralCanonicalTransformation(dimension: 2 * n, layers: 4, hidden: 7, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 3)
        for (name, p) in m.parameters where name.hasSuffix("scale") || name == "log_omega" {
            p.value = Tensor(shape: p.value.shape, storage: p.value.storage.map { _ in rng.normal() * 0.5 })
        }
        return m
    }

    func chain(_ n: Int) throws -> Dataset {
        var recipe = InitialConditions.recipe(for: "chain")
        recipe.trajectories = 1
        recipe.samples = 2
        return try Dataset.generate(Dataset.Specification(system: try Catalog.system("chain", options: ["n": n]), catalogName: "chain", recipe: recipe, seed: 0))
    }

    /// J of (Q, P) ↦ (q, p) at one latent point, row k = ∇ of output k.
    func jacobian(_ m: NeuralCanonicalTransformation, at z: [Double]) -> [[Double]] {
        let n = z.count / 2
        let Q = Variable(Tensor(shape: [1, n], storage: Array(z[..<n])), requiresGradient: true)
        let P = Variable(Tensor(shape: [1, n], storage: Array(z[n...])), requiresGradient: true)
        return Recording.with(true) {
            let (q, p) = m.physical(Q, P, m.variables, createGraph: true)
            return (0..<(2 * n)).map { k in
                let pick = Variable(Tensor(shape: [1, n], storage: (0..<n).map { $0 == k % n ? 1 : 0 }))
                let out = ((k < n ? q : p) * pick).sum()
                let g = gradient(of: out, wrt: [Q, P])
                return g[0].value.storage + g[1].value.storage
            }
        }
    }

    func testTheMapIsSymplecticAtRandomParameters() {
        for (n, seed) in [(2, UInt64(1)), (3, 2), (5, 3)] {
            let m = randomModel(n: n, seed: seed)
            var rng = SeededGenerator(seed: seed)
            let J = jacobian(m, at: (0..<(2 * n)).map { _ in rng.normal() })
            var worst = 0.0
            for a in 0..<(2 * n) {
                for b in 0..<(2 * n) {
                    var s = 0.0
                    for k in 0..<n { s += J[k][a] * J[k + n][b] - J[k + n][a] * J[k][b] }
                    let omega: Double = b == a + n && a < n ? 1 : (a == b + n && b < n ? -1 : 0)
                    worst = max(worst, abs(s - omega))
                }
            }
            XCTAssertLessThan(worst, 1e-12, "n = \(n)")
            // Not the identity: the random scales make F nonlinear.
            XCTAssertGreaterThan(abs(J[0][0] - 1) + abs(J[0][1]), 1e-3)
        }
    }

    /// The shapes a checkpoint's spec is checked against, computed without building the model,
    /// are the built model's (odd and even n, so the halves differ).
    func testParameterShapesWithoutBuilding() throws {
        for (d, layers, hidden) in [(6, 3, 5), (8, 2, 4), (10, 1, 3)] {
            let m = NeuralCanonicalTransformation(dimension: d, layers: layers, hidden: hidden, seed: 0)
            let shapes = NeuralCanonicalTransformation.parameterShapes(dimension: d, layers: layers, hidden: hidden)
            XCTAssertEqual(shapes.map(\.name), m.parameters.map(\.name))
            XCTAssertEqual(shapes.map(\.shape), m.parameters.map(\.value.shape))
            XCTAssertEqual(try ModelRegistry.entry("nct").parameterShapes(m.spec).map(\.shape), shapes.map(\.shape))
        }
    }

    func testLogDeterminantAndInverse() {
        let n = 4, m = randomModel(n: n, seed: 9)
        var rng = SeededGenerator(seed: 4)
        let Q = (0..<n).map { _ in rng.normal() }
        func F(_ x: [Double]) -> [Double] { Recording.with(false) { m.forward(Variable(Tensor(shape: [1, n], storage: x)), m.variables).q.value.storage } }
        let h = 1e-6
        var J = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for j in 0..<n {
            var up = Q, down = Q
            up[j] += h; down[j] -= h
            let (a, b) = (F(up), F(down))
            for i in 0..<n { J[i][j] = (a[i] - b[i]) / (2 * h) }
        }
        // det by Gaussian elimination with partial pivoting.
        var A = J, det = 1.0
        for c in 0..<n {
            let pivot = (c..<n).max { abs(A[$0][c]) < abs(A[$1][c]) }!
            if pivot != c { A.swapAt(pivot, c); det = -det }
            det *= A[c][c]
            for r in (c + 1)..<n { let f = A[r][c] / A[c][c]; for k in c..<n { A[r][k] -= f * A[c][k] } }
        }
        let logDet = Recording.with(false) { m.forward(Variable(Tensor(shape: [1, n], storage: Q)), m.variables).logDet.value.scalar }
        XCTAssertGreaterThan(abs(logDet), 1e-2)
        XCTAssertEqual(logDet, log(abs(det)), accuracy: 1e-8)
        let back = Recording.with(false) { m.inverse(Variable(Tensor(shape: [1, n], storage: F(Q))), m.variables).value.storage }
        for i in 0..<n { XCTAssertEqual(back[i], Q[i], accuracy: 1e-12) }
    }

    /// The harmonic chain of n = 4 at β = 1: the sorted learned ω_k within 5 % of
    /// 2 sin(πk/10), and the loss (β F_var, on the test noise) within 1 % of −ln Z.
    func testTheChainsFrequenciesAndFreeEnergy() throws {
        let n = 4, data = try chain(n)
        let m = NeuralCanonicalTransformation(dimension: 2 * n, layers: 4, hidden: 32, seed: 1)
        let source = m.batchSource(for: data)
        try source.validate()
        let exact = (1...n).map { 2 * sin(Double.pi * Double($0) / Double(2 * n + 2)) }
        let freeEnergy = NeuralCanonicalTransformation.harmonicFreeEnergy(frequencies: exact, beta: 1)
        let optimizer = Adam(learningRate: 1e-2)
        _ = try train(m, on: source, options: TrainingOptions(steps: 1500, batchSize: 128, learningRate: 1e-2, seed: 2), optimizer: optimizer)
        optimizer.learningRate = 1e-3
        let report = try train(m, on: source, options: TrainingOptions(steps: 1000, batchSize: 256, learningRate: 1e-3, seed: 3), optimizer: optimizer)
        // The per-sample estimate is the test loss (β = 1), with a standard error.
        let estimate = try m.freeEnergy(on: data)
        XCTAssertEqual(estimate.value, try XCTUnwrap(report.testLoss), accuracy: 1e-9)
        XCTAssertLessThan(estimate.standardError, 0.05)
        let learned = m.omega.sorted()
        for (w, e) in zip(learned, exact) { XCTAssertEqual(w, e, accuracy: 0.05 * e, "learned \(learned), exact \(exact)") }
        let test = try XCTUnwrap(report.testLoss)
        XCTAssertEqual(test, freeEnergy, accuracy: 0.01 * abs(freeEnergy), "F_var \(test), F \(freeEnergy)")
    }
}
