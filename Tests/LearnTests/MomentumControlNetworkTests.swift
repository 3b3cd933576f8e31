import Dynamics
import Foundation
import Symbolic
import XCTest
@testable import Learn

/// The SCNN's P-only mode against exact mathematics: its loss terms on the analytic gradients of
/// the two-body invariants (Px, Py and the relative angular momentum commute and are conserved
/// by the true field; {Px, L} = −Py for the total L; the Gram frame of Px and Py is 2I), every
/// term's gradient against central differences, ∇P against differences of P, the checkpoint,
/// and the registry's refusals.
final class MomentumControlNetworkTests: XCTestCase {
    typealias Net = MomentumControlNetwork

    /// Two-body states (qx1, qy1, qx2, qy2, px1, py1, px2, py2), bodies kept apart.
    func states(_ rows: Int, seed: UInt64) -> [[Double]] {
        var rng = SeededGenerator(seed: seed)
        return (0..<rows).map { _ in
            [rng.uniform(0.5, 1.5), rng.uniform(-1, 1), rng.uniform(-1.5, -0.5), rng.uniform(-1, 1)] + (0..<4).map { _ in rng.uniform(-1, 1) }
        }
    }

    /// Hamilton's field of H = |p1|²/2 + |p2|²/2 − 1/|q1 − q2| (unit masses and coupling).
    func field(_ x: [Double]) -> [Double] {
        let (rx, ry) = (x[0] - x[2], x[1] - x[3]), r3 = pow(rx * rx + ry * ry, 1.5)
        let f1 = [-rx / r3, -ry / r3]  // −∂V/∂q1 for V = −1/r
        return [x[4], x[5], x[6], x[7], f1[0], f1[1], -f1[0], -f1[1]]
    }

    /// ∇ of Px, Py, Lrel = (px1 − px2)(qy1 − qy2) − (py1 − py2)(qx1 − qx2) and the total
    /// L = Σ qx py − qy px, in the state's order.
    func gradients(_ x: [Double]) -> [String: [Double]] {
        let (dpx, dpy, dqx, dqy) = (x[4] - x[6], x[5] - x[7], x[0] - x[2], x[1] - x[3])
        return ["Px": [0, 0, 0, 0, 1, 0, 1, 0], "Py": [0, 0, 0, 0, 0, 1, 0, 1],
                "Lrel": [-dpy, dpx, dpy, -dpx, dqy, -dqx, -dqy, dqx],
                "L": [x[5], -x[4], x[7], -x[6], -x[1], x[0], -x[3], x[2]]]
    }

    func stack(_ xs: [[Double]], _ names: [String], scale: Double = 1) -> Variable {
        let rows = xs.flatMap { x in names.flatMap { gradients(x)[$0]!.map { $0 * scale } } }
        return Variable(Tensor(shape: [xs.count, names.count, 8], storage: rows))
    }

    func matrix(_ rows: [[Double]]) -> Variable { Variable(Tensor(shape: [rows.count, rows[0].count], storage: rows.flatMap { $0 })) }

    func testLossTermsOnTheTwoBodyInvariants() {
        let xs = states(7, seed: 2)
        let f = matrix(xs.map(field))
        let G = stack(xs, ["Px", "Py", "Lrel"])
        XCTAssertEqual(Net.involutionLoss(G).value.scalar, 0, accuracy: 1e-26, "Px, Py and Lrel commute")
        XCTAssertEqual(Net.conservationLoss(G, dx: f, field: f).value.scalar, 0, accuracy: 1e-24, "and are conserved by the true field")
        // Not conserved along another field: Σ_i (∇P_i · v)² for v = ∂/∂qx1 is Lrel's ∂/∂qx1 squared, twice.
        let v = matrix(xs.map { _ in [1, 0, 0, 0, 0, 0, 0, 0] })
        let expected = xs.map { pow(gradients($0)["Lrel"]![0], 2) }.reduce(0, +) * 2 / Double(xs.count)
        XCTAssertEqual(Net.conservationLoss(G, dx: v, field: v).value.scalar, expected, accuracy: 1e-12)
        XCTAssertEqual(Net.conservationLoss(G, dx: f, field: v).value.scalar, expected / 2, accuracy: 1e-12, "the model's field alone")
        XCTAssertEqual(Net.conservationLoss(G, dx: v, field: f).value.scalar, expected / 2, accuracy: 1e-12, "the data alone")
        // {Px, L} = −Py for the total angular momentum: the involution loss is mean Py².
        let meanPy2 = xs.map { pow($0[5] + $0[7], 2) }.reduce(0, +) / Double(xs.count)
        XCTAssertEqual(Net.involutionLoss(stack(xs, ["Px", "L"])).value.scalar, meanPy2, accuracy: 1e-12)
        // The frame: |∇Px|² = |∇Py|² = 2 and ∇Px · ∇Py = 0, so G = 2I and ‖G − I‖² = 2; Px/√2, Py/√2 meet it.
        XCTAssertEqual(Net.frameLoss(stack(xs, ["Px", "Py"])).value.scalar, 2, accuracy: 1e-12)
        XCTAssertEqual(Net.frameLoss(stack(xs, ["Px", "Py"], scale: 1 / 2.0.squareRoot())).value.scalar, 0, accuracy: 1e-28)
        // A constant P has ∇P = 0: conserved and in involution, and refused by the frame (‖−I‖² = n).
        let constant = Variable(Tensor.zeros([7, 2, 8]))
        XCTAssertEqual(Net.conservationLoss(constant, dx: f, field: f).value.scalar, 0)
        XCTAssertEqual(Net.frameLoss(constant).value.scalar, 2)
    }

    func smallModel(seed: UInt64 = 3) -> Net {
        Net(dimension: 4, hidden: 5, layers: 2, cyclic: 2, alpha1: 0.25, alpha2: 3, initializer: .orthogonal, seed: seed)
    }

    func randomBatch(rows: Int, seed: UInt64) -> Batch {
        var rng = SeededGenerator(seed: seed)
        let x = Tensor(shape: [rows, 4], storage: (0..<(rows * 4)).map { _ in rng.uniform(-1, 1) })
        let dx = Tensor(shape: [rows, 4], storage: (0..<(rows * 4)).map { _ in rng.uniform(-1, 1) })
        return Batch(["x": x, "dx": dx])
    }

    /// ∇P by n reverse passes is P's Jacobian, by central differences of `latent`.
    func testMomentumGradientsAreTheLatentsJacobian() {
        let model = smallModel(), x = randomBatch(rows: 3, seed: 8)["x"]!
        let G = Recording.with(false) { model.momentumGradients(x, at: model.momenta.parameters) }.value
        XCTAssertEqual(G.shape, [3, 2, 4])
        let h = 1e-6
        for j in 0..<4 {
            var up = x, down = x
            for r in 0..<3 { up.storage[r * 4 + j] += h; down.storage[r * 4 + j] -= h }
            let a = model.latentValues(up), b = model.latentValues(down)
            for r in 0..<3 { for i in 0..<2 {
                XCTAssertEqual(G.storage[(r * 2 + i) * 4 + j], (a.storage[r * 2 + i] - b.storage[r * 2 + i]) / (2 * h), accuracy: 1e-8)
            } }
        }
    }

    func testLossGradientsMatchFiniteDifferences() throws {
        try assertLossGradientsMatchFiniteDifferences(smallModel(), on: randomBatch(rows: 4, seed: 5), "scnnp")
    }

    /// The field is Hamilton's of H_θ (ṗ = −∂H/∂q), by central differences of `hamiltonian`.
    func testFieldIsHamiltonsEquationsOfItsH() {
        let model = smallModel(), x = [0.3, -0.7, 0.2, 0.9], h = 1e-6
        var f = [Double](repeating: 0, count: 4)
        x.withUnsafeBufferPointer { p in f.withUnsafeMutableBufferPointer { model.evaluate(p.baseAddress!, into: $0.baseAddress!) } }
        func dH(_ j: Int) -> Double {
            var up = x, down = x
            up[j] += h; down[j] -= h
            return (model.hamiltonian(up) - model.hamiltonian(down)) / (2 * h)
        }
        for (i, expected) in [dH(2), dH(3), -dH(0), -dH(1)].enumerated() { XCTAssertEqual(f[i], expected, accuracy: 1e-8) }
    }

    func testCheckpointRoundTrip() throws {
        let model = smallModel()
        let path = NSTemporaryDirectory() + "noether-scnnp-\(getpid()).ckpt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(model, provenance: .init(system: "test", names: ["q1", "q2", "p1", "p2"], parameters: [:]), to: path)
        let read = try XCTUnwrap(try Checkpoint.read(path).model as? Net)
        XCTAssertEqual(model.spec.description, "dimension=4 hidden=5 layers=2 activation=tanh cyclic=2 alpha1=0.25 alpha2=3.0")
        XCTAssertEqual(read.spec, model.spec)
        XCTAssertEqual(read.variables.map(\.value), model.variables.map(\.value))
        XCTAssertEqual(read.objective.terms.map(\.name), ["hnn", "poisson", "hqp", "frame"])
        XCTAssertEqual(read.objective.terms.map(\.weight), [1, 0.25, 3, 0.25])
        let batch = randomBatch(rows: 3, seed: 1)
        let a = try read.losses(batch), b = try model.losses(batch)
        for name in model.lossNames { XCTAssertEqual(a[name]!.value.scalar, b[name]!.value.scalar) }
        let shapes = try ModelRegistry.entry("scnnp").parameterShapes(model.spec)
        XCTAssertEqual(shapes.map(\.name), model.parameters.map(\.name))
        XCTAssertEqual(shapes.map(\.shape), model.variables.map(\.shape))
    }

    func testRegistryOptionsAndErrors() throws {
        let all = try XCTUnwrap(try ModelRegistry.build("scnnp", options: ["hidden": .whole(4)], dimension: 6, seed: 1) as? Net)
        XCTAssertEqual(all.cyclic, 3, "cyclic 0 is all d/2")
        XCTAssertEqual(all.latentNames, ["P1", "P2", "P3"])
        XCTAssertEqual(all.conservedNames, ["P1", "P2", "P3"])
        XCTAssertThrowsError(try ModelRegistry.build("scnnp", options: ["cyclic": .whole(3)], dimension: 4, seed: 1)) {
            XCTAssertTrue("\($0)".contains("at most 2 independent momenta in involution; cyclic: 3 is more"), "\($0)")
        }
        for bad in ["dimension=4 hidden=5 layers=2 activation=tanh cyclic=0 alpha1=1 alpha2=1",
                    "dimension=4 hidden=5 layers=2 activation=tanh cyclic=3 alpha1=1 alpha2=1",
                    "dimension=4 hidden=5 layers=2 activation=tanh cyclic=1 alpha1=-1 alpha2=1",
                    "dimension=4 hidden=5 layers=2 activation=tanh cyclic=1 alpha1=1",
                    "dimension=4 hidden=5 layers=2 activation=tanh cyclic=1.0 alpha1=1 alpha2=1",
                    "dimension=4 hidden=5 layers=2 activation=tanh cyclic=1 alpha1=1 alpha2=2e6"] {
            let spec = try XCTUnwrap(ModelSpec(parsing: bad[...]))
            XCTAssertThrowsError(try ModelRegistry.decode(kind: "scnnp", spec: spec), bad)
        }
    }

    /// Training on a falling body (whose one invariant is H) lowers the Hamilton and frame terms
    /// tenfold, and the reported loss is the objective hnn + α1 (poisson + frame) + α2 hqp.
    func testTrainingLowersTheTermsAndReportsTheObjective() throws {
        let data = SymmetryControlNetworkTests.FallingBody(rows: 200, seed: 1)
        let model = Net(dimension: 2, hidden: 16, layers: 2, cyclic: 1, alpha1: 1, alpha2: 1, initializer: .orthogonal, seed: 1)
        let before = try train(model, on: data, options: TrainingOptions(steps: 1, learningRate: 0))
        let after = try train(model, on: data, options: TrainingOptions(steps: 800, learningRate: 1e-2))
        XCTAssertNil(after.stoppedEarly)
        XCTAssertEqual(Set(after.terms.keys), ["hnn", "poisson", "hqp", "frame"])
        for name in ["hnn", "frame"] {
            XCTAssertLessThan(after.terms[name]!, 0.1 * before.terms[name]!, "\(name): \(before.terms[name]!) -> \(after.terms[name]!)")
        }
        let t = after.terms
        XCTAssertEqual(after.finalTrainingLoss, t["hnn"]! + t["poisson"]! + t["hqp"]! + t["frame"]!, accuracy: 1e-12)
        XCTAssertEqual(t["poisson"]!, 0, "one momentum has no pair to bracket")
    }
}
