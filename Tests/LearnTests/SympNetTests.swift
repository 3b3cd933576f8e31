import Dynamics
import Foundation
import Symbolic
import XCTest
@testable import Learn

/// SympNets against exact mathematics: every map is symplectic (JᵀΩJ = Ω to 1e-12 relative to
/// the largest |J_ij|², J by reverse mode) at random parameters of both kinds, the step must be the data's, and a map trained on
/// consecutive states of the harmonic oscillator learns its rotation.
final class SympNetTests: XCTestCase {
    func randomNet(_ type: SympNet.Kind, n: Int, seed: UInt64) -> SympNet {
        let m = SympNet(dimension: 2 * n, type: type, layers: 4, width: 7, sublayers: 3, stepSize: 0.1, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 5)
        // Weights of order one, so that every module is far from the identity.
        for p in m.variables { p.value = Tensor(shape: p.shape, storage: p.value.storage.map { _ in rng.normal() * 0.7 }) }
        return m
    }

    /// J of x ↦ φ(x) at one state, row k = ∇ of output k.
    func jacobian(_ m: SympNet, at x: [Double]) -> [[Double]] {
        let d = x.count
        let input = Variable(Tensor(shape: [1, d], storage: x), requiresGradient: true)
        return Recording.with(true) {
            let y = m.forward(input, m.variables)
            return (0..<d).map { k in
                let pick = Variable(Tensor(shape: [d, 1], storage: (0..<d).map { $0 == k ? 1 : 0 }))
                return gradient(of: Variable.matmul(y, pick).sum(), wrt: [input])[0].value.storage
            }
        }
    }

    func testEveryMapIsSymplectic() {
        for type in SympNet.Kind.allCases {
            for (n, seed) in [(1, UInt64(1)), (2, 2), (3, 3)] {
                let m = randomNet(type, n: n, seed: seed)
                var rng = SeededGenerator(seed: seed &+ 9)
                let x = (0..<(2 * n)).map { _ in rng.normal() }
                let J = jacobian(m, at: x)
                var worst = 0.0, offIdentity = 0.0
                for a in 0..<(2 * n) {
                    for b in 0..<(2 * n) {
                        // (JᵀΩJ)_ab with Ω = [[0, I], [−I, 0]] in (q, p) order.
                        var s = 0.0
                        for k in 0..<n { s += J[k][a] * J[k + n][b] - J[k + n][a] * J[k][b] }
                        let omega: Double = b == a + n && a < n ? 1 : (a == b + n && b < n ? -1 : 0)
                        worst = max(worst, abs(s - omega))
                        offIdentity = max(offIdentity, abs(J[a][b] - (a == b ? 1 : 0)))
                    }
                }
                // Relative to the size of the products summed (the linear modules amplify).
                let scale = max(1, J.joined().map { $0 * $0 }.max()!)
                XCTAssertLessThan(worst, 1e-12 * scale, "\(type), n = \(n), |J|^2 up to \(scale)")
                XCTAssertGreaterThan(offIdentity, 0.1, "\(type), n = \(n): the map should not be the identity")
            }
        }
    }

    /// The reverse-mode Jacobian is the map's: central differences of φ agree.
    func testJacobianMatchesFiniteDifferences() throws {
        let m = randomNet(.g, n: 2, seed: 4)
        let x = [0.3, -0.7, 1.1, 0.2]
        let J = jacobian(m, at: x)
        for i in 0..<4 {
            var up = x, down = x
            up[i] += 1e-6; down[i] -= 1e-6
            let (a, b) = (try m(up), try m(down))
            for k in 0..<4 { XCTAssertEqual(J[k][i], (a[k] - b[k]) / 2e-6, accuracy: 1e-7) }
        }
    }

    func harmonic(samplesEvery h: Double) throws -> Dataset {
        var recipe = InitialConditions.recipe(for: "harmonic")
        recipe.trajectories = 16
        recipe.samples = 21
        recipe.duration = 20 * h
        recipe.noise = 0
        return try Dataset.generate(.init(system: try Catalog.system("harmonic"), catalogName: "harmonic", recipe: recipe, seed: 3))
    }

    /// H = q² + p² (the catalog's harmonic oscillator) rotates phase space by 2h per step. An
    /// LA-SympNet (whose linear modules can hold a rotation) learns it from consecutive states
    /// to a small error, and its rollout keeps the energy: its error over 2000 steps is no larger
    /// than over the first 200 (a symplectic map's energy error does not grow). The loss after
    /// 3000 steps is bimodal in the initial weights: 4 to 6 of seeds 1...16 stop near 3e-5, the
    /// rest below 1e-8, and which ones moves with the order of the sums (measured with the LA map
    /// fused and as a chain); seed 2 reaches the lower mode both ways.
    func testLearnsTheOscillatorsRotation() throws {
        let h = 0.1, data = try harmonic(samplesEvery: h)
        let m = SympNet(dimension: 2, type: .la, layers: 3, width: 1, sublayers: 3, stepSize: h, seed: 2)
        let source = m.batchSource(for: data)
        try source.validate()
        let report = try train(m, on: source, options: TrainingOptions(steps: 3000, batchSize: 0, learningRate: 1e-2, seed: 2), optimizer: Adam(learningRate: 1e-2))
        XCTAssertLessThan(try XCTUnwrap(report.testLoss), 1e-5)
        let x0 = [0.8, 0.0]
        let orbit = try m.iterate(from: x0, steps: 2000)
        let energies = (0..<orbit.count).map { k -> Double in let x = Array(orbit.state(k)); return x[0] * x[0] + x[1] * x[1] }
        let deviation = energies.map { abs($0 - energies[0]) / energies[0] }
        // Bounded: over 2000 steps no worse than twice the first 200 steps' (a drift would grow
        // tenfold), and within 10 % (the band follows the training error, which moves with the
        // order of the sums: 5.5 % in one measured order).
        let early = deviation.prefix(201).max()!, late = deviation.max()!
        XCTAssertLessThan(late, 2 * early + 1e-3, "early \(early), late \(late)")
        XCTAssertLessThan(late, 0.1)
        // One step is the rotation by 2h, to the trained accuracy (a loss of 1e-5 is an error of
        // about 3e-3 per component).
        let y = try m(x0)
        XCTAssertEqual(y[0], 0.8 * cos(2 * h), accuracy: 1e-2)
        XCTAssertEqual(y[1], -0.8 * sin(2 * h), accuracy: 1e-2)
    }

    func testTheStepMustBeTheData() throws {
        let data = try harmonic(samplesEvery: 0.1)
        let m = SympNet(dimension: 2, stepSize: 0.2, seed: 0)
        let batch = m.batchSource(for: data).batch([0, 1])
        XCTAssertThrowsError(try m.losses(batch)) { XCTAssertTrue("\($0)".contains("0.1 apart in time, the sympnet's step is 0.2"), "\($0)") }
    }

    /// An LA-SympNet's forward pass equals the sublayers applied one after another as the paper
    /// writes them, in plain arithmetic: p ← p + q(S + Sᵀ) for even j, q ← q +
    /// p(S + Sᵀ) for odd, then the biases, then the activation module.
    func testLinearModulesAreTheirSublayersInOrder() {
        let n = 2, d = 4
        let m = randomNet(.la, n: n, seed: 6)
        var rng = SeededGenerator(seed: 8)
        let x0 = (0..<(3 * d)).map { _ in rng.normal() }
        let got = Recording.with(false) { m.forward(Variable(Tensor(shape: [3, d], storage: x0)), m.variables) }.value.storage
        let θ = m.variables.map(\.value.storage)
        let perLinear = m.sublayers + 2, activations = m.layers * perLinear
        for r in 0..<3 {
            var q = Array(x0[(r * d)..<(r * d + n)]), p = Array(x0[(r * d + n)..<(r * d + d)])
            for k in 0..<m.layers {
                for j in 0..<m.sublayers {
                    let S = θ[k * perLinear + j]
                    let (from, to) = j % 2 == 0 ? (q, p) : (p, q)
                    var next = to
                    for c in 0..<n { for i in 0..<n { next[c] += from[i] * (S[i * n + c] + S[c * n + i]) } }
                    if j % 2 == 0 { p = next } else { q = next }
                }
                for c in 0..<n { p[c] += θ[k * perLinear + m.sublayers][c]; q[c] += θ[k * perLinear + m.sublayers + 1][c] }
                guard k < m.layers - 1 else { continue }
                let a = θ[activations + k]
                if k % 2 == 0 { for c in 0..<n { p[c] += a[c] / (1 + exp(-q[c])) } } else { for c in 0..<n { q[c] += a[c] / (1 + exp(-p[c])) } }
            }
            for (c, v) in (q + p).enumerated() { XCTAssertEqual(got[r * d + c], v, accuracy: 1e-12 * max(1, abs(v)), "row \(r), component \(c)") }
        }
    }

    /// The fused gradient module's pullback equals the chain of single operations it replaces,
    /// for every parent, and so does its recorded (second-order) form.
    func testGradientShearPullbackIsTheComposition() {
        var rng = SeededGenerator(seed: 12)
        let rows = 7, n = 2, w = 5
        func random(_ shape: [Int]) -> Variable { Variable(Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in rng.normal() }), requiresGradient: true) }
        let x = random([rows, n]), K = random([n, w]), a = random([1, w]), b = random([1, w])
        let weight = Variable(Tensor(shape: [rows, n], storage: (0..<(rows * n)).map { _ in rng.normal() }))
        let composed = { Variable.matmul((Variable.matmul(x, K) + b).sigmoid() * a, K, transposeB: true) }
        let fused = gradient(of: (SympNet.gradientShear(x, K, a, b) * weight).sum(), wrt: [x, K, a, b])
        let chain = gradient(of: (composed() * weight).sum(), wrt: [x, K, a, b])
        XCTAssertEqual(SympNet.gradientShear(x, K, a, b).value.storage.count, rows * n)
        for (f, c) in zip(fused, chain) {
            for (u, v) in zip(f.value.storage, c.value.storage) { XCTAssertEqual(u, v, accuracy: 1e-12 * max(1, abs(v))) }
        }
        // Second order: the gradient of |dL/dK|^2 with respect to x, both ways.
        let second = { (f: () -> Variable) -> [Double] in
            let gK = gradient(of: (f() * weight).sum(), wrt: [K], createGraph: true)[0]
            return gradient(of: (gK * gK).sum(), wrt: [x])[0].value.storage
        }
        for (u, v) in zip(second { SympNet.gradientShear(x, K, a, b) }, second(composed)) { XCTAssertEqual(u, v, accuracy: 1e-11 * max(1, abs(v))) }
    }

    /// The fused LA map's pullback (`nk_la_backward`) equals the chain of single operations for
    /// the input and every parameter, at n = 3 (so no loop is tied to n = 2) and 7 rows (not a
    /// multiple of the kernel's four lanes). The second-order half checks the wiring of the
    /// recorded pullback (which differentiates the chain, not the kernel) to every parent.
    func testLinearActivationPullbackIsTheChain() {
        let m = randomNet(.la, n: 3, seed: 21)
        var rng = SeededGenerator(seed: 22)
        let rows = 7, d = 6
        let x = Variable(Tensor(shape: [rows, d], storage: (0..<(rows * d)).map { _ in rng.normal() }), requiresGradient: true)
        let weight = Variable(Tensor(shape: [rows, d], storage: (0..<(rows * d)).map { _ in rng.normal() }))
        let θ = m.variables
        let fusedMap = { SympNet.linearActivationMap(x, θ, layers: m.layers, sublayers: m.sublayers) }
        let chainMap = { SympNet.linearActivationChain(x, θ, layers: m.layers, sublayers: m.sublayers) }
        let fused = gradient(of: (fusedMap() * weight).sum(), wrt: [x] + θ)
        let chain = gradient(of: (chainMap() * weight).sum(), wrt: [x] + θ)
        for (i, (f, c)) in zip(fused, chain).enumerated() {
            XCTAssertEqual(f.shape, c.shape)
            for (u, v) in zip(f.value.storage, c.value.storage) { XCTAssertEqual(u, v, accuracy: 1e-11 * max(1, abs(v)), "parent \(i)") }
        }
        // Second order: the gradient of |dL/dS_1|^2 with respect to x, both ways.
        let second = { (f: () -> Variable) -> [Double] in
            let gS = gradient(of: (f() * weight).sum(), wrt: [θ[0]], createGraph: true)[0]
            return gradient(of: (gS * gS).sum(), wrt: [x])[0].value.storage
        }
        for (u, v) in zip(second(fusedMap), second(chainMap)) { XCTAssertEqual(u, v, accuracy: 1e-10 * max(1, abs(v))) }
    }
}
