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

    /// Outputs beyond this are treated as overflowing: a margin below Double's 1.8e308, so that
    /// the rounding of a sum whose bound is finite cannot itself overflow.
    static let outputLimit = 1e300

    /// Why the network's output may not be finite at the current parameters, or nil when it is:
    /// a parameter that is not finite, or an output (H_θ of an HNN, ẋ of a baseline) that can
    /// overflow. With a bounded activation the check holds for every input, by the output
    /// layer's bound (`MLP.outputBound`, a few hundred additions); otherwise it evaluates the
    /// network on the rows of `x`. A finite loss says the predicted ẋ is finite on its batch,
    /// but not H_θ: saturated tanh units give ∇H_θ = 0 while output weights of 1e309 make H_θ
    /// infinite.
    public func outputProblem(on x: Tensor) -> String? {
        for p in parameters where !p.value.storage.allSatisfy(\.isFinite) { return "a parameter is not finite" }
        let name = kind == .hnn ? "H_theta" : "the predicted dx/dt"
        if let bound = network.outputBound {
            guard bound <= Self.outputLimit else {
                return "\(name) can overflow (its bound over all states, \(TextPrinter.format(bound, significantDigits: 3)), is above 1e300)"
            }
            return nil
        }
        let output = Recording.with(false) { network(Variable(x)) }.value.storage
        guard let worst = output.first(where: { !(abs($0) <= Self.outputLimit) }) else { return nil }
        return "\(name) overflows on the training states (\(TextPrinter.format(worst, significantDigits: 3)))"
    }

    public func evaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>) {
        let state = Tensor(shape: [1, dimension], storage: Array(UnsafeBufferPointer(start: x, count: dimension)))
        let f = predict(state, createGraph: false).value
        for i in 0..<dimension { derivative[i] = f.storage[i] }
    }
}
