import Dynamics
import Foundation
import Symbolic
import XCTest
@testable import Learn

/// The symmetry control network, checked against exact mathematics: the loss terms on analytic
/// Jacobians (canonical transformations have L_Poisson = 0, a non-canonical one the value its
/// brackets give; the harmonic oscillator in action–angle form has L_HQP = 0), every term's
/// gradient against central differences, the meta path, the field against Hamilton's equations
/// of its own H, the checkpoint, training, and the refusal of too many cyclic pairs.
final class SymmetryControlNetworkTests: XCTestCase {
    typealias SCNN = SymmetryControlNetwork

    /// Per-sample Jacobians [batch, d, d] from d×d matrices.
    func jacobians(_ matrices: [[[Double]]]) -> Variable {
        let d = matrices[0].count
        return Variable(Tensor(shape: [matrices.count, d, d], storage: matrices.flatMap { $0.flatMap { $0 } }))
    }

    func rotation(_ a: Double) -> [[Double]] { [[cos(a), -sin(a)], [sin(a), cos(a)]] }

    /// [[A, B], [C, D]] of 2×2 blocks.
    func blocks(_ a: [[Double]], _ b: [[Double]], _ c: [[Double]], _ d: [[Double]]) -> [[Double]] {
        (0..<2).map { a[$0] + b[$0] } + (0..<2).map { c[$0] + d[$0] }
    }

    let zero: [[Double]] = [[0, 0], [0, 0]], identity: [[Double]] = [[1, 0], [0, 1]]

    // MARK: Poisson

    /// The same rotation of (q1, q2) and of (p1, p2) is canonical (it preserves Σ dq_i ∧ dp_i),
    /// and so is the shear (q, p + S q) with S symmetric: L_Poisson vanishes to rounding, over
    /// all pairs and over the first one.
    func testPoissonLossVanishesForCanonicalTransformations() {
        let rotations = jacobians([0.3, 1.7, -2.4].map { a in blocks(rotation(a), zero, zero, rotation(a)) })
        let shears = jacobians([[[2, -0.5], [-0.5, 3]], [[0.1, 1.2], [1.2, -4]]].map { s in blocks(identity, zero, s, identity) })
        for (name, J) in [("rotation", rotations), ("shear", shears)] {
            XCTAssertEqual(SCNN.poissonLoss(jacobian: J, pairs: 2).value.scalar, 0, accuracy: 1e-28, name)
            XCTAssertEqual(SCNN.poissonLoss(jacobian: J, pairs: 1).value.scalar, 0, accuracy: 1e-28, name)
        }
        // A shear by a matrix that is not symmetric is not canonical: {P_1, P_2} = S_21 − S_12.
        let skew = jacobians([blocks(identity, zero, [[0, 1], [0, 0]], identity)])
        XCTAssertEqual(SCNN.poissonLoss(jacobian: skew, pairs: 2).value.scalar, 1, accuracy: 1e-15)
    }

    /// Scaling q by 2 keeps p: {Q_i, P_i} = 2, so each pair contributes (2 − 1)² = 1.
    func testPoissonLossOfAScalingIsItsBracketsError() {
        let J = jacobians([blocks([[2, 0], [0, 2]], zero, zero, identity), blocks([[2, 0], [0, 2]], zero, zero, identity)])
        XCTAssertEqual(SCNN.poissonLoss(jacobian: J, pairs: 2).value.scalar, 2, accuracy: 1e-15)
        XCTAssertEqual(SCNN.poissonLoss(jacobian: J, pairs: 1).value.scalar, 1, accuracy: 1e-15)
        // Q2 = q2 + 3 p1 (the rest kept) breaks one bracket, {Q1, Q2} = 3, counted once: 3².
        let mixed = jacobians([[[1, 0, 0, 0], [0, 1, 3, 0], [0, 0, 1, 0], [0, 0, 0, 1]]])
        XCTAssertEqual(SCNN.poissonLoss(jacobian: mixed, pairs: 2).value.scalar, 9, accuracy: 1e-13)
    }

    // MARK: Action–angle

    /// The harmonic oscillator H = (p² + q²)/2 in action–angle form, T(q, p) = (θ, I) with
    /// θ = atan2(q, p) and I = (p² + q²)/2, is canonical ({θ, I} = 1), H(I) = I, and along the
    /// exact flow ẋ = (p, −q) θ̇ = ∂H/∂I = 1 and İ = 0: all three losses vanish. With the wrong
    /// H = 2I, L_HQP = (1 − 2)² = 1 and L_HNN = |ẋ|² = 2H.
    func testActionAngleCoordinatesOfTheHarmonicOscillator() {
        let states: [(q: Double, p: Double)] = [(0.3, 0.8), (-1.2, 0.4), (0.5, -2), (-0.7, -0.1)]
        let J = jacobians(states.map { s in
            let r2 = s.q * s.q + s.p * s.p
            return [[s.p / r2, -s.q / r2], [s.q, s.p]]
        })
        let dx = Variable(Tensor(shape: [states.count, 2], storage: states.flatMap { [$0.p, -$0.q] }))
        func g(_ dHdI: Double) -> Variable { Variable(Tensor(shape: [states.count, 2], storage: states.flatMap { _ in [0, dHdI] })) }
        XCTAssertEqual(SCNN.poissonLoss(jacobian: J, pairs: 1).value.scalar, 0, accuracy: 1e-28)
        XCTAssertEqual(SCNN.cyclicLoss(jacobian: J, latentGradient: g(1), dx: dx, cyclic: 1, beta: 0).value.scalar, 0, accuracy: 1e-28)
        XCTAssertEqual(SCNN.hamiltonLoss(jacobian: J, latentGradient: g(1), dx: dx).value.scalar, 0, accuracy: 1e-28)
        XCTAssertEqual(SCNN.cyclicLoss(jacobian: J, latentGradient: g(2), dx: dx, cyclic: 1, beta: 0).value.scalar, 1, accuracy: 1e-14)
        let meanSquare = states.reduce(0) { $0 + $1.q * $1.q + $1.p * $1.p } / Double(states.count)
        XCTAssertEqual(SCNN.hamiltonLoss(jacobian: J, latentGradient: g(2), dx: dx).value.scalar, meanSquare, accuracy: 1e-14)
        // The pair as non-cyclic (n = 0) with β = 1: Hamilton's equations of H = I in (θ, I) hold too.
        XCTAssertEqual(SCNN.cyclicLoss(jacobian: J, latentGradient: g(1), dx: dx, cyclic: 0, beta: 1).value.scalar, 0, accuracy: 1e-28)
        XCTAssertEqual(SCNN.cyclicLoss(jacobian: J, latentGradient: g(2), dx: dx, cyclic: 0, beta: 1).value.scalar, 1, accuracy: 1e-14)
    }

    // MARK: The network

    func randomBatch(rows: Int, dimension: Int, seed: UInt64) -> Batch {
        var rng = SeededGenerator(seed: seed)
        let x = Tensor(shape: [rows, dimension], storage: (0..<(rows * dimension)).map { _ in rng.uniform(-1, 1) })
        let dx = Tensor(shape: [rows, dimension], storage: (0..<(rows * dimension)).map { _ in rng.uniform(-1, 1) })
        return Batch(["x": x, "dx": dx])
    }

    func smallModel(cyclic: Int = 1, poisson: SCNN.PoissonPairs = .all, seed: UInt64 = 3) -> SCNN {
        SCNN(dimension: 4, hidden: 5, layers: 2, cyclic: cyclic, settings: .init(alpha1: 0.25, alpha2: 3e-4, beta: 0.5, poisson: poisson),
             initializer: .orthogonal, seed: seed)
    }

    /// The Jacobian the losses use is T's, by central differences of `latent`, sample by sample.
    func testJacobianIsTheTransformations() {
        let model = smallModel(), x = randomBatch(rows: 3, dimension: 4, seed: 8)["x"]!
        let J = Recording.with(false) { model.transformAndJacobian(x, at: model.transform.parameters).jacobian }.value
        XCTAssertEqual(J.shape, [3, 4, 4])
        let h = 1e-6
        for j in 0..<4 {
            var up = x, down = x
            for b in 0..<3 { up.storage[b * 4 + j] += h; down.storage[b * 4 + j] -= h }
            let zu = model.latent(up, at: nil).value, zd = model.latent(down, at: nil).value
            for b in 0..<3 {
                for i in 0..<4 {
                    XCTAssertEqual(J.storage[(b * 4 + i) * 4 + j], (zu.storage[b * 4 + i] - zd.storage[b * 4 + i]) / (2 * h), accuracy: 1e-8, "J[\(b)][\(i)][\(j)]")
                }
            }
        }
    }

    /// The losses of an all-cyclic model equal the peer script's formulas (`scnn_step.py`),
    /// written out sample by sample without autodiff: J = W₃ᵀD₂W₂ᵀD₁W₁ᵀ by the chain rule, gP
    /// by hand, L_HNN = Σ ((J_Pᵀ gP) rotated − ẋ)², M = J_q J_pᵀ, L_Poisson = ½‖M − Mᵀ − Ω‖²,
    /// ż = J ẋ, L_HQP = Σ Ṗ² + (Q̇ − gP)², each a mean over the batch.
    func testLossesAreThePeerScriptsFormulas() throws {
        let model = SCNN(dimension: 4, hidden: 5, layers: 2, cyclic: 2, initializer: .orthogonal, seed: 4)
        let batch = randomBatch(rows: 5, dimension: 4, seed: 6)
        let x = batch["x"]!, dx = batch["dx"]!
        let d = 4, n = 2, width = 5
        let w = model.transform.weights.map(\.value), b = model.transform.biases.map(\.value)
        let v = model.hamiltonianNetwork.weights.map(\.value), c = model.hamiltonianNetwork.biases.map(\.value)
        func at(_ t: Tensor, _ i: Int, _ j: Int) -> Double { t.storage[i * t.shape[1] + j] }
        /// tanh(a W + β) for a row a.
        func layer(_ a: [Double], _ W: Tensor, _ beta: Tensor) -> [Double] {
            (0..<W.shape[1]).map { u in tanh((0..<a.count).reduce(beta.storage[u]) { $0 + a[$1] * at(W, $1, u) }) }
        }
        var hnn = 0.0, poisson = 0.0, hqp = 0.0
        for r in 0..<5 {
            let xr = Array(x.storage[(r * d)..<(r * d + d)]), dxr = Array(dx.storage[(r * d)..<(r * d + d)])
            let a1 = layer(xr, w[0], b[0]), a2 = layer(a1, w[1], b[1])
            let z = (0..<d).map { i in (0..<width).reduce(b[2].storage[i]) { $0 + a2[$1] * at(w[2], $1, i) } }
            // J[i][j] = Σ_{u,v} W3[v][i] D2[v] W2[u][v] D1[u] W1[j][u].
            var J = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
            for i in 0..<d { for j in 0..<d { for u in 0..<width { for vv in 0..<width {
                J[i][j] += at(w[2], vv, i) * (1 - a2[vv] * a2[vv]) * at(w[1], u, vv) * (1 - a1[u] * a1[u]) * at(w[0], j, u)
            } } } }
            // gP_k = Σ_{u,v} V1[k][u] (1 − c1_u²) V2[u][v] (1 − c2_v²) V3[v].
            let P = Array(z[n...]), c1 = layer(P, v[0], c[0]), c2 = layer(c1, v[1], c[1])
            let gP = (0..<n).map { k in (0..<width).reduce(0.0) { s, u in
                s + (0..<width).reduce(0.0) { $0 + at(v[0], k, u) * (1 - c1[u] * c1[u]) * at(v[1], u, $1) * (1 - c2[$1] * c2[$1]) * at(v[2], $1, 0) }
            } }
            let gx = (0..<d).map { j in (0..<n).reduce(0.0) { $0 + J[n + $1][j] * gP[$1] } }
            let xdot = Array(gx[n...]) + gx[..<n].map { -$0 }
            hnn += zip(xdot, dxr).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            for i in 0..<d { for j in 0..<d {
                let mij = (0..<n).reduce(0.0) { $0 + J[i][$1] * J[j][n + $1] }, mji = (0..<n).reduce(0.0) { $0 + J[j][$1] * J[i][n + $1] }
                let omega: Double = j == i + n ? 1 : (i == j + n ? -1 : 0)
                poisson += 0.5 * (mij - mji - omega) * (mij - mji - omega)
            } }
            let zdot = (0..<d).map { i in (0..<d).reduce(0.0) { $0 + J[i][$1] * dxr[$1] } }
            hqp += (0..<n).reduce(0.0) { $0 + zdot[n + $1] * zdot[n + $1] + (zdot[$1] - gP[$1]) * (zdot[$1] - gP[$1]) }
            for (mine, its) in zip(z, model.latent(Tensor(shape: [1, d], storage: xr), at: nil).value.storage) { XCTAssertEqual(mine, its, accuracy: 1e-14) }
        }
        let losses = try Recording.with(false) { try model.losses(batch) }
        XCTAssertEqual(losses["hnn"]!.value.scalar, hnn / 5, accuracy: 1e-13 * max(1, hnn))
        XCTAssertEqual(losses["poisson"]!.value.scalar, poisson / 5, accuracy: 1e-13 * max(1, poisson))
        XCTAssertEqual(losses["hqp"]!.value.scalar, hqp / 5, accuracy: 1e-13 * max(1, hqp))
    }

    /// With some pairs not cyclic (n = 1 of m = 3, β = 0.5, the Poisson term on the cyclic pair
    /// only), the losses equal the formulas of eqs. 6–8 evaluated from independent pieces: J by
    /// central differences of T, ∂H/∂z by central differences of H_φ on its documented input
    /// (P_1, Q_2, Q_3, P_2, P_3), so that the reordering into and out of H_φ, the β term and the
    /// restricted Poisson rows are all checked against something they do not share code with.
    func testLossesWithSomePairsNotCyclic() throws {
        let d = 6, m = 3, n = 1, beta = 0.5, rows = 4
        let model = SCNN(dimension: d, hidden: 5, layers: 2, cyclic: n, settings: .init(alpha1: 1, alpha2: 1, beta: beta, poisson: .cyclic),
                         initializer: .orthogonal, seed: 8)
        let batch = randomBatch(rows: rows, dimension: d, seed: 9)
        let x = batch["x"]!, dx = batch["dx"]!
        let h = 1e-6
        func latent(_ xr: [Double]) -> [Double] { model.latent(Tensor(shape: [1, d], storage: xr), at: nil).value.storage }
        func H(_ z: [Double]) -> Double {
            let input = [z[m]] + [z[1], z[2]] + [z[m + 1], z[m + 2]]  // P1, Q2, Q3, P2, P3
            return Recording.with(false) { model.hamiltonianNetwork(Variable(Tensor(shape: [1, 5], storage: input))) }.value.scalar
        }
        var hnn = 0.0, poisson = 0.0, hqp = 0.0
        for r in 0..<rows {
            let xr = Array(x.storage[(r * d)..<(r * d + d)]), dxr = Array(dx.storage[(r * d)..<(r * d + d)])
            var J = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
            for j in 0..<d {
                var up = xr, down = xr
                up[j] += h; down[j] -= h
                let (zu, zd) = (latent(up), latent(down))
                for i in 0..<d { J[i][j] = (zu[i] - zd[i]) / (2 * h) }
            }
            let z = latent(xr)
            let g = (0..<d).map { i -> Double in
                var up = z, down = z
                up[i] += h; down[i] -= h
                return (H(up) - H(down)) / (2 * h)
            }
            XCTAssertEqual(g[0], 0, "H_phi never sees the cyclic Q1")
            // ẋ = Ω ∇ₓ H(T(x)) with ∇ₓ = Jᵀ g: q̇ = (Jᵀg)_p, ṗ = −(Jᵀg)_q.
            let gx = (0..<d).map { j in (0..<d).reduce(0.0) { $0 + J[$1][j] * g[$1] } }
            let xdot = Array(gx[m...]) + gx[..<m].map { -$0 }
            hnn += zip(xdot, dxr).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            // Poisson on the cyclic pair: {Q1, P1} = 1 is the only constraint; ½ Σ over (Q1, P1) × (Q1, P1).
            func bracket(_ a: Int, _ b: Int) -> Double { (0..<m).reduce(0.0) { $0 + J[a][$1] * J[b][m + $1] - J[a][m + $1] * J[b][$1] } }
            for (a, b) in [(0, m), (m, 0)] { poisson += 0.5 * (bracket(a, b) - (a < b ? 1 : -1)) * (bracket(a, b) - (a < b ? 1 : -1)) }
            let zdot = (0..<d).map { i in (0..<d).reduce(0.0) { $0 + J[i][$1] * dxr[$1] } }
            hqp += zdot[m] * zdot[m] + (zdot[0] - g[m]) * (zdot[0] - g[m])
            for i in n..<m { hqp += beta * ((zdot[m + i] + g[i]) * (zdot[m + i] + g[i]) + (zdot[i] - g[m + i]) * (zdot[i] - g[m + i])) }
        }
        let losses = try Recording.with(false) { try model.losses(batch) }
        XCTAssertEqual(losses["hnn"]!.value.scalar, hnn / Double(rows), accuracy: 1e-6 * max(1, hnn))
        XCTAssertEqual(losses["poisson"]!.value.scalar, poisson / Double(rows), accuracy: 1e-6 * max(1, poisson))
        XCTAssertEqual(losses["hqp"]!.value.scalar, hqp / Double(rows), accuracy: 1e-6 * max(1, hqp))
    }

    /// The gradient of each loss term with respect to a few entries of every parameter tensor
    /// (of T and of H_φ) matches central differences of the term.
    func testLossGradientsMatchFiniteDifferences() throws {
        let batch = randomBatch(rows: 6, dimension: 4, seed: 11)
        for model in [smallModel(), smallModel(cyclic: 2, poisson: .cyclic, seed: 5)] {
            try assertLossGradientsMatchFiniteDifferences(model, on: batch, "n=\(model.cyclic)")
        }
    }

    /// The losses at substituted parameters θ′ are those of a copy with weights θ′, and so are
    /// their gradients with respect to θ′.
    func testLossesAtSubstitutedParameters() throws {
        let model = smallModel(), batch = randomBatch(rows: 5, dimension: 4, seed: 2)
        var rng = SeededGenerator(seed: 9)
        let θ1 = model.variables.map { v in Variable(v.value.map { $0 + 0.1 * rng.uniform(-1, 1) }, requiresGradient: true) }
        let copy = model.copy()
        for (p, q) in zip(copy.variables, θ1) { p.value = q.value }
        let at = try model.losses(batch, at: θ1), own = try copy.losses(batch), before = try model.losses(batch)
        for name in model.lossNames {
            XCTAssertEqual(at[name]!.value.scalar, own[name]!.value.scalar, name)
            XCTAssertNotEqual(at[name]!.value.scalar, before[name]!.value.scalar, name)
            let g1 = gradient(of: at[name]!, wrt: θ1), g2 = gradient(of: own[name]!, wrt: copy.variables)
            XCTAssertEqual(g1.map(\.value), g2.map(\.value), name)
        }
        XCTAssertThrowsError(try model.losses(batch, at: Array(θ1.dropLast())))
    }

    /// The field is Hamilton's equations of the model's own H = H_φ(T(x)) (central differences),
    /// and the HNN term of a batch whose ẋ is that field is zero.
    func testFieldIsHamiltonsEquationsOfHAfterT() throws {
        let model = smallModel(), x = [0.3, -0.2, 0.5, 0.1], f = model(x), n = 2, h = 1e-5
        func partial(_ j: Int) -> Double {
            var a = x, b = x
            a[j] += h; b[j] -= h
            return (model.hamiltonian(a) - model.hamiltonian(b)) / (2 * h)
        }
        for i in 0..<n {
            XCTAssertEqual(f[i], partial(i + n), accuracy: 1e-8, "dq\(i + 1)/dt = dH/dp\(i + 1)")
            XCTAssertEqual(f[i + n], -partial(i), accuracy: 1e-8, "dp\(i + 1)/dt = -dH/dq\(i + 1)")
        }
        let states = randomBatch(rows: 4, dimension: 4, seed: 4)["x"]!
        let own = Batch(["x": states, "dx": model.predict(states, createGraph: false).value])
        XCTAssertEqual(try model.losses(own)["hnn"]!.value.scalar, 0, accuracy: 1e-26)
        // H_φ does not see the cyclic Q_1: changing the first latent column leaves H unchanged.
        let z = model.latent(states, at: nil).value
        var moved = z
        for r in 0..<4 { moved.storage[r * 4] += 0.7 }
        let hOf = { (z: Tensor) in model.hamiltonianNetwork(model.hamiltonianInput(Variable(z))).value }
        XCTAssertEqual(hOf(z), hOf(moved))
        XCTAssertEqual(model.latentNames, ["Q1", "Q2", "P1", "P2"])
    }

    /// A checkpoint reads back to the same kind, spec (cyclic, weights, β, Poisson pairs),
    /// tensors, objective and losses, and the registry's shapes are the model's.
    func testCheckpointRoundTrip() throws {
        let model = smallModel(poisson: .cyclic)
        let path = NSTemporaryDirectory() + "noether-scnn-\(getpid()).ckpt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(model, provenance: .init(system: "test", names: ["q1", "q2", "p1", "p2"], parameters: [:]), to: path)
        let read = try XCTUnwrap(try Checkpoint.read(path).model as? SCNN)
        XCTAssertEqual(read.kind, "scnn")
        XCTAssertEqual(read.spec, model.spec)
        XCTAssertEqual(model.spec.description, "dimension=4 hidden=5 layers=2 activation=tanh cyclic=1 alpha1=0.25 alpha2=0.0003 beta=0.5 poisson=cyclic")
        XCTAssertEqual(read.settings, model.settings)
        XCTAssertEqual(read.parameters.map(\.name), model.parameters.map(\.name))
        XCTAssertEqual(read.variables.map(\.value), model.variables.map(\.value))
        XCTAssertEqual(read.objective.terms.map(\.weight), [1, 0.25, 3e-4])
        let batch = randomBatch(rows: 3, dimension: 4, seed: 1)
        let a = try read.losses(batch), b = try model.losses(batch)
        for name in model.lossNames { XCTAssertEqual(a[name]!.value.scalar, b[name]!.value.scalar) }
        let shapes = try ModelRegistry.entry("scnn").parameterShapes(model.spec)
        XCTAssertEqual(shapes.map(\.name), model.parameters.map(\.name))
        XCTAssertEqual(shapes.map(\.shape), model.variables.map(\.shape))
        XCTAssertEqual(model.parameters.map(\.name).first, "transform.layer1.weight")
        XCTAssertEqual(model.variables[6].shape, [3, 5], "H_phi sees d - n = 3 latent coordinates")
    }

    /// The registry builds with the defaults (all pairs cyclic), reads the options, and refuses
    /// more cyclic pairs than the phase space has.
    func testRegistryOptionsAndErrors() throws {
        let all = try XCTUnwrap(try ModelRegistry.build("scnn", options: ["hidden": .whole(4)], dimension: 4, seed: 1) as? SCNN)
        XCTAssertEqual(all.cyclic, 2)
        XCTAssertEqual(all.settings, SCNN.Settings(alpha1: 1e-3, alpha2: 1e-3, beta: 0, poisson: .all))
        XCTAssertEqual(all.objective.terms.map(\.name), ["hnn", "poisson", "hqp"])
        XCTAssertEqual(all.objective.terms.map(\.weight), [1, 1e-3, 1e-3])
        let one = try XCTUnwrap(try ModelRegistry.build("scnn", options: ["hidden": .whole(4), "cyclic": .whole(1), "poisson": .word("cyclic")],
                                                        dimension: 4, seed: 1) as? SCNN)
        XCTAssertEqual(one.cyclic, 1)
        XCTAssertEqual(one.settings.poisson, .cyclic)
        XCTAssertThrowsError(try ModelRegistry.build("scnn", options: ["cyclic": .whole(3)], dimension: 4, seed: 1)) { error in
            XCTAssertTrue(error is ModelError)
            XCTAssertTrue("\(error)".contains("cyclic: 3") && "\(error)".contains("at most 2"), "\(error)")
        }
        XCTAssertThrowsError(try ModelRegistry.trainingCost("scnn", options: ["cyclic": .whole(3)], dimension: 4, rows: 10))
        // The cost counts T's Jacobian: d + 1 times T's parameters, plus H_φ's.
        let cost = try ModelRegistry.trainingCost("scnn", dimension: 8, rows: 10)
        let hnn = try ModelRegistry.trainingCost("hnn", dimension: 8, rows: 10)
        XCTAssertEqual(cost.parameters, 9 * hnn.parameters + TrainingCost(dimension: 4, hidden: 200, layers: 2, rows: 10).parameters)
        XCTAssertThrowsError(try ModelRegistry.build("scnn", options: ["alpha1": .number(-1)], dimension: 4, seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("'alpha1'"), "\(error)")
        }
        // A damaged spec is refused, not built.
        let spec = one.spec.description
        for bad in [spec.replacingOccurrences(of: "cyclic=1", with: "cyclic=3"), spec.replacingOccurrences(of: "alpha1=0.001", with: "alpha1=nan"),
                    spec.replacingOccurrences(of: "poisson=cyclic", with: "poisson=some"), spec + " extra=1",
                    spec.replacingOccurrences(of: " beta=0", with: "")] {
            XCTAssertThrowsError(try ModelRegistry.decode(kind: "scnn", spec: ModelSpec(parsing: Substring(bad))!), bad)
        }
    }

    /// States uniform in [−1, 1]² of the falling body H = p²/2 + q with exact ẋ = (p, −1), with a held-out quarter: a
    /// system with a global cyclic pair, (Q, P) = (−p, H), canonical ({−p, H} = 1), with
    /// H(P) = P, Ṗ = 0 and Q̇ = 1 = ∂H/∂P everywhere.
    struct FallingBody: BatchSource {
        let x: Tensor, test: Batch
        init(rows: Int, seed: UInt64) {
            var rng = SeededGenerator(seed: seed)
            x = Tensor(shape: [rows, 2], storage: (0..<(2 * rows)).map { _ in rng.uniform(-1, 1) })
            let held = Tensor(shape: [rows / 4, 2], storage: (0..<(2 * (rows / 4))).map { _ in rng.uniform(-1, 1) })
            test = Self.pairs(held)
        }
        static func pairs(_ x: Tensor) -> Batch {
            Batch(["x": x, "dx": Tensor(shape: x.shape, storage: (0..<x.shape[0]).flatMap { [x.storage[2 * $0 + 1], -1] })])
        }
        var dimension: Int { 2 }
        var count: Int { x.shape[0] }
        func batch(_ items: [Int]) -> Batch { Self.pairs(Tensor(shape: [items.count, 2], storage: items.flatMap { Array(x.storage[(2 * $0)..<(2 * $0 + 2)]) })) }
        var testBatch: Batch? { test }
        var provenance: Checkpoint.Provenance { .init(system: "falling body", names: ["q", "p"], parameters: [:]) }
        func validate() throws {}
    }

    /// Where a global cyclic pair exists (the falling body), training with the registry's
    /// weights (α1 = α2 = 1e-3) lowers every loss term by far, and the held-out loss.
    func testTrainingLowersEveryTerm() throws {
        let data = FallingBody(rows: 200, seed: 1)
        let model = SCNN(dimension: 2, hidden: 16, layers: 2, cyclic: 1, initializer: .orthogonal, seed: 1)
        let before = try train(model, on: data, options: TrainingOptions(steps: 1, learningRate: 0))
        let after = try train(model, on: data, options: TrainingOptions(steps: 800, learningRate: 1e-2))
        XCTAssertNil(after.stoppedEarly)
        XCTAssertEqual(Set(after.terms.keys), ["hnn", "poisson", "hqp"])
        for name in model.lossNames {
            XCTAssertLessThan(after.terms[name]!, 0.1 * before.terms[name]!, "\(name): \(before.terms[name]!) -> \(after.terms[name]!)")
        }
        XCTAssertLessThan(after.testLoss!, 0.01 * before.testLoss!)
        // The objective is L_HNN + 1e-3 (L_Poisson + L_HQP).
        let t = after.terms
        XCTAssertEqual(after.finalTrainingLoss, t["hnn"]! + 1e-3 * t["poisson"]! + 1e-3 * t["hqp"]!, accuracy: 1e-12)
    }

    /// On the harmonic oscillator the orbits encircle the origin, where the angle conjugate to
    /// the action has no single-valued smooth form (issue 19's obstruction): no T makes the pair
    /// exactly cyclic on the whole plane. Training still lowers the objective, L_HNN and L_Poisson.
    func testTrainingOnTheHarmonicOscillator() throws {
        var recipe = InitialConditions.recipe(for: "harmonic")
        recipe.trajectories = 6
        let data = try Dataset.generate(.init(system: try Catalog.system("harmonic"), catalogName: "harmonic", recipe: recipe, seed: 0))
        let model = SCNN(dimension: 2, hidden: 16, layers: 2, cyclic: 1, settings: .init(alpha1: 0.1, alpha2: 0.1), initializer: .orthogonal, seed: 1)
        let before = try train(model, on: data, options: TrainingOptions(steps: 1, learningRate: 0))
        let after = try train(model, on: data, options: TrainingOptions(steps: 300, learningRate: 1e-2))
        XCTAssertNil(after.stoppedEarly)
        XCTAssertLessThan(after.finalTrainingLoss, 0.5 * before.finalTrainingLoss)
        for name in ["hnn", "poisson"] {
            XCTAssertLessThan(after.terms[name]!, 0.5 * before.terms[name]!, "\(name): \(before.terms[name]!) -> \(after.terms[name]!)")
        }
        XCTAssertLessThan(after.testLoss!, before.testLoss!)
        // L_HQP rises here (0.19 to 0.48), consistent with the obstruction; this records the
        // observation, it does not prove it (an undertrained model would pass too). The
        // obstruction is reproduced against a working case in notebooks-txt/scnn.txt: the same
        // settings identify total momentum (R² 0.99993) but not angular momentum (R² 0.05).
        XCTAssertGreaterThan(after.terms["hqp"]!, before.terms["hqp"]!)
    }
}
