import Dynamics
import Foundation
import Symbolic
import XCTest
@testable import Learn

/// The SCNN's angle-valued latents (`angles: k`), checked against exact mathematics: polar
/// coordinates of the plane, T = (θ, r, L, p_r) with θ = atan2(y, x), are canonical away from
/// the origin, so L_Poisson vanishes through the angle's gradient row, and with the planar
/// central potential's H(L, r, p_r) L_HNN and L_HQP vanish too; P = 2L is not canonical. Then
/// every term's gradient against central differences, Q_i = atan2 in the latent values and its
/// derivatives in J, the checkpoint, the registry's refusal of more angles than cyclic pairs,
/// and issue 19's obstruction reproduced against a working control.
final class SymmetryControlNetworkAngleTests: XCTestCase {
    typealias SCNN = SymmetryControlNetwork

    /// States (x, y, p_x, p_y), none near the origin of the plane.
    let states: [[Double]] = [[0.3, 0.8, -0.5, 0.2], [-1.2, 0.4, 0.7, 1.1], [0.5, -2, 0.1, -0.3], [-0.7, -0.1, -1.4, 0.6], [-0.9, 1e-3, 0.4, 0.5]]

    /// T's outputs (c, r, P_1, p_r, s) and their Jacobian [b, 5, 4] for polar coordinates, with
    /// (c, s) = ρ (x, y) for ρ = 1 + p_x² (any positive ρ leaves the angle unchanged) and
    /// P_1 = `scale` · L.
    func polar(scale: Double = 1) -> (outputs: Variable, jacobian: Variable) {
        var outputs: [Double] = [], rows: [Double] = []
        for s in states {
            let (x, y, px, py) = (s[0], s[1], s[2], s[3])
            let r = (x * x + y * y).squareRoot(), rho = 1 + px * px, L = x * py - y * px, pr = (x * px + y * py) / r
            outputs += [rho * x, r, scale * L, pr, rho * y]
            rows += [rho, 0, 2 * px * x, 0]                                       // ∇(ρx)
            rows += [x / r, y / r, 0, 0]                                          // ∇r
            rows += [scale * py, -scale * px, -scale * y, scale * x]              // ∇L
            rows += [px / r - x * pr / (r * r), py / r - y * pr / (r * r), x / r, y / r]  // ∇p_r
            rows += [0, rho, 2 * px * y, 0]                                       // ∇(ρy)
        }
        let b = states.count
        return (Variable(Tensor(shape: [b, 5], storage: outputs)), Variable(Tensor(shape: [b, 5, 4], storage: rows)))
    }

    /// Row 0 of J is ∇θ = (−y, x, 0, 0)/r², whatever ρ; the other rows are kept. The Poisson
    /// loss over both pairs is 0 to rounding, and with P_1 = 2L it is ({θ, 2L} − 1)² = 1.
    func testPolarCoordinatesAreCanonicalThroughTheAngleRow() {
        let (z, raw) = polar()
        let J = SCNN.angleJacobian(outputs: z, jacobian: raw, angles: 1).value
        XCTAssertEqual(J.shape, [states.count, 4, 4])
        for (b, s) in states.enumerated() {
            let r2 = s[0] * s[0] + s[1] * s[1]
            for (j, exact) in [-s[1] / r2, s[0] / r2, 0, 0].enumerated() {
                // ε in the denominator changes the row by a relative ε/(c² + s²), here below 1e-11.
                XCTAssertEqual(J.storage[b * 16 + j], exact, accuracy: 1e-11 * max(1, abs(exact)), "sample \(b), d theta/dx_\(j)")
            }
            for i in 1..<4 { for j in 0..<4 { XCTAssertEqual(J.storage[b * 16 + i * 4 + j], raw.value.storage[b * 20 + i * 4 + j]) } }
        }
        XCTAssertEqual(SCNN.poissonLoss(jacobian: Variable(J), pairs: 2).value.scalar, 0, accuracy: 1e-24)
        XCTAssertEqual(SCNN.poissonLoss(jacobian: Variable(J), pairs: 1).value.scalar, 0, accuracy: 1e-24)
        let (z2, raw2) = polar(scale: 2)
        let twice = SCNN.angleJacobian(outputs: z2, jacobian: raw2, angles: 1)
        XCTAssertEqual(SCNN.poissonLoss(jacobian: twice, pairs: 2).value.scalar, 1, accuracy: 1e-10)
        XCTAssertEqual(SCNN.poissonLoss(jacobian: twice, pairs: 1).value.scalar, 1, accuracy: 1e-10)
    }

    /// H = |p|²/2 + r⁴/4 is H(L, r, p_r) = p_r²/2 + L²/(2r²) + r⁴/4 in polar coordinates: with
    /// ∂H/∂z = (0, −L²/r³ + r³, L/r², p_r) and the exact field, L_HNN = 0 and L_HQP = 0 (θ̇ =
    /// L/r² = ∂H/∂L, L̇ = 0, and with β = 1 the radial pair's equations); a wrong ∂H/∂L = 0
    /// leaves L_HQP = mean (L/r²)².
    func testCentralPotentialInPolarCoordinatesSatisfiesEveryLoss() {
        let (z, raw) = polar()
        let J = SCNN.angleJacobian(outputs: z, jacobian: raw, angles: 1)
        var g: [Double] = [], wrong: [Double] = [], dx: [Double] = [], thetaDot = 0.0
        for s in states {
            let (x, y, px, py) = (s[0], s[1], s[2], s[3])
            let r = (x * x + y * y).squareRoot(), L = x * py - y * px, pr = (x * px + y * py) / r
            g += [0, -L * L / (r * r * r) + r * r * r, L / (r * r), pr]
            wrong += [0, -L * L / (r * r * r) + r * r * r, 0, pr]
            dx += [px, py, -r * r * x, -r * r * y]
            thetaDot += (L / (r * r)) * (L / (r * r))
        }
        let b = states.count
        let gv = Variable(Tensor(shape: [b, 4], storage: g)), dxv = Variable(Tensor(shape: [b, 4], storage: dx))
        XCTAssertEqual(SCNN.hamiltonLoss(jacobian: J, latentGradient: gv, dx: dxv).value.scalar, 0, accuracy: 1e-24)
        XCTAssertEqual(SCNN.cyclicLoss(jacobian: J, latentGradient: gv, dx: dxv, cyclic: 1, beta: 1).value.scalar, 0, accuracy: 1e-20)
        let off = SCNN.cyclicLoss(jacobian: J, latentGradient: Variable(Tensor(shape: [b, 4], storage: wrong)), dx: dxv, cyclic: 1, beta: 0)
        XCTAssertEqual(off.value.scalar, thetaDot / Double(b), accuracy: 1e-9 * thetaDot)
    }

    // MARK: The network with angles

    func randomBatch(rows: Int, dimension: Int, seed: UInt64) -> Batch {
        var rng = SeededGenerator(seed: seed)
        let x = Tensor(shape: [rows, dimension], storage: (0..<(rows * dimension)).map { _ in rng.uniform(-1, 1) })
        let dx = Tensor(shape: [rows, dimension], storage: (0..<(rows * dimension)).map { _ in rng.uniform(-1, 1) })
        return Batch(["x": x, "dx": dx])
    }

    func smallModel(cyclic: Int = 1, angles: Int = 1, poisson: SCNN.PoissonPairs = .all, seed: UInt64 = 3) -> SCNN {
        SCNN(dimension: 4, hidden: 5, layers: 2, cyclic: cyclic, angles: angles, settings: .init(alpha1: 0.25, alpha2: 3e-4, beta: 0.5, poisson: poisson),
             initializer: .orthogonal, seed: seed)
    }

    /// T has d + k outputs; the latent values are d columns with Q_i = atan2(s_i, c_i) of T's
    /// columns i and d + i; and J is their derivative: by central differences of the latent
    /// values, angle rows included.
    func testLatentAnglesAndTheirJacobian() {
        let model = smallModel(cyclic: 2, angles: 2), x = randomBatch(rows: 4, dimension: 4, seed: 8)["x"]!
        XCTAssertEqual(model.transform.sizes.last, 6)
        let raw = Recording.with(false) { model.transform(Variable(x)) }.value, z = model.latentValues(x)
        XCTAssertEqual(z.shape, [4, 4])
        for b in 0..<4 {
            for i in 0..<2 {
                XCTAssertEqual(z.storage[b * 4 + i], atan2(raw.storage[b * 6 + 4 + i], raw.storage[b * 6 + i]))
                XCTAssertTrue(z.storage[b * 4 + i] > -Double.pi && z.storage[b * 4 + i] <= Double.pi)
            }
            for i in 2..<4 { XCTAssertEqual(z.storage[b * 4 + i], raw.storage[b * 6 + i]) }
        }
        let J = Recording.with(false) { model.transformAndJacobian(x, at: model.transform.parameters).jacobian }.value
        XCTAssertEqual(J.shape, [4, 4, 4])
        let h = 1e-6
        for j in 0..<4 {
            var up = x, down = x
            for b in 0..<4 { up.storage[b * 4 + j] += h; down.storage[b * 4 + j] -= h }
            let zu = model.latentValues(up), zd = model.latentValues(down)
            for b in 0..<4 {
                for i in 0..<4 {
                    let difference = (zu.storage[b * 4 + i] - zd.storage[b * 4 + i]) / (2 * h)
                    XCTAssertEqual(J.storage[(b * 4 + i) * 4 + j], difference, accuracy: 1e-7 * max(1, abs(difference)), "J[\(b)][\(i)][\(j)]")
                }
            }
        }
    }

    /// The gradient of each loss term with angles (one angle of one cyclic pair, and two of two)
    /// with respect to a few entries of every parameter tensor matches central differences.
    func testLossGradientsWithAnglesMatchFiniteDifferences() throws {
        let batch = randomBatch(rows: 6, dimension: 4, seed: 11)
        for model in [smallModel(), smallModel(cyclic: 2, angles: 2, poisson: .cyclic, seed: 5)] {
            try assertLossGradientsMatchFiniteDifferences(model, on: batch, "angles=\(model.angles)")
        }
    }

    /// A checkpoint carries `angles` and reads back to the same spec, tensors and losses; the
    /// registry's shapes count T's d + k outputs; a spec without `angles` is a model without.
    func testCheckpointWithAngles() throws {
        let model = smallModel()
        XCTAssertEqual(model.spec.description, "dimension=4 hidden=5 layers=2 activation=tanh cyclic=1 alpha1=0.25 alpha2=0.0003 beta=0.5 poisson=all angles=1")
        XCTAssertEqual(smallModel(angles: 0).spec.description, "dimension=4 hidden=5 layers=2 activation=tanh cyclic=1 alpha1=0.25 alpha2=0.0003 beta=0.5 poisson=all")
        let path = NSTemporaryDirectory() + "noether-scnn-angles-\(getpid()).ckpt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(model, provenance: .init(system: "test", names: ["x", "y", "px", "py"], parameters: [:]), to: path)
        let read = try XCTUnwrap(try Checkpoint.read(path).model as? SCNN)
        XCTAssertEqual(read.angles, 1)
        XCTAssertEqual(read.spec, model.spec)
        XCTAssertEqual(read.variables.map(\.value), model.variables.map(\.value))
        let batch = randomBatch(rows: 3, dimension: 4, seed: 1)
        let a = try read.losses(batch), b = try model.losses(batch)
        for name in model.lossNames { XCTAssertEqual(a[name]!.value.scalar, b[name]!.value.scalar) }
        let shapes = try ModelRegistry.entry("scnn").parameterShapes(model.spec)
        XCTAssertEqual(shapes.map(\.shape), model.variables.map(\.shape))
        XCTAssertEqual(model.variables[4].shape, [5, 5], "T's last layer has d + k = 5 outputs")
        let old = try XCTUnwrap(try ModelRegistry.decode(kind: "scnn", spec: smallModel(angles: 0).spec) as? SCNN)
        XCTAssertEqual(old.angles, 0)
        XCTAssertEqual(old.transform.sizes.last, 4)
        let spec = model.spec.description
        for bad in [spec.replacingOccurrences(of: "angles=1", with: "angles=2"), spec.replacingOccurrences(of: "angles=1", with: "angles=-1"),
                    spec.replacingOccurrences(of: "angles=1", with: "angles=one")] {
            XCTAssertThrowsError(try ModelRegistry.decode(kind: "scnn", spec: ModelSpec(parsing: Substring(bad))!), bad)
        }
    }

    /// The registry reads `angles`, counts the extra reverse passes in the cost, and refuses
    /// more angles than cyclic pairs with a message that says so (cyclic 0 is all pairs).
    func testRegistryAngles() throws {
        let model = try XCTUnwrap(try ModelRegistry.build("scnn", options: ["hidden": .whole(4), "cyclic": .whole(1), "angles": .whole(1)], dimension: 4, seed: 1) as? SCNN)
        XCTAssertEqual(model.angles, 1)
        XCTAssertEqual(model.architectureDescription, "T 4 -> 4 -> 4 -> 5 (tanh), H(1 cyclic, 1 angle) 3 -> 4 -> 4 -> 1 (tanh)")
        let all = try XCTUnwrap(try ModelRegistry.build("scnn", options: ["hidden": .whole(4), "angles": .whole(2)], dimension: 4, seed: 1) as? SCNN)
        XCTAssertEqual([all.cyclic, all.angles], [2, 2])
        XCTAssertEqual(try XCTUnwrap(try ModelRegistry.build("scnn", options: ["hidden": .whole(4)], dimension: 4, seed: 1) as? SCNN).angles, 0)
        XCTAssertThrowsError(try ModelRegistry.build("scnn", options: ["cyclic": .whole(1), "angles": .whole(2)], dimension: 4, seed: 1)) { error in
            XCTAssertTrue(error is ModelError)
            XCTAssertTrue("\(error)".contains("angles: 2") && "\(error)".contains("at most 1"), "\(error)")
        }
        XCTAssertThrowsError(try ModelRegistry.trainingCost("scnn", options: ["cyclic": .whole(1), "angles": .whole(2)], dimension: 4, rows: 10))
        let plain = try ModelRegistry.trainingCost("scnn", options: ["cyclic": .whole(1)], dimension: 4, rows: 10)
        let angled = try ModelRegistry.trainingCost("scnn", options: ["cyclic": .whole(1), "angles": .whole(1)], dimension: 4, rows: 10)
        XCTAssertEqual(angled.parameters - plain.parameters, TrainingCost(dimension: 4, hidden: 200, layers: 2, rows: 10).parameters)
    }

    // MARK: The obstruction

    /// States of a planar system, (x, y) uniform in the annulus 0.6 ≤ r ≤ 1.1 (around the
    /// origin, away from it) and (p_x, p_y) uniform in [−1, 1]², with the exact ẋ of H = |p|²/2
    /// + `potential`; no held-out split.
    struct PlanarStates: BatchSource {
        let x: Tensor, dx: Tensor
        init(rows: Int, seed: UInt64, force: ([Double]) -> (Double, Double)) {
            var rng = SeededGenerator(seed: seed)
            var states: [Double] = [], rates: [Double] = []
            for _ in 0..<rows {
                let r = rng.uniform(0.6, 1.1), a = rng.uniform(0, 2 * Double.pi)
                let s = [r * cos(a), r * sin(a), rng.uniform(-1, 1), rng.uniform(-1, 1)], (fx, fy) = force(s)
                states += s
                rates += [s[2], s[3], fx, fy]
            }
            x = Tensor(shape: [rows, 4], storage: states); dx = Tensor(shape: [rows, 4], storage: rates)
        }
        var dimension: Int { 4 }
        var count: Int { x.shape[0] }
        func batch(_ items: [Int]) -> Batch {
            func rows(_ t: Tensor) -> Tensor { Tensor(shape: [items.count, 4], storage: items.flatMap { Array(t.storage[(4 * $0)..<(4 * $0 + 4)]) }) }
            return Batch(["x": rows(x), "dx": rows(dx)])
        }
        var testBatch: Batch? { nil }
        var provenance: Checkpoint.Provenance { .init(system: "planar", names: ["x", "y", "px", "py"], parameters: [:]) }
        func validate() throws {}
    }

    /// R² of the least-squares fit of `target` by a + b u + c v.
    func rSquared(_ target: [Double], _ u: [Double], _ v: [Double]) -> Double {
        let columns = [[Double](repeating: 1, count: target.count), u, v]
        var a = (0..<3).map { i in (0..<3).map { j in zip(columns[i], columns[j]).reduce(0) { $0 + $1.0 * $1.1 } } }
        var b = (0..<3).map { i in zip(columns[i], target).reduce(0) { $0 + $1.0 * $1.1 } }
        for k in 0..<3 {  // Gaussian elimination with partial pivoting
            let p = (k..<3).max { abs(a[$0][k]) < abs(a[$1][k]) }!
            a.swapAt(k, p); b.swapAt(k, p)
            for i in (k + 1)..<3 {
                let f = a[i][k] / a[k][k]
                for j in k..<3 { a[i][j] -= f * a[k][j] }
                b[i] -= f * b[k]
            }
        }
        var c = [0.0, 0, 0]
        for k in (0..<3).reversed() { c[k] = (b[k] - ((k + 1)..<3).reduce(0) { $0 + a[k][$1] * c[$1] }) / a[k][k] }
        let mean = target.reduce(0, +) / Double(target.count)
        let residual = target.indices.reduce(0.0) { s, i in let e = target[i] - c[0] - c[1] * u[i] - c[2] * v[i]; return s + e * e }
        return 1 - residual / target.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    }

    /// Issue 19's obstruction. With the paper's scalar Q (angles: 0) and the same settings, on
    /// states around the origin: for V = x⁴/4, whose symmetry (translation in y) has a global
    /// conjugate Q = y, the learned P1 is p_y up to scale and offset (R² against span(p_y, H)
    /// near 1); for the central V = r⁴/4, whose conjugate of L is an angle, it is not L (R²
    /// against span(L, H) low). Measured: 0.99966 and 0.0013.
    func testObstructionWithoutAngles() throws {
        func learnedP1(_ data: PlanarStates) throws -> [Double] {
            let model = SCNN(dimension: 4, hidden: 16, layers: 2, cyclic: 1, settings: .init(alpha1: 1, alpha2: 1), initializer: .orthogonal, seed: 1)
            _ = try train(model, on: data, options: TrainingOptions(steps: 400, learningRate: 1e-2))
            let z = model.latentValues(data.x)
            return (0..<data.count).map { z.storage[4 * $0 + 2] }
        }
        let line = PlanarStates(rows: 300, seed: 1) { s in (-s[0] * s[0] * s[0], 0) }
        let states = (0..<300).map { Array(line.x.storage[(4 * $0)..<(4 * $0 + 4)]) }
        let lineH = states.map { ($0[2] * $0[2] + $0[3] * $0[3]) / 2 + $0[0] * $0[0] * $0[0] * $0[0] / 4 }
        let translation = rSquared(try learnedP1(line), states.map { $0[3] }, lineH)
        // The same seed draws the same states: only ẋ differs.
        let central = PlanarStates(rows: 300, seed: 1) { s in let r2 = s[0] * s[0] + s[1] * s[1]; return (-r2 * s[0], -r2 * s[1]) }
        XCTAssertEqual(central.x, line.x)
        let centralH = states.map { s -> Double in let r2 = s[0] * s[0] + s[1] * s[1]; return (s[2] * s[2] + s[3] * s[3]) / 2 + r2 * r2 / 4 }
        let rotation = rSquared(try learnedP1(central), states.map { $0[0] * $0[3] - $0[1] * $0[2] }, centralH)
        XCTAssertGreaterThan(translation, 0.99)
        XCTAssertLessThan(rotation, 0.5)
    }
}
