import Symbolic

/// The activations the papers use.
public enum Activation: String, Sendable, CaseIterable {
    case tanh, softplus, sigmoid, relu, sin

    func apply(_ x: Variable) -> Variable {
        switch self {
        case .tanh: return x.tanh()
        case .softplus: return x.softplus()
        case .sigmoid: return x.sigmoid()
        case .relu: return x.relu()
        case .sin: return x.sin()
        }
    }
}

/// A multilayer perceptron: affine layers with an activation between them, linear output.
/// Input rows are samples: x is [batch, inputs], the output [batch, outputs].
public final class MLP {
    public let sizes: [Int]
    public let activation: Activation
    public private(set) var weights: [Variable]
    public private(set) var biases: [Variable]

    public init(sizes: [Int], activation: Activation = .tanh, initializer: Initializer = .xavier, seed: UInt64) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "an MLP needs at least an input and an output size")
        self.sizes = sizes
        self.activation = activation
        var rng = SeededGenerator(seed: seed)
        weights = (0..<(sizes.count - 1)).map { Variable(initializer.matrix(rows: sizes[$0], columns: sizes[$0 + 1], &rng), requiresGradient: true) }
        biases = sizes.dropFirst().map { Variable(Tensor.zeros([$0]), requiresGradient: true) }
    }

    public var parameters: [Variable] { zip(weights, biases).flatMap { [$0, $1] } }

    public func callAsFunction(_ x: Variable) -> Variable {
        var h = x
        for k in weights.indices {
            h = Variable.matmul(h, weights[k]) + biases[k]
            if k < weights.count - 1 { h = activation.apply(h) }
        }
        return h
    }
}
