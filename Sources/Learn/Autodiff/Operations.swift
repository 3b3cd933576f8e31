import Foundation
import CKernels

// Every operation: its value, and its pullback written with these same operations.

extension Variable {
    /// Σ over broadcast dimensions back to `shape` (adjoint of `broadcast(to:)`).
    public func summed(to shape: [Int]) -> Variable {
        if self.shape == shape { return self }
        let inputShape = self.shape
        return .record(value.summed(to: shape), [self]) { g, need in [need[0] ? g.broadcast(to: inputShape) : nil] }
    }

    public func broadcast(to shape: [Int]) -> Variable {
        if self.shape == shape { return self }
        let inputShape = self.shape
        return .record(value.broadcast(to: shape), [self]) { g, need in [need[0] ? g.summed(to: inputShape) : nil] }
    }

    public static func + (a: Variable, b: Variable) -> Variable {
        .record(Tensor.zip(a.value, b.value, .add), [a, b]) { g, need in
            [need[0] ? g.summed(to: a.shape) : nil, need[1] ? g.summed(to: b.shape) : nil]
        }
    }

    public static func - (a: Variable, b: Variable) -> Variable {
        .record(Tensor.zip(a.value, b.value, .subtract), [a, b]) { g, need in
            [need[0] ? g.summed(to: a.shape) : nil, need[1] ? (-g).summed(to: b.shape) : nil]
        }
    }

    public static prefix func - (a: Variable) -> Variable {
        .record(a.value.map { -$0 }, [a]) { g, need in [need[0] ? -g : nil] }
    }

    public static func * (a: Variable, b: Variable) -> Variable {
        .record(Tensor.zip(a.value, b.value, .multiply), [a, b]) { g, need in
            [need[0] ? (g * b).summed(to: a.shape) : nil, need[1] ? (g * a).summed(to: b.shape) : nil]
        }
    }

    public static func / (a: Variable, b: Variable) -> Variable {
        .record(Tensor.zip(a.value, b.value, .divide), [a, b]) { g, need in
            [need[0] ? (g / b).summed(to: a.shape) : nil, need[1] ? (-(g * a) / (b * b)).summed(to: b.shape) : nil]
        }
    }

    public static func * (a: Variable, c: Double) -> Variable {
        .record(a.value.map { $0 * c }, [a]) { g, need in [need[0] ? g * c : nil] }
    }
    public static func * (c: Double, a: Variable) -> Variable { a * c }
    public static func + (a: Variable, c: Double) -> Variable {
        .record(a.value.map { $0 + c }, [a]) { g, need in [need[0] ? g : nil] }
    }
    public static func - (c: Double, a: Variable) -> Variable { (-a) + c }

    /// The matrix product op(a)·op(b) through BLAS, transposes as flags.
    public static func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
        .record(Tensor.matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB), [a, b]) { g, need in
            switch (transposeA, transposeB) {
            case (false, false):
                return [need[0] ? matmul(g, b, transposeB: true) : nil, need[1] ? matmul(a, g, transposeA: true) : nil]
            case (false, true):
                return [need[0] ? matmul(g, b) : nil, need[1] ? matmul(g, a, transposeA: true) : nil]
            case (true, false):
                return [need[0] ? matmul(b, g, transposeB: true) : nil, need[1] ? matmul(a, g) : nil]
            case (true, true):
                return [need[0] ? matmul(b, g, transposeA: true, transposeB: true) : nil,
                        need[1] ? matmul(g, a, transposeA: true, transposeB: true) : nil]
            }
        }
    }

    public func sum() -> Variable {
        let inputShape = shape
        return .record(value.sum(), [self]) { g, need in [need[0] ? g.broadcast(to: inputShape) : nil] }
    }

    public func mean() -> Variable { sum() * (1 / Double(max(1, value.count))) }

    // MARK: Activations (the papers': tanh, softplus, sigmoid, ReLU, sin, log-cosh)

    // An activation's pullback needs its own output (tanh' = 1 − tanh²). It re-creates the
    // output node from the value already computed — recorded with the same pullback, so higher
    // derivatives stay exact — instead of evaluating tanh again.

    public func tanh() -> Variable { tanh(precomputed: value.tanh()) }

    func tanh(precomputed t: Tensor) -> Variable {
        .record(t, [self]) { g, need in
            [need[0] ? g.timesOneMinusSquare(self.tanh(precomputed: t)) : nil]
        }
    }

    /// g ⊙ (1 − t²) in one pass (tanh's backward), itself differentiable in g and t.
    public func timesOneMinusSquare(_ t: Variable) -> Variable {
        precondition(shape == t.shape, "timesOneMinusSquare takes equal shapes")
        return .record(value.timesOneMinusSquare(t.value), [self, t]) { upstream, need in
            [need[0] ? upstream.timesOneMinusSquare(t) : nil, need[1] ? Variable.tripleProduct(upstream, self, t, scale: -2) : nil]
        }
    }

    /// scale · a ⊙ b ⊙ c in one pass (same shapes); its pullback is the same operation, so it
    /// is differentiable to any order.
    public static func tripleProduct(_ a: Variable, _ b: Variable, _ c: Variable, scale: Double) -> Variable {
        precondition(a.shape == b.shape && b.shape == c.shape, "tripleProduct takes equal shapes")
        return .record(Tensor.tripleProduct(a.value, b.value, c.value, scale: scale), [a, b, c]) { g, need in
            [need[0] ? tripleProduct(g, b, c, scale: scale) : nil,
             need[1] ? tripleProduct(g, a, c, scale: scale) : nil,
             need[2] ? tripleProduct(g, a, b, scale: scale) : nil]
        }
    }

    /// 1 − x², one pass.
    public func oneMinusSquare() -> Variable {
        .record(value.map { 1 - $0 * $0 }, [self]) { g, need in [need[0] ? g * self * (-2.0) : nil] }
    }

    public func exp() -> Variable { exp(precomputed: value.map(Foundation.exp)) }

    func exp(precomputed e: Tensor) -> Variable {
        .record(e, [self]) { g, need in [need[0] ? g * self.exp(precomputed: e) : nil] }
    }
    public func log() -> Variable {
        .record(value.map(Foundation.log), [self]) { g, need in [need[0] ? g / self : nil] }
    }
    public func sin() -> Variable {
        .record(value.map(Foundation.sin), [self]) { g, need in [need[0] ? g * self.cos() : nil] }
    }
    public func cos() -> Variable {
        .record(value.map(Foundation.cos), [self]) { g, need in [need[0] ? -(g * self.sin()) : nil] }
    }
    /// σ(x) = 1/(1 + e^{−x}) by a vectorised kernel (`nk_sigmoid`; libm's exp per element cost a
    /// SympNet step more than its products). Its pullback g σ (1 − σ) uses the
    /// output it has when it is not itself recorded, and a recorded σ when it is (second
    /// derivatives).
    public func sigmoid() -> Variable {
        let output = Tensor.elementwise(value.shape, [value.storage]) { p, o, n in nk_sigmoid(p[0], o, n) }
        return .record(output, [self]) { g, need in
            guard need[0] else { return [nil] }
            if Recording.isOn { return [g * self.sigmoidDerivative(1)] }
            guard g.shape == output.shape else { return [g * Variable(output.map { $0 * (1 - $0) })] }
            return [Variable(Tensor.elementwise(output.shape, [g.value.storage, output.storage]) { p, o, n in nk_times_sigmoid_slope(p[0], p[1], o, n) })]
        }
    }
    /// The k-th derivative of σ for k = 1, 2, 3 as one operation each: σ(1 − σ), then
    /// σ(1 − σ)(1 − 2σ), then σ(1 − σ)(1 − 6σ + 6σ²); differentiable, its pullback g times the
    /// next derivative (past the third, a polynomial in the recorded σ). An LNN differentiates
    /// softplus three times (its Hessian, then the loss's gradient); written as products of σ and
    /// 1 − σ each order cost four or five passes over the batch; here σ and the polynomial are
    /// one vectorised pass (`nk_sigmoid_derivative`).
    func sigmoidDerivative(_ k: Int) -> Variable {
        guard k <= 3 else { return Derivatives.composedSigmoidDerivative(self, k) }
        let output = Tensor.elementwise(value.shape, [value.storage]) { p, o, n in nk_sigmoid_derivative(Int32(k), p[0], o, n) }
        return .record(output, [self]) { g, need in [need[0] ? g * self.sigmoidDerivative(k + 1) : nil] }
    }

    /// log(1 + eˣ), computed without overflow by a vectorised kernel (`nk_softplus`; libm's
    /// log1p and exp per element were 7 % of an LNN step).
    public func softplus() -> Variable {
        .record(Tensor.elementwise(value.shape, [value.storage]) { p, o, n in nk_softplus(p[0], o, n) }, [self]) { g, need in
            [need[0] ? g * self.sigmoid() : nil]
        }
    }
    /// max(0, x); its derivative is the step function (0 at 0), whose derivative is 0.
    public func relu() -> Variable {
        let mask = Variable(value.map { $0 > 0 ? 1 : 0 })
        return .record(value.map { max(0, $0) }, [self]) { g, need in [need[0] ? g * mask : nil] }
    }
    /// log(cosh x), computed without overflow; the loss of Song & Jeong.
    public func logCosh() -> Variable {
        .record(value.map { Swift.abs($0) + Foundation.log1p(Foundation.exp(-2 * Swift.abs($0))) - M_LN2 }, [self]) { g, need in [need[0] ? g * self.tanh() : nil] }
    }
    public func square() -> Variable { self * self }
    /// |x|; its derivative is sign(x) (0 at 0), whose derivative is 0.
    public func abs() -> Variable {
        let sign = Variable(value.map { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 })
        return .record(value.map { Swift.abs($0) }, [self]) { g, need in [need[0] ? g * sign : nil] }
    }
}
