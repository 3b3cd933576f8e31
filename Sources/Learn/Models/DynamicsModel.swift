import Dynamics
import Symbolic

/// A learned vector field on phase space x = (q, p):
/// - `baseline`: an MLP predicting ẋ directly;
/// - `hnn` (Greydanus et al.): an MLP H_θ(x), and ẋ = Ω∇ₓH_θ with q̇ = ∂H/∂p, ṗ = −∂H/∂q.
/// Either is a `VectorField`, so the integrators roll it out. An HNN's field is divergence-free
/// and conserves its own H_θ, by construction.
public final class DynamicsModel: VectorField {
    public enum Kind: String, Sendable, CaseIterable { case baseline, hnn }

    public let kind: Kind
    public let network: MLP
    public let dimension: Int
    /// ẋ = ∇H · Jᵀ with J = [[0, I], [−I, 0]].
    let symplecticTranspose: Variable

    public init(kind: Kind, dimension: Int, hidden: Int, layers: Int, activation: Activation = .tanh,
                initializer: Initializer = .xavier, seed: UInt64) {
        precondition(dimension % 2 == 0 && dimension > 0 && hidden > 0 && layers > 0)
        Tensor.configureThreads
        self.kind = kind
        self.dimension = dimension
        let output = kind == .hnn ? 1 : dimension
        network = MLP(sizes: [dimension] + Array(repeating: hidden, count: layers) + [output], activation: activation,
                      initializer: initializer, seed: seed)
        let n = dimension / 2
        var J = Tensor.zeros([dimension, dimension])
        for i in 0..<n { J.storage[i * dimension + n + i] = 1; J.storage[(n + i) * dimension + i] = -1 }
        symplecticTranspose = Variable(J.transposed)
    }

    public var parameters: [Variable] { network.parameters }

    /// An independent model with the same architecture and parameter values.
    public func copy() -> DynamicsModel {
        let sizes = network.sizes
        let other = DynamicsModel(kind: kind, dimension: dimension, hidden: sizes[1], layers: sizes.count - 2, activation: network.activation, seed: 0)
        for (p, q) in zip(other.parameters, parameters) { p.value = q.value }
        return other
    }

    /// H_θ for a batch [batch, d] → [batch, 1] (HNN only).
    public func hamiltonian(_ x: Variable) -> Variable { network(x) }

    /// ẋ for a batch [batch, d]. With `createGraph` the result is differentiable in the
    /// parameters (training); otherwise it is a constant (rollouts).
    public func predict(_ x: Tensor, createGraph: Bool) -> Variable {
        switch kind {
        case .baseline:
            return Recording.with(createGraph) { network(Variable(x)) }
        case .hnn:
            return Recording.with(createGraph) { Variable.matmul(network.inputGradient(Variable(x)), symplecticTranspose) }
        }
    }

    /// Mean squared error of the predicted ẋ against `target`, differentiable in the parameters.
    public func loss(_ x: Tensor, _ target: Tensor) -> Variable {
        (predict(x, createGraph: true) - Variable(target)).square().mean()
    }

    public func evaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>) {
        let state = Tensor(shape: [1, dimension], storage: Array(UnsafeBufferPointer(start: x, count: dimension)))
        let f = predict(state, createGraph: false).value
        for i in 0..<dimension { derivative[i] = f.storage[i] }
    }
}
