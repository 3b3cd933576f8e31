import Dynamics
import Foundation
import Symbolic
import XCTest
import CKernels
@testable import Learn

/// The deep symplectic flow against exact mathematics: JᵀΩJ = Ω for each layer alone and for
/// whole flows at random parameters and points (the Jacobian by one exact pullback per row,
/// not by differences), the irrotational MLP's symmetric Jacobian, the inverse, θ's gradient
/// against central differences, eq. 14 on exact circles, and training on Neumann trajectories.
final class SymplecticFlowTests: XCTestCase {
    /// A flow with every parameter drawn at random (scales, shears, offsets and moving centres
    /// too, which start at zero), so no layer is the identity.
    func randomFlow(dimension: Int = 6, blocks: Int = 2, hidden: Int = 9, reflections: Int = 2, couplings: Int = 2, seed: UInt64) -> SymplecticFlow {
        let flow = SymplecticFlow(dimension: dimension, blocks: blocks, hidden: hidden, reflections: reflections, couplings: couplings, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 99)
        for (name, p) in flow.parameters {
            let spread = name.hasSuffix("scale") || name.hasSuffix("shear") ? 0.4 : 1.0
            p.value = Tensor(shape: p.value.shape, storage: p.value.storage.map { _ in rng.normal() * spread })
        }
        return flow
    }

    /// max |JᵀΩJ − Ω| for the Jacobian rows J[k] = ∇z_k.
    func symplecticDefect(_ J: [[Double]]) -> Double {
        let d = J.count, n = d / 2
        // (JᵀΩJ)_ab = Σ_k J_ka (ΩJ)_kb with (Ωv)_i = v_{i+n}, (Ωv)_{i+n} = −v_i.
        var worst = 0.0
        for a in 0..<d {
            for b in 0..<d {
                var s = 0.0
                for k in 0..<n { s += J[k][a] * J[k + n][b] - J[k + n][a] * J[k][b] }
                let omega: Double = b == a + n && a < n ? 1 : (a == b + n && b < n ? -1 : 0)
                worst = max(worst, abs(s - omega))
            }
        }
        return worst
    }

    func randomPoint(_ d: Int, _ rng: inout SeededGenerator) -> [Double] { (0..<d).map { _ in rng.normal() * 1.5 } }

    func testWholeFlowsAreSymplecticAtRandomParametersAndPoints() {
        var rng = SeededGenerator(seed: 5)
        for (seed, shape) in [(1, (6, 4, 2, 2)), (2, (6, 4, 1, 3)), (3, (4, 3, 2, 1)), (4, (2, 4, 2, 1)), (5, (8, 2, 2, 2))].map({ (UInt64($0), $1) }) {
            let flow = randomFlow(dimension: shape.0, blocks: shape.1, reflections: shape.3, couplings: shape.2, seed: seed)
            for _ in 0..<5 {
                let defect = symplecticDefect(flow.jacobian(at: randomPoint(shape.0, &rng)))
                XCTAssertLessThan(defect, 1e-12, "flow \(shape): |JᵀΩJ − Ω| = \(defect)")
            }
        }
    }

    /// Each layer alone: every other layer set to the identity (zero phases, two equal
    /// reflections, zero scale and shear, zero coupling weights), one layer random.
    func testEachLayerAloneIsSymplectic() {
        var rng = SeededGenerator(seed: 8)
        let kinds = ["offset", "phases", "reflections", "scale", "shear", "coupling1", "coupling2"]
        for kind in kinds {
            let flow = randomFlow(dimension: 6, blocks: 1, seed: 11)
            for (name, p) in flow.parameters where !name.contains(kind) {
                if name.hasSuffix("reflections") {
                    let row = Array(p.value.storage.prefix(p.value.shape[1]))
                    p.value = Tensor(shape: p.value.shape, storage: Array(repeating: row, count: p.value.shape[0]).flatMap { $0 })
                } else if !name.hasSuffix("offset") && !name.hasSuffix("centers") && !name.contains("bias") && !name.hasSuffix("diagonal") {
                    p.value = Tensor.zeros(p.value.shape)
                }
            }
            // The layer really acts: the Jacobian is not the identity (offsets translate only).
            let x = randomPoint(6, &rng)
            let J = flow.jacobian(at: x)
            let moved = (0..<6).contains { k in (0..<6).contains { abs(J[k][$0] - (k == $0 ? 1 : 0)) > 1e-3 } }
            XCTAssertEqual(moved, kind != "offset", "layer \(kind)")
            XCTAssertLessThan(symplecticDefect(J), 1e-12, "layer \(kind)")
        }
    }

    /// NN = ∇V: the irrotational MLP's Jacobian, by exact pullbacks, is symmetric; and the
    /// pullback agrees with differences of NN.
    func testIrrotationalMLPHasASymmetricJacobian() {
        var rng = SeededGenerator(seed: 3)
        let n = 4, w = 13
        let W = (0..<(n * w)).map { _ in rng.normal() }, b1 = (0..<w).map { _ in rng.normal() }
        let w2 = (0..<w).map { _ in rng.normal() }, b2 = (0..<w).map { _ in rng.normal() }, b3 = (0..<n).map { _ in rng.normal() }
        func nn(_ u: [Double]) -> [Double] {
            var row = u + [Double](repeating: 0, count: n), scratch = [Double](repeating: 0, count: 2 * w)
            nk_irrot_forward(&row, 1, 2 * n, 0, n, 1, n, w, W, b1, w2, b2, b3, &scratch, nil)
            return Array(row[n...])
        }
        let u = (0..<n).map { _ in rng.normal() }
        var J = [[Double]]()
        for k in 0..<n {
            var g = [Double](repeating: 0, count: 2 * n)
            g[n + k] = 1
            var dW = [Double](repeating: 0, count: n * w), dv = [Double](repeating: 0, count: 3 * w + n), scratch = [Double](repeating: 0, count: 3 * w)
            let x = u + [Double](repeating: 0, count: n)
            dv.withUnsafeMutableBufferPointer { d in
                nk_irrot_backward(x, &g, 1, 2 * n, 0, n, 1, n, w, W, b1, w2, b2, &dW, d.baseAddress!, d.baseAddress! + w, d.baseAddress! + 2 * w, d.baseAddress! + 3 * w, &scratch, nil)
            }
            J.append(Array(g[0..<n]))   // row k: ∇NN_k
        }
        for i in 0..<n {
            for j in 0..<n {
                XCTAssertEqual(J[i][j], J[j][i], accuracy: 1e-14 * max(1, abs(J[i][j])))
                let h = 1e-6
                var up = u, down = u
                up[j] += h; down[j] -= h
                XCTAssertEqual((nn(up)[i] - nn(down)[i]) / (2 * h), J[i][j], accuracy: 1e-7)
            }
        }
        // Its sign matters: a Jacobian that is not symmetric would break symplecticity, which
        // the whole-flow test sees.
    }

    func testInverseUndoesTheFlow() {
        var rng = SeededGenerator(seed: 12)
        for couplings in 1...2 {
            let flow = randomFlow(dimension: 6, blocks: 4, hidden: 16, couplings: couplings, seed: UInt64(couplings))
            let rows = 50
            let x = Tensor(shape: [rows, 6], storage: (0..<(rows * 6)).map { _ in rng.normal() * 3 })
            let z = flow.forward(x)
            let back = flow.inverse(z)
            let worst = zip(back.storage, x.storage).map { abs($0 - $1) / max(1, abs($1)) }.max()!
            XCTAssertLessThan(worst, 1e-12, "couplings \(couplings)")
            XCTAssertGreaterThan(zip(z.storage, x.storage).map { abs($0 - $1) }.max()!, 0.1)
            let again = flow.forward(flow.inverse(z))
            XCTAssertLessThan(zip(again.storage, z.storage).map { abs($0 - $1) / max(1, abs($1)) }.max()!, 1e-12)
        }
    }

    /// θ's gradient of eq. 14 (batch centering) against central differences, every parameter
    /// tensor, a few entries each.
    func testGradientMatchesCentralDifferences() throws {
        var rng = SeededGenerator(seed: 21)
        // With the couplings' hidden layers kept from the forward pass, and recomputed.
        defer { SymplecticFlow.hiddenCacheLimit = 1 << 25 }
        // 15 rows, and 300 (three blocks of rows, the later ones at offsets into the cache).
        for (couplings, limit, points) in [(1, 1 << 25, 5), (2, 1 << 25, 5), (1, 0, 5), (2, 0, 5), (2, 1 << 25, 100), (1, 0, 100)] {
            SymplecticFlow.hiddenCacheLimit = limit
            let flow = randomFlow(dimension: 6, blocks: 2, hidden: 7, reflections: 2, couplings: couplings, seed: 30 + UInt64(couplings))
            let x = Tensor(shape: [3, points, 6], storage: (0..<(18 * points)).map { _ in rng.normal() })
            let batch = Batch(["x": x])
            let loss = try XCTUnwrap(flow.losses(batch)["circles"])
            let grads = gradient(of: loss, wrt: flow.variables)
            for (k, (name, p)) in flow.parameters.enumerated() {
                for entry in Set((0..<4).map { _ in Int(rng.next() % UInt64(p.value.count)) }) {
                    let keep = p.value
                    let h = 1e-6
                    func at(_ delta: Double) throws -> Double {
                        var v = keep
                        v.storage[entry] += delta
                        p.value = v
                        defer { p.value = keep }
                        return try Recording.with(false) { try flow.losses(batch)["circles"]!.value.scalar }
                    }
                    let numeric = (try at(h) - at(-h)) / (2 * h)
                    let analytic = grads[k].value.storage[entry]
                    if name == "centers" { XCTAssertEqual(analytic, 0); continue }
                    XCTAssertEqual(analytic, numeric, accuracy: 1e-6 * max(1, abs(numeric)), "\(name)[\(entry)], couplings \(couplings)")
                }
            }
        }
    }

    /// Eq. 14 is zero on points of exact circles whatever their order, and positive off them;
    /// the moving centres of a training step become the batch means.
    func testCircleLossOnExactCircles() {
        let flow = SymplecticFlow(dimension: 4, blocks: 1, hidden: 3, seed: 0)
        var rng = SeededGenerator(seed: 4)
        let B = 3, τ = 7
        var z: [Double] = []
        for b in 0..<B {
            let radii = [Double(b + 1), 0.5 * Double(b + 1)]
            for _ in 0..<τ {
                let angles = [rng.uniform(0, 6.28), rng.uniform(0, 6.28)]
                z += [radii[0] * cos(angles[0]), radii[1] * cos(angles[1]), radii[0] * sin(angles[0]), radii[1] * sin(angles[1])]
            }
        }
        XCTAssertEqual(flow.circleLoss(z, trajectories: B, points: τ).loss, 0, accuracy: 1e-14)
        z[0] += 0.5
        XCTAssertGreaterThan(flow.circleLoss(z, trajectories: B, points: τ).loss, 1e-4)
    }

    /// Neumann trajectories at radii 3, 5, 7 (the paper's training radii): a few hundred Adam
    /// steps cut eq. 14 several-fold; the same run gives the same bits with the couplings split
    /// over blocks of rows on several threads and on one; the moving centres follow the data.
    func testTrainingOnNeumannLowersTheLossTheSameOnAnyNumberOfThreads() throws {
        var recipe = try InitialConditions.recipe(for: "neumann", sampler: "bondesan")
        recipe.samples = 64
        recipe.duration = 10
        recipe.trajectories = 2
        var spec = Dataset.Specification(system: try Catalog.system("neumann", options: ["n": 3]), catalogName: "neumann", recipe: recipe, seed: 1)
        spec.radii = [3, 5, 7]
        let data = try Dataset.generate(spec)
        XCTAssertEqual(data.trajectoryCount, 6)
        let radii = (0..<6).map { id in
            let row = data.trajectoryIDs.firstIndex(of: id)!
            return (0..<3).map { data.states[row * 6 + $0] * data.states[row * 6 + $0] }.reduce(0, +).squareRoot()
        }
        for (r, want) in zip(radii, [3.0, 3, 5, 5, 7, 7]) { XCTAssertEqual(r, want, accuracy: 1e-9) }
        func run(blocks: Int?) throws -> (SymplecticFlow, TrainingReport) {
            Parallel.blocks = blocks
            defer { Parallel.blocks = nil }
            // 6 trajectories x 64 points: three blocks of 128 rows, so the per-block partial
            // gradients are summed.
            let flow = SymplecticFlow(dimension: 6, blocks: 2, hidden: 32, couplings: 1, points: 64, seed: 1)
            let start = try Recording.with(false) { try flow.losses(flow.batchSource(for: data).trainingBatch)["circles"]!.value.scalar }
            let report = try train(flow, on: flow.batchSource(for: data), options: TrainingOptions(steps: 300, batchSize: 6, learningRate: 3e-3, seed: 2))
            XCTAssertLessThan(report.finalTrainingLoss, start / 3, "eq. 14 from \(start) to \(report.finalTrainingLoss)")
            return (flow, report)
        }
        let (one, r1) = try run(blocks: 1)
        let (many, r2) = try run(blocks: 3)
        XCTAssertEqual(r1.finalTrainingLoss, r2.finalTrainingLoss)
        XCTAssertEqual(one.variables.map(\.value.storage), many.variables.map(\.value.storage))
        // 150 + 150 steps (the moving centres carried by the checkpointed tensors) are 300.
        let half = SymplecticFlow(dimension: 6, blocks: 2, hidden: 32, couplings: 1, points: 64, seed: 1)
        let optimizer = Adam(learningRate: 3e-3)
        for _ in 0..<2 {
            _ = try train(half, on: half.batchSource(for: data), options: TrainingOptions(steps: 150, batchSize: 6, learningRate: 3e-3, seed: 2), optimizer: optimizer)
        }
        XCTAssertEqual(half.variables.map(\.value.storage), one.variables.map(\.value.storage))
        // The first block's moving centre is near the data's mean (the data's q are on spheres
        // around 0, so both are small next to the radii).
        let centre = Array(one.parameters.last!.value.value.storage.prefix(6))
        let mean = (0..<6).map { i in stride(from: i, to: data.states.count, by: 6).map { data.states[$0] }.reduce(0, +) / Double(data.count) }
        for i in 0..<6 { XCTAssertEqual(centre[i], mean[i], accuracy: 0.5) }
    }

    /// A run that diverges stops with the state a passing step started from: the moving centres
    /// have averaged exactly as many batches as Adam has taken steps (they once had one more,
    /// folded in by the failing step's losses).
    func testAStoppedRunKeepsCentresInStepWithTheOptimizer() throws {
        var recipe = try InitialConditions.recipe(for: "neumann", sampler: "bondesan")
        recipe.samples = 40
        recipe.duration = 5
        var spec = Dataset.Specification(system: try Catalog.system("neumann", options: ["n": 3]), catalogName: "neumann", recipe: recipe, seed: 1)
        spec.radii = [3, 5]
        let data = try Dataset.generate(spec)
        let flow = SymplecticFlow(dimension: 6, blocks: 1, hidden: 8, points: 16, seed: 0)
        let optimizer = Adam(learningRate: 1e3)
        let report = try train(flow, on: flow.batchSource(for: data), options: TrainingOptions(steps: 200, batchSize: 2, learningRate: 1e3, seed: 0), optimizer: optimizer)
        XCTAssertNotNil(report.stoppedEarly)
        let centres = flow.parameters.last!.value.value
        XCTAssertEqual(centres.storage[6], Double(optimizer.steps), "batches averaged against steps taken")
    }

    /// The Neumann data with tangent momenta: q·p = 0 at every sample, J (so every integral)
    /// as in the raw data, and the stored derivative that of the stored states (against central
    /// differences along the trajectory).
    func testTangentMomentaKeepJAndTheirDerivative() throws {
        var recipe = try InitialConditions.recipe(for: "neumann", sampler: "bondesan")
        recipe.samples = 2001
        recipe.duration = 2
        var spec = Dataset.Specification(system: try Catalog.system("neumann", options: ["n": 3]), catalogName: "neumann", recipe: recipe, seed: 3, radius: 4)
        let raw = try Dataset.generate(spec)
        spec.tangentMomenta = true
        let data = try Dataset.generate(spec)
        XCTAssertEqual(data.sampler, "sphere-tangent")
        let dt = 2.0 / 2000
        func J(_ x: ArraySlice<Double>) -> [Double] {
            let b = x.startIndex
            return [(0, 1), (0, 2), (1, 2)].map { i, j in x[b + i] * x[b + 3 + j] - x[b + j] * x[b + 3 + i] }
        }
        var drift = 0.0
        for k in stride(from: 1, to: 2000, by: 97) {
            let x = data.states[(k * 6)..<(k * 6 + 6)], y = raw.states[(k * 6)..<(k * 6 + 6)]
            XCTAssertEqual((0..<3).reduce(0) { $0 + x[k * 6 + $1] * x[k * 6 + 3 + $1] }, 0, accuracy: 1e-12)
            for (a, b) in zip(J(x), J(y)) { XCTAssertEqual(a, b, accuracy: 1e-12) }
            for i in 0..<6 {
                let numeric = (data.states[(k + 1) * 6 + i] - data.states[(k - 1) * 6 + i]) / (2 * dt)
                XCTAssertEqual(data.derivatives[k * 6 + i], numeric, accuracy: 1e-5 * max(1, abs(numeric)), "sample \(k), coordinate \(i)")
            }
            drift = max(drift, abs((0..<3).reduce(0) { $0 + y[k * 6 + $1] * y[k * 6 + 3 + $1] }))
        }
        XCTAssertGreaterThan(drift, 0.5, "the raw data's q·p drifts")
    }
}
