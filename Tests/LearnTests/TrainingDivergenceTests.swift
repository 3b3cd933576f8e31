import Dynamics
import Symbolic
import Foundation
import XCTest
@testable import Learn

/// Training under hostile learning rates: the loss reported is that of the parameters kept,
/// the parameters kept passed every check (finite loss, gradient and output), and a loss
/// growing by orders of magnitude stops the run as diverging.
final class TrainingDivergenceTests: XCTestCase {
    func springData(trajectories: Int = 6) throws -> Dataset {
        var recipe = InitialConditions.recipe(for: "harmonic")
        recipe.trajectories = trajectories
        return try Dataset.generate(.init(system: try Catalog.system("harmonic"), catalogName: "harmonic", recipe: recipe, seed: 0))
    }

    /// The mean squared error of the model's ẋ over a split, one state at a time through the
    /// model's `VectorField` door: independent of the trainer's batched loss.
    func meanSquaredError(_ model: any FieldModel, _ data: Dataset, test: Bool = false) -> Double {
        let n = data.dimension
        var sum = 0.0, count = 0
        for r in 0..<data.count where data.isTest(r) == test {
            let f = model(Array(data.states[(r * n)..<((r + 1) * n)]))
            for i in 0..<n { sum += (f[i] - data.derivatives[r * n + i]) * (f[i] - data.derivatives[r * n + i]) }
            count += n
        }
        return sum / Double(count)
    }

    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("noether-divergence-\(name)-\(getpid())").path
    }

    /// The reported training loss is the loss after the last update (full batch and
    /// minibatches alike), not the one measured before it.
    func testTheReportedLossIsThatOfTheFinalParameters() throws {
        let data = try springData()
        for kind in modelKinds {
            for batch in [0, 16] {
                let model = makeModel(kind, dimension: 2, hidden: 16, layers: 2, seed: 4)
                let report = try train(model, on: data, options: TrainingOptions(steps: 30, batchSize: batch, learningRate: 0.05, seed: 2))
                XCTAssertNil(report.stoppedEarly)
                let truth = meanSquaredError(model, data)
                XCTAssertEqual(report.finalTrainingLoss, truth, accuracy: 1e-12 * truth, "\(kind), batch \(batch)")
                XCTAssertEqual(try XCTUnwrap(report.testLoss), meanSquaredError(model, data, test: true), accuracy: 1e-12 * truth)
                // The last history entry is the loss before the last update: a different number.
                let before = try XCTUnwrap(report.history.last?.loss)
                XCTAssertGreaterThan(abs(before - truth), 1e-6 * truth, "\(kind), batch \(batch): the last update must count")
            }
        }
    }

    /// `train(baseline, d, steps: 1, lr: 1e10)`: the one update sends the loss from ~1 to
    /// ~1e20. The update is checked, training stops as diverging, and the model, its optimizer
    /// and the checkpoint are the starting ones, with their loss reported.
    func testAHostileRateOnTheLastStepIsCaughtAndRolledBack() throws {
        let data = try springData()
        let path = temporaryPath("last")
        defer { try? FileManager.default.removeItem(atPath: path) }
        for steps in [1, 5] {
            let model = BaselineModel(dimension: 2, hidden: 16, layers: 2, seed: 1)
            let start = model.copy()
            let optimizer = Adam(learningRate: 1e10)
            let report = try train(model, on: data, options: TrainingOptions(steps: steps, learningRate: 1e10, checkpointPath: path), optimizer: optimizer)
            let message = try XCTUnwrap(report.stoppedEarly, "a loss growing by 1e20 must stop training")
            XCTAssertTrue(message.contains(steps == 1 ? "after step 1, the last" : "at step 2 of 5"), message)
            XCTAssertTrue(message.contains("diverging") && message.contains("kept the parameters after 0 steps"), message)
            XCTAssertEqual(model.variables.map(\.value), start.variables.map(\.value), "the starting parameters are kept")
            XCTAssertEqual(report.stepsTaken, 0)
            XCTAssertEqual(optimizer.steps, 0, "the optimizer is rolled back with the parameters")
            let truth = meanSquaredError(start, data)
            XCTAssertEqual(report.finalTrainingLoss, truth, accuracy: 1e-12 * truth)
            XCTAssertLessThan(report.finalTrainingLoss, 100)
            let saved = try Checkpoint.read(path)
            XCTAssertEqual(saved.model.variables.map(\.value), start.variables.map(\.value))
            XCTAssertEqual(saved.optimizer?.steps, 0)
        }
    }

    /// A run that learns for 20 steps and then meets a hostile rate stops within a few steps,
    /// keeping the parameters of the last checked step: exactly those of an uninterrupted run
    /// of that many steps, with that run's loss. A baseline's loss explodes at a rate of 1e4;
    /// an HNN's does not (its tanh units saturate and ∇H_θ → 0), so it gets 1e306, where its
    /// output weights overflow.
    func testDivergenceLaterInARunKeepsTheLastCheckedParameters() throws {
        let data = try springData()
        for (kind, hostile) in [("baseline", 1e4), ("hnn", 1e306)] {
            let options = { (steps: Int, factor: Double) in
                TrainingOptions(steps: steps, learningRate: 0.02, schedule: .piecewise([(21, hostile)]), divergenceFactor: factor)
            }
            let model = makeModel(kind, dimension: 2, hidden: 16, layers: 2, seed: 6)
            let optimizer = Adam(learningRate: 0.02)
            let report = try train(model, on: data, options: options(100, 1e6), optimizer: optimizer)
            let message = try XCTUnwrap(report.stoppedEarly, "\(kind): the rate of 1e4 must be caught")
            XCTAssertTrue(message.contains("diverging") || message.contains("overflow") || message.contains("not finite"), message)
            let kept = report.stepsTaken
            XCTAssertTrue((20...25).contains(kept), "\(kind): kept after \(kept) steps; \(message)")
            XCTAssertTrue(message.contains("kept the parameters after \(kept) steps"), message)
            XCTAssertEqual(optimizer.steps, kept)
            // The same run stopped by its step count instead, with no divergence test.
            let reference = makeModel(kind, dimension: 2, hidden: 16, layers: 2, seed: 6)
            _ = try train(reference, on: data, options: options(kept, .infinity))
            XCTAssertEqual(model.variables.map(\.value), reference.variables.map(\.value), "\(kind)")
            let truth = meanSquaredError(reference, data)
            XCTAssertEqual(report.finalTrainingLoss, truth, accuracy: 1e-12 * truth)
            // The kept loss is at most 1e6 times the best, and far below what stopped the run.
            XCTAssertLessThan(report.finalTrainingLoss, 10)
        }
    }

    /// Without the divergence test, a rate of 1e200 from step 21 on makes the loss overflow;
    /// the parameters kept are the last ones whose loss was evaluated finite (and whose output
    /// is bounded), exactly those of a run of that many steps, and the message
    /// names the step and the loss.
    func testANonFiniteLossLaterInARunKeepsTheLastFiniteParameters() throws {
        let data = try springData()
        let options = { (steps: Int) in
            TrainingOptions(steps: steps, learningRate: 0.02, schedule: .piecewise([(21, 1e200)]), divergenceFactor: .infinity)
        }
        let model = BaselineModel(dimension: 2, hidden: 16, layers: 2, seed: 6)
        let report = try train(model, on: data, options: options(100))
        let message = try XCTUnwrap(report.stoppedEarly)
        XCTAssertTrue(message.contains("at step 22 of 100: the loss is not finite (inf)"), message)
        // Step 21's update (at 1e200) gave the parameters whose loss, measured at step 22,
        // overflowed; the last finite loss was that of the parameters after 20 steps.
        XCTAssertEqual(report.stepsTaken, 20, message)
        XCTAssertTrue(message.contains("kept the parameters after 20 steps"), message)
        let reference = BaselineModel(dimension: 2, hidden: 16, layers: 2, seed: 6)
        let referenceReport = try train(reference, on: data, options: options(20))
        XCTAssertEqual(model.variables.map(\.value), reference.variables.map(\.value))
        XCTAssertEqual(report.finalTrainingLoss, referenceReport.finalTrainingLoss)
        // The schedule is rolled back with the model and the optimizer: step 21's rate is undone.
        XCTAssertEqual(report.schedule, referenceReport.schedule)
        XCTAssertEqual(report.schedule.rate, 0.02)
        XCTAssertEqual(report.finalTrainingLoss, meanSquaredError(reference, data), accuracy: 1e-12 * report.finalTrainingLoss)
        XCTAssertTrue(report.finalTrainingLoss.isFinite)
    }

    /// The factor is what decides: a baseline at lr 100 grows its loss about a
    /// hundredfold over 40 steps, which passes at 1e6 and stops at 10.
    func testTheDivergenceFactorDecides() throws {
        let data = try springData()
        let run = { (factor: Double) in
            try train(BaselineModel(dimension: 2, hidden: 8, layers: 2, seed: 0), on: data,
                      options: TrainingOptions(steps: 40, learningRate: 100, divergenceFactor: factor))
        }
        XCTAssertNil(try run(1e6).stoppedEarly)
        let stopped = try XCTUnwrap(try run(10).stoppedEarly)
        XCTAssertTrue(stopped.contains("more than 10.0 times its lowest"), stopped)
    }

    /// At lr 1e307 an HNN's loss stays finite (its tanh units saturate, so ∇H_θ = 0) while its
    /// output weights overflow and H_θ is NaN everywhere. The overflow is caught by the output
    /// bound and the starting parameters are kept, with a finite H_θ.
    func testAnOverflowingLearnedHamiltonianIsNotKept() throws {
        let data = try springData()
        let model = HamiltonianNeuralNetwork(dimension: 2, hidden: 16, layers: 2, seed: 2)
        let start = model.copy()
        let report = try train(model, on: data, options: TrainingOptions(steps: 20, learningRate: 1e307))
        let message = try XCTUnwrap(report.stoppedEarly)
        XCTAssertTrue(message.contains("H_theta can overflow") && message.contains("kept the parameters after 0 steps"), message)
        func H(_ m: HamiltonianNeuralNetwork, _ x: [Double]) -> Double { m.hamiltonian(Variable(Tensor(shape: [1, 2], storage: x))).value.scalar }
        for x in [[1.0, 0], [0, 0], [-3, 2]] {
            XCTAssertTrue(H(model, x).isFinite)
            XCTAssertEqual(H(model, x), H(start, x))
        }
        XCTAssertEqual(report.finalTrainingLoss, meanSquaredError(start, data), accuracy: 1e-12)
    }

    /// The output bound is max_j Σ_i |W_ij| + |b_j| and holds at any input, however large;
    /// unbounded activations have none, and are checked on the states instead.
    func testTheOutputBound() {
        let network = MLP(sizes: [2, 5, 3], activation: .tanh, seed: 9)
        network.biases[1].value.storage = [0.5, -2, 0.25]
        let w = network.weights[1].value
        let expected = (0..<3).map { j in (0..<5).map { abs(w.storage[$0 * 3 + j]) }.reduce(0, +) + abs(network.biases[1].value.storage[j]) }.max()!
        XCTAssertEqual(network.outputBound!, expected, accuracy: 1e-14 * expected)
        var rng = SeededGenerator(seed: 1)
        for _ in 0..<200 {
            let x = (0..<2).map { _ in (Double(rng.next() % 2001) - 1000) * 1e3 }
            let y = network(Variable(Tensor(shape: [1, 2], storage: x))).value.storage
            XCTAssertTrue(y.allSatisfy { abs($0) <= expected })
        }
        XCTAssertNil(MLP(sizes: [2, 5, 1], activation: .relu, seed: 1).outputBound)
        XCTAssertNil(MLP(sizes: [2, 1], activation: .tanh, seed: 1).outputBound)

        let relu = HamiltonianNeuralNetwork(dimension: 2, hidden: 4, layers: 1, activation: .relu, seed: 3)
        let states = Tensor(shape: [2, 2], storage: [1, 2, -1, 0.5])
        XCTAssertNil(relu.outputProblem(on: states))
        relu.network.weights[1].value.storage = [Double](repeating: 1e306, count: 4)
        relu.network.weights[0].value.storage = [Double](repeating: 1e3, count: 8)
        XCTAssertTrue(relu.outputProblem(on: states)?.contains("overflows on the training states") == true)
        let tanh = BaselineModel(dimension: 2, hidden: 4, layers: 1, seed: 3)
        XCTAssertNil(tanh.outputProblem(on: states))
        tanh.network.biases[0].value.storage[1] = .nan
        XCTAssertEqual(tanh.outputProblem(on: states), "a parameter is not finite")
    }
}
