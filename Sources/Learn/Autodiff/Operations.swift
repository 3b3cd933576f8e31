import Foundation

// Every operation: its value, and its pullback written with these same operations.

extension Variable {
    /// Σ over broadcast dimensions back to `shape` (adjoint of `broadcast(to:)`).
    public func summed(to shape: [Int]) -> Variable {
        if self.shape == shape { return self }
        let inputShape = self.shape
        return .record(value.summed(to: shape), [self]) { g in [g.broadcast(to: inputShape)] }
    }

    public func broadcast(to shape: [Int]) -> Variable {
        if self.shape == shape { return self }
        let inputShape = self.shape
        return .record(value.broadcast(to: shape), [self]) { g in [g.summed(to: inputShape)] }
    }

    public static func + (a: Variable, b: Variable) -> Variable {
        .record(Tensor.zip(a.value, b.value, +), [a, b]) { g in [g.summed(to: a.shape), g.summed(to: b.shape)] }
    }

    public static func - (a: Variable, b: Variable) -> Variable {
        .record(Tensor.zip(a.value, b.value, -), [a, b]) { g in [g.summed(to: a.shape), (-g).summed(to: b.shape)] }
    }

    public static prefix func - (a: Variable) -> Variable {
        .record(a.value.map { -$0 }, [a]) { g in [-g] }
    }

    public static func * (a: Variable, b: Variable) -> Variable {
        .record(Tensor.zip(a.value, b.value, *), [a, b]) { g in [(g * b).summed(to: a.shape), (g * a).summed(to: b.shape)] }
    }

    public static func / (a: Variable, b: Variable) -> Variable {
        .record(Tensor.zip(a.value, b.value, /), [a, b]) { g in
            [(g / b).summed(to: a.shape), (-(g * a) / (b * b)).summed(to: b.shape)]
        }
    }

    public static func * (a: Variable, c: Double) -> Variable {
        .record(a.value.map { $0 * c }, [a]) { g in [g * c] }
    }
    public static func * (c: Double, a: Variable) -> Variable { a * c }
    public static func + (a: Variable, c: Double) -> Variable {
        .record(a.value.map { $0 + c }, [a]) { g in [g] }
    }
    public static func - (c: Double, a: Variable) -> Variable { (-a) + c }

    /// The matrix product op(a)·op(b) through BLAS, transposes as flags.
    public static func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
        .record(Tensor.matmul(a.value, b.value, transposeA: transposeA, transposeB: transposeB), [a, b]) { g in
            switch (transposeA, transposeB) {
            case (false, false): return [matmul(g, b, transposeB: true), matmul(a, g, transposeA: true)]
            case (false, true): return [matmul(g, b), matmul(g, a, transposeA: true)]
            case (true, false): return [matmul(b, g, transposeB: true), matmul(a, g)]
            case (true, true): return [matmul(b, g, transposeA: true, transposeB: true), matmul(g, a, transposeA: true, transposeB: true)]
            }
        }
    }

    public func sum() -> Variable {
        let inputShape = shape
        return .record(value.sum(), [self]) { g in [g.broadcast(to: inputShape)] }
    }

    public func mean() -> Variable { sum() * (1 / Double(max(1, value.count))) }

    // MARK: Activations (the papers': tanh, softplus, sigmoid, ReLU, sin, log-cosh)

    // An activation's pullback needs its own output (tanh' = 1 − tanh²). It re-creates the
    // output node from the value already computed — recorded with the same pullback, so higher
    // derivatives stay exact — instead of evaluating tanh again.

    public func tanh() -> Variable { tanh(precomputed: value.map(Tensor.fastTanh)) }

    func tanh(precomputed t: Tensor) -> Variable {
        .record(t, [self]) { g in
            let output = self.tanh(precomputed: t)
            return [g.timesOneMinusSquare(output)]
        }
    }

    /// g ⊙ (1 − t²) in one pass (tanh's backward), itself differentiable in g and t.
    public func timesOneMinusSquare(_ t: Variable) -> Variable {
        .record(Tensor.zip(value, t.value) { g, t in g * (1 - t * t) }, [self, t]) { upstream in
            [upstream.timesOneMinusSquare(t), upstream * self * t * (-2.0)]
        }
    }

    /// 1 − x², one pass.
    public func oneMinusSquare() -> Variable {
        .record(value.map { 1 - $0 * $0 }, [self]) { g in [g * self * (-2.0)] }
    }

    public func exp() -> Variable { exp(precomputed: value.map(Foundation.exp)) }

    func exp(precomputed e: Tensor) -> Variable {
        .record(e, [self]) { g in [g * self.exp(precomputed: e)] }
    }
    public func log() -> Variable {
        .record(value.map(Foundation.log), [self]) { g in [g / self] }
    }
    public func sin() -> Variable {
        .record(value.map(Foundation.sin), [self]) { g in [g * self.cos()] }
    }
    public func cos() -> Variable {
        .record(value.map(Foundation.cos), [self]) { g in [-(g * self.sin())] }
    }
    public func sigmoid() -> Variable {
        .record(value.map { 1 / (1 + Foundation.exp(-$0)) }, [self]) { g in
            let s = self.sigmoid()
            return [g * s * (1 - s)]
        }
    }
    /// log(1 + eˣ), computed without overflow.
    public func softplus() -> Variable {
        .record(value.map { $0 > 0 ? $0 + Foundation.log1p(Foundation.exp(-$0)) : Foundation.log1p(Foundation.exp($0)) }, [self]) { g in
            [g * self.sigmoid()]
        }
    }
    /// max(0, x); its derivative is the step function (0 at 0), whose derivative is 0.
    public func relu() -> Variable {
        let mask = Variable(value.map { $0 > 0 ? 1 : 0 })
        return .record(value.map { max(0, $0) }, [self]) { g in [g * mask] }
    }
    /// log(cosh x), computed without overflow; the loss of Song & Jeong.
    public func logCosh() -> Variable {
        .record(value.map { abs($0) + Foundation.log1p(Foundation.exp(-2 * abs($0))) - M_LN2 }, [self]) { g in [g * self.tanh()] }
    }
    public func square() -> Variable { self * self }
}
