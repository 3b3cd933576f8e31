import Dynamics
import Symbolic
import XCTest
@testable import Learn

/// The known invariants' deviation along the rollouts (the SCNN paper's Table 1 layout):
/// mean over trajectories and sample times of (I(x_pred(t)) − I(x_true(t)))², checked against a
/// closed form and against a model whose field is the true one.
final class RolloutInvariantTests: XCTestCase {
    /// A model whose field is an exact Hamiltonian field (no parameters): its rollouts are the
    /// true ones, integrated by the same method.
    final class ExactField: FieldModel {
        let truth: HamiltonianVectorField
        init(_ truth: HamiltonianVectorField) { self.truth = truth }
        var kind: String { "exact" }
        var spec: ModelSpec { ModelSpec([]) }
        var dimension: Int { truth.dimension }
        var parameters: [(name: String, value: Variable)] { [] }
        var lossNames: [String] { [] }
        func losses(_ batch: Batch, at parameters: [Variable]?) throws -> [String: Variable] { [:] }
        func copy() -> ExactField { ExactField(truth) }
        func outputProblem(on batch: Batch) -> String? { nil }
        func trainingCost(rows: Int) -> TrainingCost { TrainingCost(dimension: dimension, hidden: 1, layers: 1, rows: rows) }
        func predict(_ x: Tensor, at parameters: [Variable]?, createGraph: Bool) -> Variable {
            let d = dimension
            var out = [Double](repeating: 0, count: x.storage.count)
            x.storage.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { output in
                    for b in 0..<(x.storage.count / d) { truth.evaluate(input.baseAddress! + b * d, into: output.baseAddress! + b * d) }
                }
            }
            return Variable(Tensor(shape: x.shape, storage: out))
        }
        func evaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>) { fieldEvaluate(x, into: derivative) }
    }

    /// The spring H = q² + p² (m = 1/2, k = 2) rotates (q, p) by 2t. A model with ẋ = 0 stays at
    /// x0, so the deviation of I = q is the mean of (q0 − q0 cos 2t − p0 sin 2t)², that of
    /// I = q² + p² is 0, and that of I = p² the mean of (p0² − (p0 cos 2t − q0 sin 2t)²)².
    func testDeviationOfAStillModelIsTheClosedForm() throws {
        let model = HamiltonianNeuralNetwork(dimension: 2, hidden: 8, layers: 2, seed: 1)
        model.variables[4].value = Tensor.zeros(model.variables[4].shape)
        let system = try Catalog.system("harmonic")
        let truth = try HamiltonianVectorField(hamiltonian: system.hamiltonian, pairs: system.pairs, parameters: ["m": 0.5, "k": 2])
        let starts = [[0.6, 0.3], [-1, 0.2], [0.1, 0.9]]
        let times = (0..<41).map { 3 * Double($0) / 40 }
        let c = try RolloutComparison.run(model: model, truth: truth, initialStates: starts, times: times,
                                          invariants: { x in [x[0], x[0] * x[0] + x[1] * x[1], x[1] * x[1]] })
        var q = 0.0, pSquared = 0.0
        for x0 in starts {
            for t in times {
                let qt = x0[0] * cos(2 * t) + x0[1] * sin(2 * t), pt = x0[1] * cos(2 * t) - x0[0] * sin(2 * t)
                q += (x0[0] - qt) * (x0[0] - qt)
                pSquared += (x0[1] * x0[1] - pt * pt) * (x0[1] * x0[1] - pt * pt)
            }
        }
        let samples = Double(starts.count * times.count)
        XCTAssertEqual(c.invariantMSE.count, 3)
        XCTAssertEqual(c.invariantMSE[0], q / samples, accuracy: 1e-8 * q / samples)
        XCTAssertEqual(c.invariantMSE[1], 0, accuracy: 1e-16)
        XCTAssertEqual(c.invariantMSE[2], pSquared / samples, accuracy: 1e-8 * pSquared / samples)
        // Without invariants there are no deviations, and the other metrics are unchanged.
        let plain = try RolloutComparison.run(model: model, truth: truth, initialStates: starts, times: times)
        XCTAssertEqual(plain.invariantMSE, [])
        XCTAssertEqual(plain.trajectoryMSE, c.trajectoryMSE)
        XCTAssertEqual(plain.energyMSE, c.energyMSE)
    }

    /// A model whose field is the true one (the Kepler problem in the plane, with angular
    /// momentum and the x-momentum as known quantities, the latter not conserved): from one
    /// start every deviation is exactly 0 (the same integration of the same numbers); through
    /// GreydanusEvaluation the test trajectories are integrated as one batched system, whose
    /// adaptive steps differ from each single one's, so the deviations are at the square of the
    /// tolerance (1e-9), not 0.
    func testDeviationOfTheTrueFieldIsZero() throws {
        var recipe = InitialConditions.recipe(for: "kepler2d")
        recipe.trajectories = 10
        recipe.samples = 30
        let system = try Catalog.system("kepler2d")
        let data = try Dataset.generate(.init(system: system, catalogName: "kepler2d", recipe: recipe, seed: 3))
        let truth = try HamiltonianVectorField(hamiltonian: system.hamiltonian, pairs: system.pairs, parameters: data.parameters)
        let names = data.names
        let angular = try Expr.parse("\(names[0])*\(names[3]) - \(names[1])*\(names[2])")
        let momentum = try Expr.parse(names[2])
        let e = try GreydanusEvaluation.evaluate(ExactField(truth), on: data, known: [angular, momentum])
        guard case .compared(let c)? = e.rollouts else { return XCTFail("no rollouts: \(String(describing: e.rollouts))") }
        XCTAssertGreaterThan(c.trajectories, 1)
        XCTAssertEqual(c.invariantMSE.count, 2)
        for deviation in c.invariantMSE { XCTAssertEqual(deviation, 0, accuracy: 1e-14) }
        XCTAssertEqual(c.trajectoryMSE, 0, accuracy: 1e-14)
        let invariants = try SampleEvaluator([angular, momentum], variables: names, parameters: data.parameters)
        let one = try RolloutComparison.run(model: ExactField(truth), truth: truth, initialStates: [GreydanusEvaluation.testStarts(data)[0]],
                                            times: GreydanusEvaluation.times(data, horizon: e.horizon),
                                            invariants: { x in invariants.values(rows: x, count: 1).map { $0[0] } })
        XCTAssertEqual(one.invariantMSE, [0, 0])
        XCTAssertEqual(one.trajectoryMSE, 0)
        // A still model deviates in the momentum, which the true motion changes.
        let still = HamiltonianNeuralNetwork(dimension: 4, hidden: 8, layers: 2, seed: 1)
        still.variables[4].value = Tensor.zeros(still.variables[4].shape)
        guard case .compared(let s)? = try GreydanusEvaluation.evaluate(still, on: data, known: [angular, momentum]).rollouts else { return XCTFail() }
        XCTAssertGreaterThan(s.invariantMSE[1], 1e-4)
    }
}
