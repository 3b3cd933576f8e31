import Dynamics

/// A separable Hamiltonian network: H_θ(q, p) = T_θ(p) + V_θ(q), two MLPs of n = d/2 inputs
/// and one output each, and the field q̇ = ∇_p T_θ(p), ṗ = −∇_q V_θ(q).
///
/// The split is what explicit symplectic splitting methods need (kick-drift-kick leapfrog,
/// Yoshida's fourth-order composition; the learned-H models of Chen et al.'s symplectic
/// recurrent networks are of this form), so the model is a `SeparableField` and `rollout`
/// can integrate it with `leapfrog` and `yoshida4`. The field is divergence-free and conserves
/// H_θ, like an HNN's; what it gives up is coupling between q and p in H (a pendulum, a
/// spring, Kepler in Cartesian coordinates are separable; a charged particle in a magnetic
/// field is not).
///
/// Its loss term `mse` is the mean squared error of the predicted ẋ against the batch's `dx`.
/// Both gradients are the MLPs' fused input gradients (`MLP.inputGradient`).
public final class SeparableHamiltonianNetwork: HamiltonianModel, SeparableField {
    /// T_θ(p).
    public let kinetic: MLP
    /// V_θ(q).
    public let potential: MLP
    public let dimension: Int

    public init(dimension: Int, hidden: Int, layers: Int, activation: Activation = .tanh, initializer: Initializer = .xavier, seed: UInt64) {
        precondition(dimension % 2 == 0 && dimension > 0 && hidden > 0 && layers > 0)
        Tensor.configureThreads
        self.dimension = dimension
        let sizes = [dimension / 2] + Array(repeating: hidden, count: layers) + [1]
        // Two seeds from one: the networks start different, and the run stays reproducible.
        kinetic = MLP(sizes: sizes, activation: activation, initializer: initializer, seed: seed)
        potential = MLP(sizes: sizes, activation: activation, initializer: initializer, seed: seed &+ 0x9E37_79B9_7F4A_7C15)
    }

    public var kind: String { "shnn" }
    public var architectureDescription: String { "T(p) \(kinetic.description) + V(q) \(potential.description)" }
    public var degreesOfFreedom: Int { dimension / 2 }

    /// The architecture of the whole (d inputs); each network is the same with d/2 inputs.
    public var architecture: MLPArchitecture {
        MLPArchitecture(dimension: dimension, hidden: kinetic.sizes[1], layers: kinetic.sizes.count - 2, outputs: 1, activation: kinetic.activation)
    }
    public var spec: ModelSpec { architecture.spec }

    /// `kinetic.layer1.weight`, …, then `potential.layer1.weight`, …
    public var parameters: [(name: String, value: Variable)] {
        Array(zip(kinetic.parameterNames.map { "kinetic." + $0 }, kinetic.parameters))
            + Array(zip(potential.parameterNames.map { "potential." + $0 }, potential.parameters))
    }

    /// The parameter names and shapes of a spec, without building anything.
    static func parameterShapes(_ a: MLPArchitecture) -> [(name: String, shape: [Int])] {
        let half = MLPArchitecture(dimension: a.dimension / 2, hidden: a.hidden, layers: a.layers, outputs: 1, activation: a.activation)
        return half.parameterShapes.map { ("kinetic." + $0.name, $0.shape) } + half.parameterShapes.map { ("potential." + $0.name, $0.shape) }
    }

    public var lossNames: [String] { ["mse"] }

    public func copy() -> SeparableHamiltonianNetwork {
        let a = architecture
        let other = SeparableHamiltonianNetwork(dimension: dimension, hidden: a.hidden, layers: a.layers, activation: a.activation, seed: 0)
        for (p, q) in zip(other.parameters, parameters) { p.value.value = q.value.value }
        return other
    }

    /// θ′ split into the kinetic network's tensors and the potential's.
    func split(_ θ: [Variable]?) -> (kinetic: [Variable], potential: [Variable]) {
        guard let θ else { return (kinetic.parameters, potential.parameters) }
        let k = kinetic.parameters.count
        return (Array(θ[..<k]), Array(θ[k...]))
    }

    public func hamiltonian(_ x: Variable, at parameters: [Variable]?) -> Variable {
        let n = dimension / 2, θ = split(parameters)
        return kinetic(x.slice(axis: 1, n..<dimension), parameters: θ.kinetic) + potential(x.slice(axis: 1, 0..<n), parameters: θ.potential)
    }

    public func predict(_ x: Tensor, at parameters: [Variable]?, createGraph: Bool) -> Variable {
        let n = dimension / 2, θ = split(parameters)
        return Recording.with(createGraph) {
            let qdot = kinetic.inputGradient(Variable(x.slice(axis: 1, n..<dimension)), parameters: θ.kinetic)
            let pdot = -potential.inputGradient(Variable(x.slice(axis: 1, 0..<n)), parameters: θ.potential)
            return Variable.concatenate([qdot, pdot], axis: 1)
        }
    }

    public func losses(_ batch: Batch, at parameters: [Variable]?) throws -> [String: Variable] {
        let θ = try parameters.map { try resolve($0) }
        let x = try batch.tensor("x", for: kind), dx = try batch.tensor("dx", for: kind)
        return ["mse": (predict(x, at: θ, createGraph: Recording.isOn) - Variable(dx)).square().mean()]
    }

    public func outputProblem(on batch: Batch) -> String? {
        let n = dimension / 2, x = batch["x"]
        return MLPArchitecture.outputProblem(kinetic, name: "T_theta", on: x?.slice(axis: 1, n..<dimension))
            ?? MLPArchitecture.outputProblem(potential, name: "V_theta", on: x?.slice(axis: 1, 0..<n))
    }

    public func trainingCost(rows: Int) -> TrainingCost {
        Self.cost(dimension: dimension, hidden: architecture.hidden, layers: architecture.layers, rows: rows)
    }

    /// Two networks of d/2 inputs: at most the work of two of d/2 inputs and outputs.
    static func cost(dimension: Int, hidden: Int, layers: Int, rows: Int) -> TrainingCost {
        var cost = TrainingCost(dimension: dimension / 2, hidden: hidden, layers: layers, rows: rows)
        cost.parameters *= 2
        return cost
    }

    public func evaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>) { fieldEvaluate(x, into: derivative) }

    /// q̇ = ∇_p T_θ(p).
    public func velocity(_ p: UnsafePointer<Double>, into qdot: UnsafeMutablePointer<Double>) {
        gradient(of: kinetic, at: p, into: qdot, sign: 1)
    }

    /// ṗ = −∇_q V_θ(q).
    public func force(_ q: UnsafePointer<Double>, into pdot: UnsafeMutablePointer<Double>) {
        gradient(of: potential, at: q, into: pdot, sign: -1)
    }

    func gradient(of network: MLP, at y: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, sign: Double) {
        let n = dimension / 2
        let g = Recording.with(false) { network.inputGradient(Variable(Tensor(shape: [1, n], storage: Array(UnsafeBufferPointer(start: y, count: n))))) }.value
        for i in 0..<n { out[i] = sign * g.storage[i] }
    }
}

extension ModelRegistry {
    static let separableHamiltonianNetwork = mlpEntry(
        name: "shnn", summary: "separable Hamiltonian network: H_theta = T_theta(p) + V_theta(q), two MLPs; leapfrog and yoshida4 roll it out",
        outputs: { _ in 1 }, shapes: SeparableHamiltonianNetwork.parameterShapes, cost: SeparableHamiltonianNetwork.cost) {
            SeparableHamiltonianNetwork(dimension: $0, hidden: $1, layers: $2, activation: $3, initializer: $4, seed: $5)
        }
}
