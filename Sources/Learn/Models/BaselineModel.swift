import Dynamics

/// The baseline of Greydanus et al.: an MLP f_θ(x) that predicts ẋ directly, d inputs and d
/// outputs. Nothing in it knows about energy; it is what an HNN is compared with.
///
/// Its one loss term, `mse`, is the mean squared error of the predicted ẋ against the batch's
/// `dx`: L(θ) = mean over rows and components of (f_θ(x) − ẋ)².
public final class BaselineModel: FieldModel {
    public let network: MLP
    public let dimension: Int

    public init(dimension: Int, hidden: Int, layers: Int, activation: Activation = .tanh, initializer: Initializer = .xavier, seed: UInt64) {
        precondition(dimension % 2 == 0 && dimension > 0 && hidden > 0 && layers > 0)
        Tensor.configureThreads
        self.dimension = dimension
        network = MLP(sizes: [dimension] + Array(repeating: hidden, count: layers) + [dimension], activation: activation,
                      initializer: initializer, seed: seed)
    }

    public var kind: String { "baseline" }
    public var architecture: MLPArchitecture {
        MLPArchitecture(dimension: dimension, hidden: network.sizes[1], layers: network.sizes.count - 2, outputs: dimension, activation: network.activation)
    }
    public var spec: ModelSpec { architecture.spec }
    /// The layer sizes and the activation: `2 -> 200 -> 200 -> 1 (tanh)`.
    public var architectureDescription: String { network.description }
    public var parameters: [(name: String, value: Variable)] { Array(zip(network.parameterNames, network.parameters)) }
    public var lossNames: [String] { ["mse"] }

    public func copy() -> BaselineModel {
        let a = architecture
        let other = BaselineModel(dimension: dimension, hidden: a.hidden, layers: a.layers, activation: a.activation, seed: 0)
        for (p, q) in zip(other.network.parameters, network.parameters) { p.value = q.value }
        return other
    }

    public func predict(_ x: Tensor, at parameters: [Variable]?, createGraph: Bool) -> Variable {
        Recording.with(createGraph) { network(Variable(x), parameters: parameters ?? network.parameters) }
    }

    public func losses(_ batch: Batch, at parameters: [Variable]?) throws -> [String: Variable] {
        let θ = try parameters.map { try resolve($0) }
        let x = try batch.tensor("x", for: kind), dx = try batch.tensor("dx", for: kind)
        return ["mse": (predict(x, at: θ, createGraph: Recording.isOn) - Variable(dx)).square().mean()]
    }

    public func outputProblem(on batch: Batch) -> String? {
        MLPArchitecture.outputProblem(network, name: "the predicted dx/dt", on: batch["x"])
    }

    public func trainingCost(rows: Int) -> TrainingCost { architecture.cost(rows: rows) }

    public func evaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>) { fieldEvaluate(x, into: derivative) }
}
