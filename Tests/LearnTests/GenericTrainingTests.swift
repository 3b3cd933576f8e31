import Dynamics
import Foundation
import Symbolic
import XCTest
@testable import Learn

/// A learned linear step map φ(x) = x + h·x A, trained on consecutive states with two weighted
/// terms: the error of the predicted next state, and a small penalty on A. Test-only: it shows
/// that a `MapModel` and a non-(x, ẋ) batch source go through the same trainer.
final class LinearStepMap: MapModel {
    let dimension: Int
    let stepSize: Double
    let matrix: Variable

    init(dimension: Int, stepSize: Double) {
        self.dimension = dimension
        self.stepSize = stepSize
        matrix = Variable(Tensor.zeros([dimension, dimension]), requiresGradient: true)
    }

    var kind: String { "linear-map" }
    var spec: ModelSpec { ModelSpec([.init("dimension", String(dimension)), .init("step", String(stepSize))]) }
    var parameters: [(name: String, value: Variable)] { [("matrix", matrix)] }
    var lossNames: [String] { ["next", "size"] }

    func copy() -> LinearStepMap {
        let other = LinearStepMap(dimension: dimension, stepSize: stepSize)
        other.matrix.value = matrix.value
        return other
    }

    func next(_ x: Tensor, at parameters: [Variable]?, createGraph: Bool) -> Variable {
        let A = parameters?[0] ?? matrix
        return Recording.with(createGraph) { Variable(x) + Variable.matmul(Variable(x), A) * stepSize }
    }

    func losses(_ batch: Batch, at parameters: [Variable]?) throws -> [String: Variable] {
        let θ = try parameters.map { try resolve($0) }
        let x = try batch.tensor("x", for: kind), target = try batch.tensor("next", for: kind)
        return ["next": (next(x, at: θ, createGraph: Recording.isOn) - Variable(target)).square().mean(),
                "size": (θ?[0] ?? matrix).square().mean()]
    }

    func outputProblem(on batch: Batch) -> String? { matrix.value.storage.allSatisfy(\.isFinite) ? nil : "a parameter is not finite" }
    func trainingCost(rows: Int) -> TrainingCost { TrainingCost(dimension: dimension, hidden: 1, layers: 1, rows: rows) }

    func apply(_ x: UnsafeMutablePointer<Double>) throws {
        let state = Tensor(shape: [1, dimension], storage: Array(UnsafeBufferPointer(start: x, count: dimension)))
        let y = next(state, at: nil, createGraph: false).value
        for i in 0..<dimension { x[i] = y.storage[i] }
    }
}

/// Test-only latent coordinates z = x w (one linear coordinate), trained to have unit mean square.
final class LinearLatent: LatentModel {
    let dimension: Int
    let weights: Variable
    init(dimension: Int) {
        self.dimension = dimension
        weights = Variable(Tensor(shape: [dimension, 1], storage: (0..<dimension).map { 0.1 * Double($0 + 1) }), requiresGradient: true)
    }
    var kind: String { "linear-latent" }
    var spec: ModelSpec { ModelSpec([.init("dimension", String(dimension))]) }
    var parameters: [(name: String, value: Variable)] { [("weights", weights)] }
    var lossNames: [String] { ["scale"] }
    var latentNames: [String] { ["z"] }
    func copy() -> LinearLatent { let o = LinearLatent(dimension: dimension); o.weights.value = weights.value; return o }
    func latent(_ x: Tensor, at parameters: [Variable]?) -> Variable { Variable.matmul(Variable(x), parameters?[0] ?? weights) }
    func losses(_ batch: Batch, at parameters: [Variable]?) throws -> [String: Variable] {
        let z = latent(try batch.tensor("x", for: kind), at: try parameters.map { try resolve($0) })
        return ["scale": (z.square().mean() + (-1.0)).square()]
    }
    func outputProblem(on batch: Batch) -> String? { nil }
    func trainingCost(rows: Int) -> TrainingCost { TrainingCost(dimension: dimension, hidden: 1, layers: 1, rows: rows) }
}

final class GenericTrainingTests: XCTestCase {
    func data() throws -> Dataset {
        var recipe = InitialConditions.recipe(for: "harmonic")
        recipe.trajectories = 8
        recipe.samples = 30
        recipe.noise = 0
        return try Dataset.generate(.init(system: try Catalog.system("harmonic"), catalogName: "harmonic", recipe: recipe, seed: 4))
    }

    /// The harmonic oscillator H = q² + p² (m = 1/2, k = 2) rotates: ẋ = x A with A = [[0, −2],
    /// [2, 0]]; the map x + h·x A learned from consecutive states approaches that A, and the
    /// report lists both terms.
    func testAStepMapLearnsFromConsecutiveStates() throws {
        let d = try data()
        let source = ConsecutivePairs(d)
        let h = source.trainingBatch["dt"]!.storage[0]
        let map = LinearStepMap(dimension: 2, stepSize: h)
        let objective = Objective([("next", 1), ("size", 1e-9)])
        let before = try train(map, on: source, objective: objective, options: TrainingOptions(steps: 1, learningRate: 0))
        let report = try train(map, on: source, objective: objective, options: TrainingOptions(steps: 600, batchSize: 32, learningRate: 0.05, seed: 1))
        XCTAssertNil(report.stoppedEarly)
        XCTAssertEqual(Set(report.terms.keys), ["next", "size"])
        XCTAssertEqual(report.finalTrainingLoss, report.terms["next"]! + 1e-9 * report.terms["size"]!, accuracy: 1e-15)
        XCTAssertLessThan(report.finalTrainingLoss, 0.01 * before.finalTrainingLoss)
        let A = map.matrix.value.storage
        XCTAssertEqual(A[1], -2, accuracy: 0.2)
        XCTAssertEqual(A[2], 2, accuracy: 0.2)
        // It is a StepMap: it iterates like any other.
        let orbit = try map.iterate(from: [1, 0], steps: 3)
        XCTAssertEqual(orbit.count, 4)
        // Deterministic: the same run again gives the same bits.
        let again = LinearStepMap(dimension: 2, stepSize: h)
        _ = try train(again, on: source, objective: objective, options: TrainingOptions(steps: 1, learningRate: 0))
        _ = try train(again, on: source, objective: objective, options: TrainingOptions(steps: 600, batchSize: 32, learningRate: 0.05, seed: 1))
        XCTAssertEqual(again.matrix.value, map.matrix.value)
    }

    func testALatentModelTrainsOnPlainSamples() throws {
        let model = LinearLatent(dimension: 2)
        let report = try train(model, on: Samples(try data()), options: TrainingOptions(steps: 300, learningRate: 0.05))
        XCTAssertLessThan(report.finalTrainingLoss, 1e-4)
        XCTAssertEqual(model.latentNames, ["z"])
    }
}
