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

/// A multilayer perceptron: affine layers with an activation σ between them, linear output,
///
///     h₀ = x,  h_k = σ(h_{k−1} W_k + b_k) for k < L+1,  f(x) = h_L W_{L+1} + b_{L+1}.
///
/// Input rows are samples: x is [batch, inputs], the output [batch, outputs]. Its parameters
/// θ = (W₁, b₁, W₂, b₂, …) are named `layer1.weight`, `layer1.bias`, …; every evaluation can
/// take other variables θ′ of the same shapes in that order (`callAsFunction(_:parameters:)`),
/// and the stored-weights path is that same code at θ′ = θ.
public final class MLP {
    public let sizes: [Int]
    public let activation: Activation
    public private(set) var weights: [Variable]
    public private(set) var biases: [Variable]
    /// θ = (W₁, b₁, W₂, b₂, …): the same variables as `weights` and `biases`, interleaved.
    public let parameters: [Variable]

    public init(sizes: [Int], activation: Activation = .tanh, initializer: Initializer = .xavier, seed: UInt64) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "an MLP needs at least an input and an output size")
        self.sizes = sizes
        self.activation = activation
        var rng = SeededGenerator(seed: seed)
        weights = (0..<(sizes.count - 1)).map { Variable(initializer.matrix(rows: sizes[$0], columns: sizes[$0 + 1], &rng), requiresGradient: true) }
        let biases = sizes.dropFirst().map { Variable(Tensor.zeros([$0]), requiresGradient: true) }
        self.biases = biases
        parameters = zip(weights, biases).flatMap { [$0, $1] }
    }

    /// The layer sizes and the activation: `2 -> 200 -> 200 -> 1 (tanh)`.
    public var description: String { sizes.map(String.init).joined(separator: " -> ") + " (\(activation.rawValue))" }

    /// `layer1.weight`, `layer1.bias`, … in the order of `parameters`.
    public var parameterNames: [String] {
        (1..<sizes.count).flatMap { ["layer\($0).weight", "layer\($0).bias"] }
    }

    /// Traps unless θ′ has the stored parameters' count and shapes: the fused kernels read
    /// raw memory by this network's sizes, so a mismatch must stop here, not read out of bounds.
    func checkSubstitute(_ θ: [Variable]) {
        precondition(θ.count == parameters.count, "an MLP of \(sizes.count - 1) layers takes \(parameters.count) parameter tensors, not \(θ.count)")
        for (p, q) in zip(parameters, θ) where p.shape != q.shape {
            preconditionFailure("a substituted MLP parameter has shape \(q.shape), the network's is \(p.shape)")
        }
    }

    /// f(x) at the stored parameters.
    public func callAsFunction(_ x: Variable) -> Variable { self(x, parameters: parameters) }

    /// f(x) at θ′ = `parameters` (W₁, b₁, W₂, b₂, … of the shapes of `self.parameters`).
    public func callAsFunction(_ x: Variable, parameters θ: [Variable]) -> Variable {
        checkSubstitute(θ)
        let layers = θ.count / 2
        var h = x
        for k in 0..<layers {
            h = Variable.matmul(h, θ[2 * k]) + θ[2 * k + 1]
            if k < layers - 1 { h = activation.apply(h) }
        }
        return h
    }
}
