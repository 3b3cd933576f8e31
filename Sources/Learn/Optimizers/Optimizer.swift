import CKernels

/// Updates parameters from their gradients. Implementations keep per-parameter state.
public protocol Optimizer: AnyObject {
    var learningRate: Double { get set }
    func step(_ parameters: [Variable], _ gradients: [Variable])
}

/// Plain gradient descent, optionally with momentum.
public final class SGD: Optimizer {
    public var learningRate: Double
    public var momentum: Double
    private var velocity: [[Double]] = []

    public init(learningRate: Double, momentum: Double = 0) { self.learningRate = learningRate; self.momentum = momentum }

    public func step(_ parameters: [Variable], _ gradients: [Variable]) {
        if velocity.count != parameters.count { velocity = parameters.map { [Double](repeating: 0, count: $0.value.count) } }
        for (k, (p, g)) in zip(parameters, gradients).enumerated() {
            for i in 0..<p.value.count {
                velocity[k][i] = momentum * velocity[k][i] + g.value.storage[i]
                p.value.storage[i] -= learningRate * velocity[k][i]
            }
        }
    }
}

/// Adam (Kingma & Ba) with bias correction.
public final class Adam: Optimizer {
    public var learningRate: Double
    public let beta1: Double, beta2: Double, epsilon: Double
    private var m: [[Double]] = [], v: [[Double]] = []
    public internal(set) var steps = 0

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
    }

    public func step(_ parameters: [Variable], _ gradients: [Variable]) {
        if m.count != parameters.count {
            m = parameters.map { [Double](repeating: 0, count: $0.value.count) }
            v = m
        }
        steps += 1
        let c1 = 1 - pow(beta1, Double(steps)), c2 = 1 - pow(beta2, Double(steps))
        for (k, (p, g)) in zip(parameters, gradients).enumerated() {
            precondition(p.value.count == g.value.count && m[k].count == g.value.count, "Adam: a gradient does not match its parameter")
            g.value.storage.withUnsafeBufferPointer { g in
                p.value.storage.withUnsafeMutableBufferPointer { p in
                    m[k].withUnsafeMutableBufferPointer { m in
                        v[k].withUnsafeMutableBufferPointer { v in
                            guard let base = p.baseAddress else { return }
                            nk_adam(base, g.baseAddress!, m.baseAddress!, v.baseAddress!, p.count, learningRate, beta1, beta2, c1, c2, epsilon)
                        }
                    }
                }
            }
        }
    }

    /// The first and second moment estimates per parameter (zeros before the first step).
    public func moments(for parameters: [Variable]) -> (m: [[Double]], v: [[Double]]) {
        if m.count == parameters.count { return (m, v) }
        let zeros = parameters.map { [Double](repeating: 0, count: $0.value.count) }
        return (zeros, zeros)
    }

    func setMoments(_ m: [[Double]], _ v: [[Double]]) { self.m = m; self.v = v }

    /// An independent optimizer in the same state.
    public func copy() -> Adam {
        let other = Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon)
        other.steps = steps
        other.setMoments(m, v)
        return other
    }

    /// Puts this optimizer back into the state of `snapshot` (taken earlier with `copy()`), so
    /// that the caller's reference follows parameters rolled back with it.
    func restore(_ snapshot: Adam) {
        learningRate = snapshot.learningRate
        steps = snapshot.steps
        m = snapshot.m; v = snapshot.v
    }
}

/// Scales gradients so their global L2 norm is at most `maximumNorm`; returns the norm before.
@discardableResult
public func clipGradients(_ gradients: [Variable], maximumNorm: Double) -> Double {
    let norm = gradients.reduce(0) { $0 + $1.value.storage.reduce(0) { $0 + $1 * $1 } }.squareRoot()
    if norm > maximumNorm && norm > 0 {
        let scale = maximumNorm / norm
        for g in gradients { for i in 0..<g.value.count { g.value.storage[i] *= scale } }
    }
    return norm
}

import Foundation
