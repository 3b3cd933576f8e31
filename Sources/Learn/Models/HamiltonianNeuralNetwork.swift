import Dynamics

/// A Hamiltonian neural network (Greydanus et al.): an MLP H_θ(x) of the state x = (q, p), and
/// the field ẋ = Ω∇ₓH_θ with q̇ = ∂H/∂p, ṗ = −∂H/∂q, written as ẋ = ∇ₓH_θ · Jᵀ with
/// J = [[0, I], [−I, 0]]. The field is divergence-free and conserves its own H_θ, by
/// construction.
///
/// Its one loss term, `mse`, is the mean squared error of the predicted ẋ against the batch's
/// `dx`: L(θ) = mean over rows and components of (Ω∇ₓH_θ(x) − ẋ)². ∇ₓH_θ is the MLP's fused
/// input gradient (`MLP.inputGradient`), one recorded operation whose parents are x and θ′.
///
/// With known conserved quantities C_c (`constraints:`), the term `constraint`,
/// mean_b Σ_c {C_c, H_θ}(x_b)² weighted by α3, joins it: the SCNN paper's SCNN-constraint as
/// its section 3.2.1 describes it ("the Hamiltonian is calculated with our standard two hidden
/// dense layers from the input (q, p). Beyond the HNN-loss, we only impose the loss components
/// ensuring {H, P_i} = 0 and {H, L} = 0"). See `ConstraintTerm`.
public final class HamiltonianNeuralNetwork: HamiltonianModel {
    public let network: MLP
    public let dimension: Int
    /// Jᵀ, so that ẋ = ∇H · Jᵀ.
    let symplecticTranspose: Variable
    /// Known conserved quantities and their weight; `.none` by default.
    public let constraints: ConstraintTerm

    public init(dimension: Int, hidden: Int, layers: Int, constraints: ConstraintTerm = .none, activation: Activation = .tanh,
                initializer: Initializer = .xavier, seed: UInt64) {
        precondition(dimension % 2 == 0 && dimension > 0 && hidden > 0 && layers > 0)
        precondition(constraints.isEmpty || constraints.coordinates.count == dimension, "constraints of \(constraints.coordinates.count) coordinates on a model of dimension \(dimension)")
        Tensor.configureThreads
        self.dimension = dimension
        self.constraints = constraints
        network = MLP(sizes: [dimension] + Array(repeating: hidden, count: layers) + [1], activation: activation,
                      initializer: initializer, seed: seed)
        let n = dimension / 2
        var J = Tensor.zeros([dimension, dimension])
        for i in 0..<n { J.storage[i * dimension + n + i] = 1; J.storage[(n + i) * dimension + i] = -1 }
        symplecticTranspose = Variable(J.transposed)
    }

    public var kind: String { "hnn" }
    public var architecture: MLPArchitecture {
        MLPArchitecture(dimension: dimension, hidden: network.sizes[1], layers: network.sizes.count - 2, outputs: 1, activation: network.activation)
    }
    public var spec: ModelSpec { architecture.spec.appending(constraints.specEntries) }
    /// The layer sizes and the activation: `2 -> 200 -> 200 -> 1 (tanh)`, and the constraints' count.
    public var architectureDescription: String { network.description + constraints.summary }
    public var parameters: [(name: String, value: Variable)] { Array(zip(network.parameterNames, network.parameters)) }
    public var lossNames: [String] { ["mse"] + (constraints.isEmpty ? [] : ["constraint"]) }
    /// L_mse, + α3 L_C with constraints.
    public var objective: Objective { Objective([("mse", 1)] + (constraints.isEmpty ? [] : [("constraint", constraints.weight)])) }

    public func copy() -> HamiltonianNeuralNetwork {
        let a = architecture
        let other = HamiltonianNeuralNetwork(dimension: dimension, hidden: a.hidden, layers: a.layers, constraints: constraints, activation: a.activation, seed: 0)
        for (p, q) in zip(other.network.parameters, network.parameters) { p.value = q.value }
        return other
    }

    public func hamiltonian(_ x: Variable, at parameters: [Variable]?) -> Variable {
        network(x, parameters: parameters ?? network.parameters)
    }

    public func predict(_ x: Tensor, at parameters: [Variable]?, createGraph: Bool) -> Variable {
        Recording.with(createGraph) {
            Variable.matmul(network.inputGradient(Variable(x), parameters: parameters ?? network.parameters), symplecticTranspose)
        }
    }

    public func losses(_ batch: Batch, at parameters: [Variable]?) throws -> [String: Variable] {
        let θ = try parameters.map { try resolve($0) }
        let x = try batch.tensor("x", for: kind), dx = try batch.tensor("dx", for: kind)
        let f = predict(x, at: θ, createGraph: Recording.isOn)
        var terms = ["mse": (f - Variable(dx)).square().mean()]
        if !constraints.isEmpty { terms["constraint"] = ConstraintTerm.loss(gradients: Variable(constraints.gradients(at: x)), field: f) }
        return terms
    }

    public func outputProblem(on batch: Batch) -> String? {
        MLPArchitecture.outputProblem(network, name: "H_theta", on: batch["x"])
    }

    public func trainingCost(rows: Int) -> TrainingCost { architecture.cost(rows: rows) }

    public func evaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>) { fieldEvaluate(x, into: derivative) }
}
