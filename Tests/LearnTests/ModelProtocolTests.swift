import Dynamics
import Foundation
import Symbolic
import XCTest
@testable import Learn

/// The model protocols: evaluation at substituted parameters (MAML), the registry, and the
/// Greydanus evaluation as a Learn function.
final class ModelProtocolTests: XCTestCase {
    func randomBatch(rows: Int, dimension: Int, seed: UInt64) -> Batch {
        var rng = SeededGenerator(seed: seed)
        let x = Tensor(shape: [rows, dimension], storage: (0..<(rows * dimension)).map { _ in rng.uniform(-1, 1) })
        let dx = Tensor(shape: [rows, dimension], storage: (0..<(rows * dimension)).map { _ in rng.uniform(-1, 1) })
        return Batch(["x": x, "dx": dx])
    }

    /// MAML's inner step: θ′ = θ − α∇L₁(θ). The loss at θ′ through `losses(_:at:)` equals the
    /// loss of a copy whose weights are θ′, to the bit; and the meta-gradient ∇_θ L₂(θ′(θ)),
    /// differentiated through the inner step (third derivatives of an HNN), matches central
    /// differences of the whole two-step computation.
    func testLossesAtSubstitutedParametersAndTheMetaGradient() throws {
        let alpha = 0.1
        let inner = randomBatch(rows: 6, dimension: 2, seed: 1), outer = randomBatch(rows: 5, dimension: 2, seed: 2)
        for kind in modelKinds {
            let model = makeModel(kind, dimension: 2, hidden: 5, layers: 2, seed: 3)
            let θ = model.variables
            let g = gradient(of: try model.losses(inner)["mse"]!, wrt: θ, createGraph: true)
            let θ1 = zip(θ, g).map { $0 - $1 * alpha }
            let metaLoss = try model.losses(outer, at: θ1)["mse"]!
            let copy = model.copy()
            for (p, q) in zip(copy.variables, θ1) { p.value = q.value }
            XCTAssertEqual(metaLoss.value.scalar, try copy.losses(outer)["mse"]!.value.scalar, "\(kind): the loss at θ′ is the loss of a model with weights θ′")
            XCTAssertNotEqual(metaLoss.value.scalar, try model.losses(outer)["mse"]!.value.scalar)
            let metaGradient = gradient(of: metaLoss, wrt: θ)
            /// L₂(θ − α∇L₁(θ)) at the model's current values, not recorded beyond what it needs.
            func twoSteps() throws -> Double {
                let g = gradient(of: try model.losses(inner)["mse"]!, wrt: θ)
                let θ1 = zip(θ, g).map { Variable(Tensor.zip($0.value, $1.value) { $0 - alpha * $1 }) }
                return try Recording.with(false) { try model.losses(outer, at: θ1)["mse"]!.value.scalar }
            }
            let h = 1e-6
            for (k, p) in θ.enumerated() {
                for i in Set([0, p.value.count / 2, p.value.count - 1]) {
                    let saved = p.value.storage[i]
                    p.value.storage[i] = saved + h
                    let up = try twoSteps()
                    p.value.storage[i] = saved - h
                    let down = try twoSteps()
                    p.value.storage[i] = saved
                    let difference = (up - down) / (2 * h), exact = metaGradient[k].value.storage[i]
                    XCTAssertEqual(exact, difference, accuracy: 1e-6 * max(1, abs(difference)), "\(kind) \(model.parameters[k].name)[\(i)]")
                }
            }
        }
    }

    func testSubstitutedParametersAreChecked() throws {
        let model = HamiltonianNeuralNetwork(dimension: 2, hidden: 4, layers: 1, seed: 1)
        let batch = randomBatch(rows: 3, dimension: 2, seed: 1)
        XCTAssertThrowsError(try model.losses(batch, at: Array(model.variables.dropLast()))) {
            XCTAssertTrue("\($0)".contains("has 4 parameter tensors, 3 were given"), "\($0)")
        }
        XCTAssertThrowsError(try model.losses(batch, at: model.variables.reversed())) {
            XCTAssertTrue("\($0)".contains("parameter layer1.weight has shape [2, 4]"), "\($0)")
        }
        XCTAssertThrowsError(try model.losses(Batch(["x": batch["x"]!]))) {
            XCTAssertTrue("\($0)".contains("the hnn model needs 'dx' in its batch; this batch has x"), "\($0)")
        }
    }

    /// H_θ of an HNN is a `HamiltonianModel` requirement; a baseline is only a field.
    func testProtocolRefinements() {
        let hnn: any FieldModel = HamiltonianNeuralNetwork(dimension: 2, hidden: 4, layers: 1, seed: 1)
        let baseline: any FieldModel = BaselineModel(dimension: 2, hidden: 4, layers: 1, seed: 1)
        XCTAssertNotNil(hnn as? any HamiltonianModel)
        XCTAssertNil(baseline as? any HamiltonianModel)
        let h = hnn as! any HamiltonianModel
        XCTAssertEqual(h.hamiltonian([0.3, -0.2]), h.hamiltonian(Variable(Tensor(shape: [1, 2], storage: [0.3, -0.2]))).value.scalar)
        XCTAssertEqual(hnn.lossNames, ["mse"])
    }

    func testRegistryBuildsDecodesAndSuggests() throws {
        XCTAssertEqual(ModelRegistry.names, ["hnn", "baseline", "shnn", "scnn", "scnnp", "flow", "nct", "sympnet", "lnn"])
        let built = try ModelRegistry.build("hnn", options: ["hidden": .whole(8)], dimension: 4, seed: 5)
        XCTAssertEqual(built.spec.description, "dimension=4 hidden=8 layers=2 activation=tanh")
        let direct = HamiltonianNeuralNetwork(dimension: 4, hidden: 8, layers: 2, initializer: .orthogonal, seed: 5)
        XCTAssertEqual(built.variables.map(\.value), direct.variables.map(\.value), "the registry builds the REPL's model: orthogonal, seeded")
        let decoded = try ModelRegistry.decode(kind: "baseline", spec: ModelSpec(parsing: "dimension=2 hidden=3 layers=1 activation=sin")!)
        XCTAssertEqual(decoded.parameters.map(\.value.shape), [[2, 3], [3], [3, 2], [2]])
        XCTAssertEqual(try ModelRegistry.entry("baseline").parameterShapes(decoded.spec).map(\.shape), decoded.parameters.map(\.value.shape))
        XCTAssertThrowsError(try ModelRegistry.build("hnm", dimension: 2, seed: 0)) {
            XCTAssertEqual("\($0)", "no model kind 'hnm' (kinds: hnn, baseline, shnn, scnn, scnnp, flow, nct, sympnet, lnn); did you mean 'hnn'?")
        }
        XCTAssertThrowsError(try ModelRegistry.build("hnn", options: ["hiden": .whole(3)], dimension: 2, seed: 0)) {
            XCTAssertEqual("\($0)", "hnn has no option 'hiden' (options: hidden, layers, constraints, alpha3); did you mean 'hidden'?")
        }
        XCTAssertThrowsError(try ModelRegistry.build("hnn", options: ["layers": .whole(33)], dimension: 2, seed: 0)) {
            XCTAssertEqual("\($0)", "hnn's option 'layers' is a whole number from 1 to 32")
        }
        XCTAssertThrowsError(try ModelRegistry.build("baseline", dimension: 3, seed: 0)) { XCTAssertTrue("\($0)".contains("an even dimension"), "\($0)") }
        for entry in ModelRegistry.entries {
            XCTAssertFalse(entry.summary.isEmpty)
            // Every MLP kind has hidden and layers first (an nct's: its couplings' MLPs and their
            // number); an SCNN has its own options after them. A flow's couplings have a width
            // (hidden) but no layers; a SympNet's kind (g or la) comes before its layers.
            let first: [String: [String]] = ["flow": ["blocks", "hidden"], "sympnet": ["kind", "layers"]]
            XCTAssertEqual(Array(entry.options.map(\.name).prefix(2)), first[entry.name] ?? ["hidden", "layers"])
        }
    }

    /// The evaluation the REPL's `evaluate` prints, as a Learn value: per-split errors equal to
    /// the model's own loss on each split, and the rollouts from the test trajectories' starts.
    func testGreydanusEvaluation() throws {
        var recipe = InitialConditions.recipe(for: "harmonic")
        recipe.trajectories = 6
        recipe.samples = 10
        let data = try Dataset.generate(.init(system: try Catalog.system("harmonic"), catalogName: "harmonic", recipe: recipe, seed: 0))
        let model = BaselineModel(dimension: 2, hidden: 6, layers: 1, seed: 2)
        let e = try GreydanusEvaluation.evaluate(model, on: data)
        XCTAssertEqual(e.splits.map(\.split), ["train", "test"])
        let source = DerivativePairs(data)
        XCTAssertEqual(e.splits[0].meanSquaredError, try Recording.with(false) { try model.losses(source.trainingBatch)["mse"]!.value.scalar })
        XCTAssertEqual(e.splits[1].meanSquaredError, try Recording.with(false) { try model.losses(source.testBatch!)["mse"]!.value.scalar })
        XCTAssertEqual(e.splits.map(\.samples).reduce(0, +), data.count)
        XCTAssertEqual(e.horizon, data.times.max())
        guard case .compared(let c)? = e.rollouts else { return XCTFail("\(String(describing: e.rollouts))") }
        XCTAssertEqual(c.trajectories, data.testTrajectoryCount)
        XCTAssertEqual(GreydanusEvaluation.times(data, horizon: 2 * e.horizon).count, 20)
        XCTAssertThrowsError(try GreydanusEvaluation.evaluate(model, on: data, horizon: 2000 * e.horizon))
        var renamed = data
        renamed.names = ["x", "y"]
        guard case .notCompared(let why)? = try GreydanusEvaluation.evaluate(model, on: renamed).rollouts else { return XCTFail() }
        XCTAssertTrue(why.contains("but its columns are (x, y)"), why)
    }
}
