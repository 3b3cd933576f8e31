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

    // MARK: Maximum likelihood

    /// Samples of the chain's Boltzmann density at β = 1, exactly: normal-mode amplitudes
    /// Q_k ~ N(0, 1/ω_k²) on the modes sqrt(2/(n+1)) sin(π i k/(n+1)); configurations only.
    func chainSamples(_ n: Int, count: Int, seed: UInt64) -> Dataset {
        var rng = SeededGenerator(seed: seed)
        let w = (1...n).map { 2 * sin(Double.pi * Double($0) / Double(2 * n + 2)) }
        var values: [Double] = []
        for _ in 0..<count {
            let Q = w.map { rng.normal() / $0 }
            for i in 1...n {
                values.append((1...n).reduce(0.0) { $0 + (2 / Double(n + 1)).squareRoot() * sin(Double.pi * Double(i * $1) / Double(n + 1)) * Q[$1 - 1] })
            }
        }
        return Dataset.samples(system: "chain-samples", names: (1...n).map { "q\($0)" }, values: values, isTest: (0..<count).map { $0 % 5 == 4 })
    }

    /// The likelihood of a phase-space point is the latent Gaussian at its image: latent points
    /// mapped out by `physical` and back by the likelihood's inverse and pullback give
    /// −ln N(Q; 0, 1/(βω²)) − ln N(P; 0, 1/β), at random parameters.
    func testTheLikelihoodIsTheLatentDensityAtTheImage() {
        let n = 3, beta = 0.7
        let m = NeuralCanonicalTransformation(dimension: 2 * n, layers: 4, hidden: 7, beta: beta, objective: .likelihood, seed: 4)
        var rng = SeededGenerator(seed: 9)
        for p in m.variables where p.shape[0] == 1 { p.value = Tensor(shape: p.shape, storage: p.value.storage.map { _ in rng.normal() * 0.5 }) }
        let rows = 5
        let Q = (0..<(rows * n)).map { _ in rng.normal() }, P = (0..<(rows * n)).map { _ in rng.normal() }
        let (q, p) = m.physical(Variable(Tensor(shape: [rows, n], storage: Q)), Variable(Tensor(shape: [rows, n], storage: P)), m.variables, createGraph: false)
        let nll = m.negativeLogLikelihood(q.value, p.value, m.variables, createGraph: false)
        let w = m.omega
        for r in 0..<rows {
            var expected = 0.0
            for k in 0..<n {
                let (a, b) = (Q[r * n + k], P[r * n + k])
                expected -= log(beta * w[k] / (2 * Double.pi)) - beta * (b * b + w[k] * w[k] * a * a) / 2
            }
            XCTAssertEqual(nll.rows[r], expected, accuracy: 1e-9 * max(1, abs(expected)))
        }
        XCTAssertEqual(nll.mean.value.scalar, nll.rows.reduce(0, +) / Double(rows), accuracy: 1e-10)
    }

    /// The likelihood's gradient (through the recorded pullback P = (∂F/∂Q)ᵀ p) against central
    /// differences, for parameters of every kind.
    func testTheLikelihoodGradientMatchesFiniteDifferences() throws {
        let n = 3
        let m = NeuralCanonicalTransformation(dimension: 2 * n, layers: 2, hidden: 5, objective: .likelihood, seed: 6)
        var rng = SeededGenerator(seed: 2)
        for p in m.variables where p.shape[0] == 1 { p.value = Tensor(shape: p.shape, storage: p.value.storage.map { _ in rng.normal() * 0.3 }) }
        let rows = 4
        let q = Tensor(shape: [rows, n], storage: (0..<(rows * n)).map { _ in rng.normal() })
        let p = Tensor(shape: [rows, n], storage: (0..<(rows * n)).map { _ in rng.normal() })
        let batch = Batch(["q": q, "p": p])
        let θ = m.variables
        let grads = try Recording.with(true) { gradient(of: try m.losses(batch, at: nil)["likelihood"]!, wrt: θ) }
        func loss() throws -> Double { try Recording.with(false) { try m.losses(batch, at: nil)["likelihood"]!.value.scalar } }
        var checked = 0
        for (k, v) in θ.enumerated() where k % 3 == 0 || k == θ.count - 1 {
            let i = v.value.storage.count / 2, h = 1e-6, x = v.value.storage[i]
            v.value.storage[i] = x + h; let up = try loss()
            v.value.storage[i] = x - h; let down = try loss()
            v.value.storage[i] = x
            XCTAssertEqual(grads[k].value.storage[i], (up - down) / (2 * h), accuracy: 1e-6 * max(1, abs(up)), "parameter \(m.parameters[k].name)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 4)
    }

    /// Maximum likelihood on exact Boltzmann samples of the chain (n = 4, configurations only,
    /// momenta drawn by the source) learns its normal-mode frequencies to 5 %: the data-driven
    /// route to the same spectrum as the variational one.
    func testLikelihoodOnChainSamplesLearnsTheFrequencies() throws {
        let n = 4, data = chainSamples(n, count: 2000, seed: 5)
        let m = NeuralCanonicalTransformation(dimension: 2 * n, layers: 4, hidden: 32, objective: .likelihood, seed: 1)
        let source = m.batchSource(for: data)
        try source.validate()
        let optimizer = Adam(learningRate: 1e-2)
        _ = try train(m, on: source, options: TrainingOptions(steps: 1500, batchSize: 128, learningRate: 1e-2, seed: 2), optimizer: optimizer)
        optimizer.learningRate = 1e-3
        _ = try train(m, on: source, options: TrainingOptions(steps: 1000, batchSize: 256, learningRate: 1e-3, seed: 3), optimizer: optimizer)
        let exact = (1...n).map { 2 * sin(Double.pi * Double($0) / Double(2 * n + 2)) }
        let learned = m.omega.sorted()
        for (w, e) in zip(learned, exact) { XCTAssertEqual(w, e, accuracy: 0.05 * e, "learned \(learned), exact \(exact)") }
        // The held-out NLL is near the exact density's entropy, −ln Z + β⟨H⟩ = −ln Z + n.
        let splits = try m.negativeLogLikelihood(on: data)
        let test = try XCTUnwrap(splits.first { $0.split == "test" })
        let entropy = NeuralCanonicalTransformation.harmonicFreeEnergy(frequencies: exact, beta: 1) * -1 + Double(n)
        XCTAssertEqual(test.value, entropy, accuracy: 0.05 * abs(entropy) + 3 * test.standardError, "NLL \(test.value), exact entropy \(entropy)")
    }

    /// Samples with a non-finite coordinate, or none to train on, are refused by name.
    func testBadSamplesAreRefused() {
        var data = chainSamples(2, count: 10, seed: 1)
        data.states[7] = .nan
        let source = PhaseSpaceSamples(data, beta: 1, dequantize: 0)
        XCTAssertThrowsError(try source.validate()) { XCTAssertTrue("\($0)".contains("sample 4, coordinate q2, is not finite"), "\($0)") }
        let none = PhaseSpaceSamples(Dataset.samples(system: "x", names: ["a", "b"], values: [1, 2], isTest: [true]), beta: 1, dequantize: 0)
        XCTAssertThrowsError(try none.validate()) { XCTAssertTrue("\($0)".contains("no train rows"), "\($0)") }
    }

    /// ∂Q_k/∂q_i of the inverse map against central differences of Q = F⁻¹(q), per row.
    func testLatentJacobianMatchesFiniteDifferences() {
        let n = 3, m = randomModel(n: n, seed: 8)
        var rng = SeededGenerator(seed: 4)
        let rows = 4
        let q = (0..<(rows * n)).map { _ in rng.normal() }
        let J = m.latentJacobian(Tensor(shape: [rows, n], storage: q), indices: [2, 0])
        let h = 1e-6
        for (slot, k) in [2, 0].enumerated() {
            for r in 0..<rows {
                for i in 0..<n {
                    var up = q, down = q
                    up[r * n + i] += h; down[r * n + i] -= h
                    let a = m.latentConfigurations(Tensor(shape: [rows, n], storage: up)).storage[r * n + k]
                    let b = m.latentConfigurations(Tensor(shape: [rows, n], storage: down)).storage[r * n + k]
                    XCTAssertEqual(J[slot].storage[r * n + i], (a - b) / (2 * h), accuracy: 1e-7)
                }
            }
        }
    }

    /// The one-sweep p = (∂F/∂Q)^{-T} P against its definition, ∇_q [P · F⁻¹(q)] through the
    /// inverse map, to rounding, with and without a recorded graph; and the parameter gradient
    /// of a loss on p through both routes.
    func testMomentaInOneSweepEqualTheInverseMapsProduct() {
        let n = 5, rows = 3, m = randomModel(n: n, seed: 12)
        var rng = SeededGenerator(seed: 13)
        let Q = Variable(Tensor(shape: [rows, n], storage: (0..<(rows * n)).map { _ in rng.normal() }))
        let P = Variable(Tensor(shape: [rows, n], storage: (0..<(rows * n)).map { _ in rng.normal() }))
        func byInverse(createGraph: Bool) -> Variable {
            Recording.with(true) {
                let q0 = m.forward(Q, m.variables).q
                let q = createGraph ? q0 : Variable(q0.value, requiresGradient: true)
                return gradient(of: (P * m.inverse(q, m.variables)).sum(), wrt: [q], createGraph: createGraph)[0]
            }
        }
        let swept = m.physical(Q, P, m.variables, createGraph: false).p.value.storage
        for (a, b) in zip(swept, byInverse(createGraph: false).value.storage) { XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(b))) }
        // A loss on p, differentiated for θ both ways.
        let θ = m.variables
        let g1 = Recording.with(true) { gradient(of: { (p: Variable) in (p * p).sum() }(m.physical(Q, P, θ, createGraph: true).p), wrt: θ) }
        let g2 = Recording.with(true) { gradient(of: { (p: Variable) in (p * p).sum() }(byInverse(createGraph: true)), wrt: θ) }
        var worst = 0.0
        for (a, b) in zip(g1, g2) { for (x, y) in zip(a.value.storage, b.value.storage) { worst = max(worst, abs(x - y) / max(1, abs(y))) } }
        XCTAssertLessThan(worst, 1e-10)
    }

    /// Draws of configuration samples: q is the row plus uniform noise in [0, w), fresh per item;
    /// the momenta have variance 1/β; the whole split is every train row once.
    func testSampleDrawsDequantizeAndDrawMomenta() {
        let data = Dataset.samples(system: "s", names: ["a", "b"], values: [3, 7, 1, 2], isTest: [false, false])
        let beta = 4.0, w = 0.5
        let source = PhaseSpaceSamples(data, beta: beta, dequantize: w)
        let items = Array(0..<20_000)
        let batch = source.batch(items)
        let q = batch["q"]!.storage, p = batch["p"]!.storage
        for (k, item) in items.enumerated() {
            let row = item % 2
            for i in 0..<2 {
                let offset = q[k * 2 + i] - data.states[row * 2 + i]
                XCTAssertTrue(offset >= 0 && offset < w, "item \(item): \(offset)")
            }
        }
        XCTAssertNotEqual(q[0], q[4], "items 0 and 2 draw the same row with different noise")
        let variance = p.reduce(0) { $0 + $1 * $1 } / Double(p.count)
        XCTAssertEqual(variance, 1 / beta, accuracy: 0.02 / beta)
        let mean = q.enumerated().filter { $0.offset % 4 == 0 }.map(\.element).reduce(0, +) / Double(items.count / 2)
        XCTAssertEqual(mean, 3 + w / 2, accuracy: 0.01)
        XCTAssertEqual(source.trainingBatch["q"]!.shape, [2, 2])
        XCTAssertNil(source.testBatch)
        XCTAssertEqual(source.count, 1 << 40)
    }

    /// Past 4096 rows the maps and the Jacobian run in chunks: the same values, row for row, as
    /// each row on its own.
    func testChunkedMapsEqualRowByRow() {
        let n = 2, m = randomModel(n: n, seed: 21)
        var rng = SeededGenerator(seed: 22)
        let rows = 4096 + 37
        let q = Tensor(shape: [rows, n], storage: (0..<(rows * n)).map { _ in rng.normal() })
        let Q = m.latentConfigurations(q), back = m.configurations(Q), J = m.latentJacobian(q, indices: [1])[0]
        XCTAssertEqual(Q.shape, [rows, n])
        for r in [0, 4095, 4096, rows - 1] {
            let row = Tensor(shape: [1, n], storage: Array(q.storage[(r * n)..<(r * n + n)]))
            XCTAssertEqual(Array(Q.storage[(r * n)..<(r * n + n)]), m.latentConfigurations(row).storage, "row \(r)")
            XCTAssertEqual(Array(J.storage[(r * n)..<(r * n + n)]), m.latentJacobian(row, indices: [1])[0].storage, "row \(r)")
            for i in 0..<n { XCTAssertEqual(back.storage[r * n + i], q.storage[r * n + i], accuracy: 1e-10) }
        }
    }
}
