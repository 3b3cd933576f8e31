/// Vector–Jacobian and Jacobian–vector products, Jacobians and Hessians of maps on batches.
///
/// A batched map takes x of shape [batch, d] to [batch, m] with each output row depending on
/// its own input row only (an MLP, a learned Hamiltonian, a transformation of phase space).
/// Then ∂ Σ_b f_i(x_b) / ∂x_b is row b of the Jacobian's i-th row, so m backward passes over
/// the whole batch give every sample's Jacobian: the cost is m passes, not m × batch.
public enum Derivatives {
    /// f(x) and vᵀ J_f(x), one backward pass.
    public static func vjp(_ f: (Variable) -> Variable, at x: Variable, cotangent v: Variable,
                           createGraph: Bool = false) -> (value: Variable, vjp: Variable) {
        let input = x.requiresGradient ? x : Variable(x.value, requiresGradient: true)
        let y = Recording.with(true) { f(input) }
        precondition(y.shape == v.shape, "the cotangent has shape \(v.shape), the output \(y.shape)")
        return (y, gradient(of: Recording.with(true) { (y * v).sum() }, wrt: [input], createGraph: createGraph)[0])
    }

    /// f(x) and J_f(x) u by two reverse passes: w ↦ Jᵀw is linear in w, and its gradient
    /// contracted with u is J u (no forward mode needed).
    public static func jvp(_ f: (Variable) -> Variable, at x: Variable, tangent u: Variable,
                           createGraph: Bool = false) -> (value: Variable, jvp: Variable) {
        precondition(x.shape == u.shape, "the tangent has shape \(u.shape), the input \(x.shape)")
        let input = x.requiresGradient ? x : Variable(x.value, requiresGradient: true)
        let y = Recording.with(true) { f(input) }
        let w = Variable(Tensor.zeros(y.shape), requiresGradient: true)
        let transposed = gradient(of: Recording.with(true) { (y * w).sum() }, wrt: [input], createGraph: true)[0]
        return (y, gradient(of: Recording.with(true) { (transposed * u).sum() }, wrt: [w], createGraph: createGraph)[0])
    }

    /// Per-sample Jacobians of a batched map [batch, d] → [batch, m]: shape [batch, m, d].
    /// With `createGraph` the result is differentiable (a loss may contain it).
    public static func jacobian(_ f: (Variable) -> Variable, at x: Variable, createGraph: Bool = false) -> Variable {
        precondition(x.shape.count == 2, "jacobian takes a batch of states [batch, d], got \(x.shape)")
        let input = x.requiresGradient ? x : Variable(x.value, requiresGradient: true)
        let y = Recording.with(true) { f(input) }
        precondition(y.shape.count == 2 && y.shape[0] == x.shape[0], "the map must give one row per sample, got \(y.shape)")
        return rows(count: y.shape[1], batch: x.shape[0], width: x.shape[1], createGraph: createGraph) { i in
            gradient(of: Recording.with(true) { y.slice(axis: 1, i).sum() }, wrt: [input], createGraph: createGraph)[0]
        }
    }

    /// Per-sample Hessians of a batched scalar function [batch, d] → [batch, 1] (or [batch]):
    /// shape [batch, d, d].
    public static func hessian(_ f: (Variable) -> Variable, at x: Variable, createGraph: Bool = false) -> Variable {
        precondition(x.shape.count == 2, "hessian takes a batch of states [batch, d], got \(x.shape)")
        return hessianRows(f, at: x, rows: 0..<x.shape[1], createGraph: createGraph).rows
    }

    /// The gradient ∇ₓf [batch, d] (always differentiable: it is recorded) and the Hessian rows
    /// ∂(∂f/∂x_i)/∂x for i in `rows`, [batch, rows.count, d]: one backward pass each, over the
    /// whole batch. An LNN needs the q̇ rows of its Lagrangian's Hessian only.
    public static func hessianRows(_ f: (Variable) -> Variable, at x: Variable, rows: Range<Int>,
                                   createGraph: Bool = false) -> (gradient: Variable, rows: Variable) {
        precondition(x.shape.count == 2, "hessian takes a batch of states [batch, d], got \(x.shape)")
        let input = x.requiresGradient ? x : Variable(x.value, requiresGradient: true)
        let g = Recording.with(true) { gradient(of: f(input).sum(), wrt: [input], createGraph: true)[0] }
        let stacked = Derivatives.rows(count: rows.count, batch: x.shape[0], width: x.shape[1], createGraph: createGraph) { k in
            gradient(of: Recording.with(true) { g.slice(axis: 1, rows.lowerBound + k).sum() }, wrt: [input], createGraph: createGraph)[0]
        }
        return (g, stacked)
    }

    /// Stacks `count` gradient rows [batch, width] into [batch, count, width].
    static func rows(count: Int, batch: Int, width: Int, createGraph: Bool, _ row: (Int) -> Variable) -> Variable {
        let parts = (0..<count).map { row($0) }
        return Recording.with(createGraph) {
            Variable.concatenate(parts.map { $0.reshaped([batch, 1, width]) }, axis: 1)
        }
    }
}

extension Derivatives {
    /// σ⁽ᵏ⁾(x) for k ≥ 4 from recorded operations, exact to every further order: σ⁽ᵏ⁾ = P_k(σ)
    /// with P_0(s) = s and P_(k+1)(s) = P_k'(s) · s(1 − s), evaluated by Horner's rule on the
    /// recorded σ(x).
    static func composedSigmoidDerivative(_ x: Variable, _ k: Int) -> Variable {
        var p: [Double] = [0, 1]                 // coefficients of P_0, lowest power first
        for _ in 0..<k {
            let dp = (1..<p.count).map { Double($0) * p[$0] }
            var next = [Double](repeating: 0, count: dp.count + 2)
            for (j, c) in dp.enumerated() { next[j + 1] += c; next[j + 2] -= c }
            p = next
        }
        let s = x.sigmoid()
        var result = Variable(Tensor.filled(x.shape, p.last!))
        for c in p.dropLast().reversed() { result = result * s + c }
        return result
    }
}
