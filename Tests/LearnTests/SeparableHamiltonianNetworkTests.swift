import Dynamics
import Foundation
import Symbolic
import XCTest
@testable import Learn

/// The separable Hamiltonian network H_θ = T_θ(p) + V_θ(q), checked against independent
/// truths: its field is Hamilton's equations of its own H (central differences of H_θ), its
/// split is the field's, a leapfrog step of it is symplectic (JᵀΩJ = Ω) and keeps H_θ within a
/// bounded error, and it saves and reads back through the registry.
final class SeparableHamiltonianNetworkTests: XCTestCase {
    let model = SeparableHamiltonianNetwork(dimension: 4, hidden: 12, layers: 2, seed: 7)
    let x = [0.3, -0.2, 0.5, 0.1]

    func H(_ x: [Double]) -> Double { model.hamiltonian(x) }

    /// q̇ = ∂H/∂p and ṗ = −∂H/∂q, with H_θ differentiated by central differences.
    func testFieldIsHamiltonsEquationsOfItsH() {
        let f = model(x), n = 2, h = 1e-5
        /// ∂H/∂x_j by central differences.
        func partial(_ j: Int) -> Double {
            var a = x, b = x
            a[j] += h; b[j] -= h
            return (H(a) - H(b)) / (2 * h)
        }
        for i in 0..<n {
            XCTAssertEqual(f[i], partial(i + n), accuracy: 1e-8, "dq\(i + 1)/dt = dH/dp\(i + 1)")
            XCTAssertEqual(f[i + n], -partial(i), accuracy: 1e-8, "dp\(i + 1)/dt = -dH/dq\(i + 1)")
        }
        // H is separable: ∂²H/∂q∂p = 0.
        var mixed = x, a = x
        mixed[0] += 1e-3; mixed[2] += 1e-3
        a[0] += 1e-3
        var b = x
        b[2] += 1e-3
        XCTAssertEqual(H(mixed) - H(a) - H(b) + H(x), 0, accuracy: 1e-13)
    }

    /// `velocity` and `force` are the field's two halves.
    func testSplitIsTheField() {
        let f = model(x)
        var qdot = [0.0, 0.0], pdot = [0.0, 0.0]
        model.velocity([x[2], x[3]], into: &qdot)
        model.force([x[0], x[1]], into: &pdot)
        XCTAssertEqual(qdot, Array(f[0..<2]))
        XCTAssertEqual(pdot, Array(f[2..<4]))
        XCTAssertTrue(model.isSeparable)
    }

    /// One leapfrog step φ of the learned field: its Jacobian J (central differences)
    /// satisfies JᵀΩJ = Ω to the accuracy of the differences.
    func testLeapfrogStepIsSymplectic() throws {
        let integrator = FixedStepIntegrator(.leapfrog, step: 0.1)
        func step(_ y: [Double]) throws -> [Double] { var s = y; try integrator.step(model, &s); return s }
        var J = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 4)
        let h = 1e-5
        for j in 0..<4 {
            var a = x, b = x
            a[j] += h; b[j] -= h
            let (fa, fb) = (try step(a), try step(b))
            for i in 0..<4 { J[i][j] = (fa[i] - fb[i]) / (2 * h) }
        }
        let omega: [[Double]] = [[0, 0, 1, 0], [0, 0, 0, 1], [-1, 0, 0, 0], [0, -1, 0, 0]]
        for r in 0..<4 {
            for c in 0..<4 {
                var s = 0.0
                for i in 0..<4 { for k in 0..<4 { s += J[i][r] * omega[i][k] * J[k][c] } }
                XCTAssertEqual(s, omega[r][c], accuracy: 1e-8, "(JᵀΩJ)[\(r)][\(c)]")
            }
        }
        // The same check fails for a non-symplectic method (the check has teeth): Euler's
        // JᵀΩJ − Ω is h²AᵀΩA for the field's Jacobian A, measurable at a larger step.
        let euler = FixedStepIntegrator(.euler, step: 0.5)
        var a = x, b = x
        a[0] += h; b[0] -= h
        try euler.step(model, &a); try euler.step(model, &b)
        var c = x, d = x
        c[2] += h; d[2] -= h
        try euler.step(model, &c); try euler.step(model, &d)
        let col0 = (0..<4).map { (a[$0] - b[$0]) / (2 * h) }, col2 = (0..<4).map { (c[$0] - d[$0]) / (2 * h) }
        let entry = (0..<4).reduce(0.0) { s, i in s + (0..<4).reduce(0.0) { $0 + col0[i] * omega[i][$1] * col2[$1] } }
        XCTAssertGreaterThan(abs(entry - 1), 1e-4)
    }

    /// Leapfrog keeps H_θ within a bounded error over many steps, without drift.
    func testLeapfrogKeepsTheLearnedEnergy() throws {
        let traj = try FixedStepIntegrator(.leapfrog, step: 0.01).run(model, from: x, steps: 20_000, sampleEvery: 100)
        let h0 = H(x)
        let errors = (0..<traj.count).map { abs(H(Array(traj.state($0))) - h0) }
        let firstHalf = errors[..<(errors.count / 2)].max()!, secondHalf = errors[(errors.count / 2)...].max()!
        XCTAssertLessThan(errors.max()!, 1e-3)
        XCTAssertLessThan(secondHalf, 2 * firstHalf + 1e-12, "no drift: the error in the second half stays within that of the first")
    }

    /// A checkpoint of the model reads back to the same parameters and field, through the registry.
    func testCheckpointRoundTrip() throws {
        let path = NSTemporaryDirectory() + "noether-shnn-\(getpid()).ckpt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(model, provenance: .init(system: "test", names: ["q1", "q2", "p1", "p2"], parameters: [:]), to: path)
        let read = try Checkpoint.read(path)
        XCTAssertEqual(read.model.kind, "shnn")
        XCTAssertEqual(read.model.parameters.map { $0.name }, model.parameters.map { $0.name })
        XCTAssertEqual(read.model.variables.map { $0.value }, model.variables.map { $0.value })
        XCTAssertEqual((read.model as! any FieldModel)(x), model(x))
        let shapes = try ModelRegistry.entry("shnn").parameterShapes(model.spec)
        XCTAssertEqual(shapes.map { $0.shape }, model.variables.map { $0.shape })
    }
}
