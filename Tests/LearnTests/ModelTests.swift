import Dynamics
import Foundation
import Symbolic
import XCTest
@testable import Learn

final class ModelTests: XCTestCase {
    /// An HNN's field Ω∇H is divergence-free (Liouville) for any weights; a baseline's is not.
    func testHNNFieldIsDivergenceFree() {
        for kind in DynamicsModel.Kind.allCases {
            let model = DynamicsModel(kind: kind, dimension: 4, hidden: 16, layers: 2, seed: 3)
            let x = [0.3, -0.2, 0.5, 0.1]
            var trace = 0.0
            for i in 0..<4 {
                var a = x, b = x
                a[i] += 1e-5; b[i] -= 1e-5
                trace += (model(a)[i] - model(b)[i]) / 2e-5
            }
            if kind == .hnn { XCTAssertEqual(trace, 0, accuracy: 1e-8) } else { XCTAssertGreaterThan(abs(trace), 1e-3) }
        }
    }

    /// Rolled out with a symplectic integrator, an HNN conserves its own learned H.
    func testHNNConservesItsLearnedHamiltonian() throws {
        let model = DynamicsModel(kind: .hnn, dimension: 2, hidden: 16, layers: 2, seed: 5)
        func H(_ x: [Double]) -> Double { model.hamiltonian(Variable(Tensor(shape: [1, 2], storage: x))).value.scalar }
        let traj = try FixedStepIntegrator(.gl4, step: 0.05).run(model, from: [0.4, -0.3], steps: 400, sampleEvery: 50)
        let h0 = H([0.4, -0.3])
        for k in 0..<traj.count { XCTAssertEqual(H(Array(traj.state(k))), h0, accuracy: 1e-7) }
    }

    func springData(trajectories: Int = 20, noise: Double = 0) throws -> Dataset {
        var recipe = InitialConditions.recipe(for: "harmonic")
        recipe.trajectories = trajectories
        recipe.noise = noise
        return try Dataset.generate(.init(system: try Catalog.system("harmonic"), catalogName: "harmonic", recipe: recipe, seed: 0))
    }

    /// Training on Greydanus' spring reduces the held-out error of the predicted field by far.
    func testTrainingLearnsTheSpring() throws {
        let data = try springData()
        for kind in DynamicsModel.Kind.allCases {
            let model = DynamicsModel(kind: kind, dimension: 2, hidden: 32, layers: 2, seed: 1)
            let before = try train(model, on: data, options: TrainingOptions(steps: 1, learningRate: 0))
            let after = try train(model, on: data, options: TrainingOptions(steps: 400, learningRate: 1e-2))
            XCTAssertNil(after.stoppedEarly)
            XCTAssertLessThan(after.testLoss!, 0.05 * before.testLoss!, "\(kind): \(before.testLoss!) -> \(after.testLoss!)")
        }
    }

    func testNonFiniteTrainingStopsAndKeepsTheLastGoodParameters() throws {
        let data = try springData(trajectories: 4)
        let model = DynamicsModel(kind: .hnn, dimension: 2, hidden: 8, layers: 1, seed: 2)
        // A weight of 1e300 makes the loss overflow on the first step.
        model.parameters[2].value.storage[0] = 1e300
        let before = model.parameters.map(\.value)
        let report = try train(model, on: data, options: TrainingOptions(steps: 200, learningRate: 1e-3))
        let message = try XCTUnwrap(report.stoppedEarly, "an overflowing loss must stop training")
        XCTAssertTrue(message.contains("step 1") && message.contains("not finite"), message)
        XCTAssertEqual(report.stepsTaken, 0)
        XCTAssertEqual(model.parameters.map(\.value), before, "the last good parameters are kept")
    }

    func testLearningRateSchedules() throws {
        let data = try springData(trajectories: 4)
        let piecewise = try train(DynamicsModel(kind: .hnn, dimension: 2, hidden: 8, layers: 1, seed: 1), on: data,
                                  options: TrainingOptions(steps: 30, learningRate: 1e-2, schedule: .piecewise([(10, 1e-3), (20, 1e-4)])))
        XCTAssertEqual(piecewise.learningRates.map(\.step), [1, 10, 20])
        XCTAssertEqual(piecewise.learningRates.map(\.rate), [1e-2, 1e-3, 1e-4])
        // A rate too small to move the loss never improves it: the plateau rule cuts the rate
        // every `patience` steps, down to the minimum.
        let plateau = try train(DynamicsModel(kind: .hnn, dimension: 2, hidden: 8, layers: 1, seed: 1), on: data,
                                options: TrainingOptions(steps: 40, learningRate: 1e-15,
                                                         schedule: .reduceOnPlateau(factor: 0.5, patience: 10, threshold: 1e-3, minimum: 2e-16)))
        XCTAssertEqual(plateau.learningRates.map(\.step), [1, 11, 21, 31])
        XCTAssertEqual(plateau.learningRates.map(\.rate), [1e-15, 5e-16, 2.5e-16, 2e-16])
    }

    func testCheckpointsRoundTripAndRejectDamage() throws {
        let model = DynamicsModel(kind: .hnn, dimension: 4, hidden: 8, layers: 2, seed: 7)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("noether-ckpt-\(getpid()).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(model, to: path)
        let other = DynamicsModel(kind: .hnn, dimension: 4, hidden: 8, layers: 2, seed: 8)
        XCTAssertNotEqual(other.parameters[0].value, model.parameters[0].value)
        try Checkpoint.load(path, into: other)
        XCTAssertEqual(zip(other.parameters, model.parameters).map { $0.value == $1.value }, Array(repeating: true, count: 6))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count - 20] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.load(path, into: other)) { XCTAssertTrue("\($0)".contains("checksum"), "\($0)") }
        try bytes.prefix(100).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.load(path, into: other)) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
        try Checkpoint.save(model, to: path)
        let wider = DynamicsModel(kind: .hnn, dimension: 4, hidden: 16, layers: 2, seed: 7)
        XCTAssertThrowsError(try Checkpoint.load(path, into: wider)) { XCTAssertTrue("\($0)".contains("different model"), "\($0)") }
    }

    func testOrthogonalInitialisationIsOrthogonal() {
        var rng = SeededGenerator(seed: 1)
        for (r, c) in [(5, 5), (8, 3), (3, 8)] {
            let W = Initializer.orthogonal.matrix(rows: r, columns: c, &rng)
            let G = r >= c ? Tensor.matmul(W, W, transposeA: true) : Tensor.matmul(W, W, transposeB: true)
            let n = min(r, c)
            for i in 0..<n { for j in 0..<n { XCTAssertEqual(G.storage[i * n + j], i == j ? 1 : 0, accuracy: 1e-12) } }
        }
    }
}
