import Dynamics
import Foundation
import Symbolic
import XCTest
@testable import Learn

final class ModelTests: XCTestCase {
    /// An HNN's field Ω∇H (separable or not) is divergence-free (Liouville) for any weights; a baseline's is not.
    func testHNNFieldIsDivergenceFree() {
        for kind in modelKinds {
            let model = makeModel(kind, dimension: 4, hidden: 16, layers: 2, seed: 3)
            let x = [0.3, -0.2, 0.5, 0.1]
            var trace = 0.0
            for i in 0..<4 {
                var a = x, b = x
                a[i] += 1e-5; b[i] -= 1e-5
                trace += (model(a)[i] - model(b)[i]) / 2e-5
            }
            if kind != "baseline" { XCTAssertEqual(trace, 0, accuracy: 1e-8, kind) } else { XCTAssertGreaterThan(abs(trace), 1e-3) }
        }
    }

    /// Rolled out with a symplectic integrator, an HNN conserves its own learned H.
    func testHNNConservesItsLearnedHamiltonian() throws {
        let model = HamiltonianNeuralNetwork(dimension: 2, hidden: 16, layers: 2, seed: 5)
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
        for kind in modelKinds {
            let model = makeModel(kind, dimension: 2, hidden: 32, layers: 2, seed: 1)
            let before = try train(model, on: data, options: TrainingOptions(steps: 1, learningRate: 0))
            let after = try train(model, on: data, options: TrainingOptions(steps: 400, learningRate: 1e-2))
            XCTAssertNil(after.stoppedEarly)
            XCTAssertLessThan(after.testLoss!, 0.05 * before.testLoss!, "\(kind): \(before.testLoss!) -> \(after.testLoss!)")
        }
    }

    func testNonFiniteTrainingStopsAndKeepsTheLastGoodParameters() throws {
        let data = try springData(trajectories: 4)
        let model = HamiltonianNeuralNetwork(dimension: 2, hidden: 8, layers: 1, seed: 2)
        // A weight of 1e300 makes the loss overflow on the first step.
        model.variables[2].value.storage[0] = 1e300
        let before = model.variables.map(\.value)
        let report = try train(model, on: data, options: TrainingOptions(steps: 200, learningRate: 1e-3))
        let message = try XCTUnwrap(report.stoppedEarly, "an overflowing loss must stop training")
        XCTAssertTrue(message.contains("step 1") && message.contains("not finite"), message)
        XCTAssertEqual(report.stepsTaken, 0)
        XCTAssertEqual(model.variables.map(\.value), before, "the last good parameters are kept")
        // With a checkpoint file, the file holds them too.
        let path = temporaryPath("nan")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try train(model, on: data, options: TrainingOptions(steps: 200, learningRate: 1e-3, checkpointPath: path))
        XCTAssertEqual(try Checkpoint.read(path).model.variables.map(\.value), before)
    }

    func testLearningRateSchedules() throws {
        let data = try springData(trajectories: 4)
        let piecewise = try train(HamiltonianNeuralNetwork(dimension: 2, hidden: 8, layers: 1, seed: 1), on: data,
                                  options: TrainingOptions(steps: 30, learningRate: 1e-2, schedule: .piecewise([(10, 1e-3), (20, 1e-4)])))
        XCTAssertEqual(piecewise.learningRates.map(\.step), [1, 10, 20])
        XCTAssertEqual(piecewise.learningRates.map(\.rate), [1e-2, 1e-3, 1e-4])
        // A rate too small to move the loss never improves it: the plateau rule cuts the rate
        // every `patience` steps, down to the minimum.
        let plateau = try train(HamiltonianNeuralNetwork(dimension: 2, hidden: 8, layers: 1, seed: 1), on: data,
                                options: TrainingOptions(steps: 40, learningRate: 1e-15,
                                                         schedule: .reduceOnPlateau(factor: 0.5, patience: 10, threshold: 1e-3, minimum: 2e-16)))
        XCTAssertEqual(plateau.learningRates.map(\.step), [1, 11, 21, 31])
        XCTAssertEqual(plateau.learningRates.map(\.rate), [1e-15, 5e-16, 2.5e-16, 2e-16])
    }

    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("noether-\(name)-\(getpid())").path
    }

    func testCheckpointsRoundTripAndRejectDamage() throws {
        let model = HamiltonianNeuralNetwork(dimension: 4, hidden: 8, layers: 2, seed: 7)
        let provenance = Checkpoint.Provenance(system: "kepler2d", names: ["x", "y", "px", "py"], parameters: ["k": 1, "m": 0.1])
        let path = temporaryPath("ckpt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(model, provenance: provenance, to: path)
        let other = HamiltonianNeuralNetwork(dimension: 4, hidden: 8, layers: 2, seed: 8)
        XCTAssertNotEqual(other.variables[0].value, model.variables[0].value)
        try Checkpoint.load(path, into: other)
        XCTAssertEqual(zip(other.variables, model.variables).map { $0.value == $1.value }, Array(repeating: true, count: 6))
        let contents = try Checkpoint.read(path)
        XCTAssertEqual(contents.provenance, provenance)
        XCTAssertNil(contents.optimizer)
        XCTAssertEqual(contents.model.variables.map(\.value), model.variables.map(\.value))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count - 20] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.load(path, into: other)) { XCTAssertTrue("\($0)".contains("checksum"), "\($0)") }
        try bytes.prefix(300).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.load(path, into: other)) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
        try bytes.prefix(60).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.read(path)) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
        try Data("NOETHER-CHECKPOINT 1\nkind=hnn\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.read(path)) { XCTAssertTrue("\($0)".contains("reads 'NOETHER-CHECKPOINT 3'"), "\($0)") }
        // A damaged header asking for a huge network is refused by length, before any allocation
        // (format 2, and format 3, whose tensor list must match the spec).
        let huge = "NOETHER-CHECKPOINT 2\nkind=hnn sizes=2,60000,60000,1 activation=tanh shapes=x\nsystem=s names=q,p parameters=\noptimizer=none\n"
        try Data((huge + "12345678").utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.read(path)) { XCTAssertTrue("\($0)".contains("truncated or damaged"), "\($0)") }
        let huge3 = "NOETHER-CHECKPOINT 3\nkind=hnn dimension=2 hidden=60000 layers=2 activation=tanh\nsystem=s names=q,p parameters=\noptimizer=none\nschedule=none\n"
            + "tensors=6\nlayer1.weight 2x60000\nlayer1.bias 60000\nlayer2.weight 60000x60000\nlayer2.bias 60000\nlayer3.weight 60000x1\nlayer3.bias 1\n"
        try Data((huge3 + "12345678").utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.read(path)) { XCTAssertTrue("\($0)".contains("truncated or damaged"), "\($0)") }
        try Data("q,p,dq,dp\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try Checkpoint.read(path)) { XCTAssertTrue("\($0)".contains("not a Noether checkpoint"), "\($0)") }
        try Checkpoint.save(model, provenance: provenance, to: path)
        let wider = HamiltonianNeuralNetwork(dimension: 4, hidden: 16, layers: 2, seed: 7)
        XCTAssertThrowsError(try Checkpoint.load(path, into: wider)) { XCTAssertTrue("\($0)".contains("different model"), "\($0)") }
    }

    /// Training 12 steps, checkpointing, and resuming from the file for 12 more gives exactly
    /// the parameters of 24 steps in one run (minibatches, Adam's moments and step count).
    func testResumingFromACheckpointContinuesTheSameRun() throws {
        let data = try springData(trajectories: 6)
        let path = temporaryPath("resume")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let options = { (steps: Int) in TrainingOptions(steps: steps, batchSize: 16, learningRate: 3e-3, seed: 4, reportEvery: 5, checkpointPath: path) }
        let straight = HamiltonianNeuralNetwork(dimension: 2, hidden: 8, layers: 2, seed: 3)
        let whole = try train(straight, on: data, options: options(24))
        let interrupted = HamiltonianNeuralNetwork(dimension: 2, hidden: 8, layers: 2, seed: 3)
        _ = try train(interrupted, on: data, options: options(12))
        let saved = try Checkpoint.read(path)
        XCTAssertEqual(saved.optimizer?.steps, 12)
        XCTAssertEqual(saved.provenance.names, ["q", "p"])
        let resumed = try train(saved.model, on: data, options: options(12), optimizer: saved.optimizer)
        XCTAssertEqual(resumed.stepsTaken, 24)
        XCTAssertEqual(saved.model.variables.map(\.value), straight.variables.map(\.value))
        XCTAssertEqual(resumed.finalTrainingLoss, whole.finalTrainingLoss)
        // A fresh optimizer (moments lost) does not reproduce the run: the check has teeth.
        let restarted = try Checkpoint.read(path).model
        let rerun = HamiltonianNeuralNetwork(dimension: 2, hidden: 8, layers: 2, seed: 3)
        _ = try train(rerun, on: data, options: options(12))
        for (p, q) in zip(rerun.variables, restarted.variables) { p.value = q.value }
        _ = try train(rerun, on: data, options: TrainingOptions(steps: 12, batchSize: 16, learningRate: 3e-3, seed: 4))
        XCTAssertNotEqual(rerun.variables.map(\.value), straight.variables.map(\.value))
    }

    /// With reduce-on-plateau, the schedule's memory travels in the checkpoint: 12 + 12 steps
    /// cut the rate at the same steps and end at the same parameters as 24 in one go, and
    /// forgetting that memory changes the run.
    func testResumingContinuesAPlateauSchedule() throws {
        let data = try springData(trajectories: 6)
        let path = temporaryPath("plateau")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let schedule = LearningRateSchedule.reduceOnPlateau(factor: 0.5, patience: 2, threshold: 0.2, minimum: 1e-6)
        let options = { (steps: Int) in
            TrainingOptions(steps: steps, batchSize: 16, learningRate: 1e-2, seed: 7, reportEvery: 4, schedule: schedule, checkpointPath: path)
        }
        let straight = HamiltonianNeuralNetwork(dimension: 2, hidden: 8, layers: 2, seed: 3)
        let whole = try train(straight, on: data, options: options(24))
        XCTAssertTrue(whole.learningRates.contains { $0.step <= 12 && $0.step > 1 } && whole.learningRates.contains { $0.step > 12 },
                      "the schedule must act on both sides of the break: \(whole.learningRates)")
        let interrupted = HamiltonianNeuralNetwork(dimension: 2, hidden: 8, layers: 2, seed: 3)
        _ = try train(interrupted, on: data, options: options(12))
        let saved = try Checkpoint.read(path)
        XCTAssertTrue(saved.schedule!.best.isFinite)
        let resumed = try train(saved.model, on: data, options: options(12), optimizer: saved.optimizer, schedule: saved.schedule)
        // The resumed run lists its starting rate at step 13, then the same cuts.
        XCTAssertEqual(resumed.learningRates.filter { $0.step > 13 }.map(\.step), whole.learningRates.filter { $0.step > 13 }.map(\.step))
        XCTAssertEqual(resumed.learningRates.last?.rate, whole.learningRates.last?.rate)
        XCTAssertEqual(saved.model.variables.map(\.value), straight.variables.map(\.value))
        // Without the memory (a file from before it was saved) the run differs.
        let forgetful = try Checkpoint.read(path)
        _ = try train(forgetful.model, on: data, options: options(12), optimizer: forgetful.optimizer, schedule: nil)
        XCTAssertNotEqual(forgetful.model.variables.map(\.value), straight.variables.map(\.value))
    }

    /// A model whose output layer is zero has ẋ = 0: its rollout stays at x0 while the true
    /// spring (H = q² + p²) rotates by 2t, so the trajectory MSE is the mean over samples of
    /// |x0|²(1 − cos 2t) and the energy MSE is exactly 0.
    func testRolloutMetricsAgainstTheClosedForm() throws {
        let model = HamiltonianNeuralNetwork(dimension: 2, hidden: 8, layers: 2, seed: 1)
        model.variables[4].value = Tensor.zeros(model.variables[4].shape)
        let system = try Catalog.system("harmonic")
        let truth = try HamiltonianVectorField(hamiltonian: system.hamiltonian, pairs: system.pairs, parameters: ["m": 0.5, "k": 2])
        let starts = [[0.6, 0.3], [-1, 0.2], [0.1, 0.9]]
        let times = (0..<41).map { 3 * Double($0) / 40 }
        let c = try RolloutComparison.run(model: model, truth: truth, initialStates: starts, times: times)
        var exact = 0.0
        for x0 in starts { for t in times { exact += (x0[0] * x0[0] + x0[1] * x0[1]) * (1 - cos(2 * t)) } }
        exact /= Double(starts.count * times.count)
        XCTAssertEqual(c.trajectoryMSE, exact, accuracy: 1e-8 * exact)
        XCTAssertEqual(c.energyMSE, 0, accuracy: 1e-20)
        XCTAssertEqual(c.trajectories, 3)
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
