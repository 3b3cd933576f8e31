import CKernels
import COpenBLAS

// ∇ₓ Σ_rows f(x) of a scalar network as one recorded operation.
//
// An HNN's field is Ω∇ₓH_θ and its loss is differentiated once more, to the parameters. As a
// chain of single operations that is ~25 elementwise passes over [batch, hidden] tensors around
// six large products; written out by hand for tanh layers it is one pass per layer and phase,
// vectorised, around the same six products (measured in BENCHMARKS.md). Notation, for hidden
// layers k = 1…L with widths s_k, a₀ = x, output weights w (s_L × 1):
//
//   forward      z_k = a_{k−1} W_k + b_k,  a_k = tanh z_k,  d_k = 1 − a_k²
//   input grad   u_L = wᵀ (every row),  e_k = u_k ⊙ d_k,  u_{k−1} = e_k W_kᵀ,  value u₀
//
// The pullback, given ū₀ (the loss's gradient with respect to the value), walks the input
// gradient's chain up and then the forward chain down:
//
//   up     ē_k = ū_{k−1} W_k,  W̄_k += ū_{k−1}ᵀ e_k,  ū_k = ē_k ⊙ d_k,
//          z̄_k ← −2 ē_k ⊙ u_k ⊙ a_k ⊙ d_k = −2 ē_k ⊙ a_k ⊙ e_k  (d_k depends on z_k),
//          w̄ = Σ_rows ū_L
//   down   W̄_k += a_{k−1}ᵀ z̄_k,  b̄_k = Σ_rows z̄_k,  z̄_{k−1} += (z̄_k W_kᵀ) ⊙ d_{k−1},
//          x̄ = z̄₁ W₁ᵀ
//
// That pullback is not itself recorded. When a caller differentiates through it (the backward
// pass is recorded: third derivatives, MAML over an HNN), the operation is rebuilt from single
// operations and differentiated that way, so every order stays exact.

extension MLP {
    /// ∇ₓ Σ_rows f(x) for x of shape [batch, inputs], as a [batch, inputs] variable: the
    /// gradient of a learned Hamiltonian, differentiable in x and the parameters when recording
    /// is on. One fused operation for tanh networks with hidden layers and one output;
    /// otherwise the reverse pass through the network's own graph.
    public func inputGradient(_ x: Variable) -> Variable { inputGradient(x, parameters: parameters) }

    /// ∇ₓ Σ_rows f(x) at θ′ = `parameters` (in the order of `self.parameters`): the fused
    /// operation's parents are x and those variables, so the result is differentiable in θ′.
    public func inputGradient(_ x: Variable, parameters θ: [Variable]) -> Variable {
        checkSubstitute(θ)
        guard activation == .tanh, sizes.count >= 3, sizes.last == 1, x.value.rank == 2, x.shape[1] == sizes[0], x.shape[0] > 0 else {
            return composedInputGradient(x, parameters: θ, createGraph: Recording.isOn)
        }
        let pass = TanhInputGradient(sizes: sizes, parameters: θ, x: x.value)
        let parents = [x] + θ
        return .record(pass.value, parents, savedBytes: pass.savedBytes) { g, need in
            if Recording.isOn {
                return self.differentiatedThroughComposition(parents: parents, upstream: g, need: need) { x, θ in
                    self.composedInputGradient(x, parameters: θ, createGraph: true)
                }
            }
            return pass.pullback(g.value, need: need).map { $0.map { Variable($0) } }
        }
    }

    /// The same gradient by reverse mode through the network's graph.
    func composedInputGradient(_ x: Variable, createGraph: Bool) -> Variable {
        composedInputGradient(x, parameters: parameters, createGraph: createGraph)
    }

    /// The same gradient by reverse mode through the network's graph at θ′.
    func composedInputGradient(_ x: Variable, parameters θ: [Variable], createGraph: Bool) -> Variable {
        let input = x.requiresGradient ? x : Variable(x.value, requiresGradient: true)
        return Recording.with(true) { gradient(of: self(input, parameters: θ).sum(), wrt: [input], createGraph: createGraph)[0] }
    }

    /// A fused operation's pullback, recorded: ∂⟨ḡ, F(x, θ)⟩/∂parents through `composed` (F as
    /// a graph of single operations), with ḡ and the parents (x, then θ) held as independent
    /// variables.
    func differentiatedThroughComposition(parents: [Variable], upstream: Variable, need: [Bool],
                                          composed: (Variable, [Variable]) -> Variable) -> [Variable?] {
        let x = parents[0]
        let input = x.requiresGradient ? x : Variable(x.value, requiresGradient: true)
        let θ = Array(parents.dropFirst())
        let inner = [input] + θ
        let contracted = Recording.with(true) { (composed(input, θ) * upstream).sum() }
        let wanted = inner.indices.filter { need[$0] }
        // Partial derivatives: ū and the parents are held, whatever they were computed from.
        let grads = gradient(of: contracted, wrt: wanted.map { inner[$0] }, createGraph: true, holding: [upstream] + inner)
        var out = [Variable?](repeating: nil, count: parents.count)
        for (i, g) in zip(wanted, grads) { out[i] = g }
        return out
    }
}

/// Owned scratch memory for one intermediate of a fused operation (freed with the graph).
private final class Buffer {
    let pointer: UnsafeMutablePointer<Double>
    let count: Int
    init(_ count: Int) { pointer = .allocate(capacity: max(count, 1)); self.count = count }
    deinit { pointer.deallocate() }
}

/// The forward computation of `MLP.inputGradient` for tanh layers, keeping what its pullback
/// reads: a_k and e_k, each [batch, s_k] (u_k is not needed once e_k is formed).
private struct TanhInputGradient {
    let sizes: [Int]            // s₀ = inputs, s₁…s_L hidden, 1
    let batch: Int
    let x: Tensor
    let weights: [Tensor]       // W₁…W_L, then w = W_{L+1}
    let a: [Buffer]             // a[k − 1] = a_k
    let e: [Buffer]             // e[k − 1] = e_k
    let value: Tensor           // u₀

    var hidden: Int { sizes.count - 2 }
    var savedBytes: Int { 8 * (a.map(\.count).reduce(0, +) + e.map(\.count).reduce(0, +)) }

    /// `parameters`: θ′ = (W₁, b₁, …, W_{L+1}, b_{L+1}) of a network of `sizes`.
    init(sizes: [Int], parameters: [Variable], x: Tensor) {
        Tensor.configureThreads
        let batch = x.shape[0], L = sizes.count - 2
        let weights = stride(from: 0, to: parameters.count, by: 2).map { parameters[$0].value }
        let biases = stride(from: 1, to: parameters.count, by: 2).map { parameters[$0].value.storage }
        var a: [Buffer] = [], e: [Buffer] = []
        var gradientOut = [Double](repeating: 0, count: batch * sizes[0])
        withStoragePointers(ArraySlice([x.storage] + weights.map(\.storage) + biases)) { p in
            let W = Array(p[1...(L + 1)]), b = Array(p[(L + 2)...])
            for k in 1...L {
                let z = Buffer(batch * sizes[k])
                gemm(false, false, batch, sizes[k], sizes[k - 1], k == 1 ? p[0] : UnsafePointer(a[k - 2].pointer), sizes[k - 1],
                     W[k - 1], sizes[k], 0, z.pointer, sizes[k])
                if k < L {
                    let width = sizes[k]
                    Parallel.rows(batch, width: width) { r in nk_bias_tanh(z.pointer + r.lowerBound * width, b[k - 1], r.count, width) }
                } else {
                    let top = Buffer(batch * sizes[k])
                    let width = sizes[k]
                    Parallel.rows(batch, width: width) { r in
                        let o = r.lowerBound * width
                        nk_bias_tanh_top(z.pointer + o, b[k - 1], W[L], top.pointer + o, r.count, width)
                    }
                    e = [Buffer](repeating: top, count: L)
                }
                a.append(z)
            }
            for k in stride(from: L, through: 1, by: -1) {
                if k > 1 {
                    // u_{k−1}, then e_{k−1} = u_{k−1} ⊙ d_{k−1} over it.
                    let next = Buffer(batch * sizes[k - 1])
                    gemm(false, true, batch, sizes[k - 1], sizes[k], e[k - 1].pointer, sizes[k], W[k - 1], sizes[k], 0, next.pointer, sizes[k - 1])
                    Parallel.rows(batch * sizes[k - 1], width: 1) { r in
                        let o = r.lowerBound
                        nk_times_one_minus_square(next.pointer + o, a[k - 2].pointer + o, next.pointer + o, r.count)
                    }
                    e[k - 2] = next
                } else {
                    gradientOut.withUnsafeMutableBufferPointer { out in
                        gemm(false, true, batch, sizes[0], sizes[1], e[0].pointer, sizes[1], W[0], sizes[1], 0, out.baseAddress!, sizes[0])
                    }
                }
            }
        }
        self.sizes = sizes; self.batch = batch; self.x = x; self.weights = weights
        self.a = a; self.e = e
        value = Tensor(shape: [batch, sizes[0]], storage: gradientOut)
    }

    /// Gradients for [x, W₁, b₁, …, W_{L+1}, b_{L+1}] given ū₀ = `upstream` (nil where not
    /// needed; the output bias does not change ∇ₓf and gets none).
    func pullback(_ upstream: Tensor, need: [Bool]) -> [Tensor?] {
        let L = hidden, s = sizes
        let needParameters = need.dropFirst().contains(true)
        var dW = (1...L).map { [Double](repeating: 0, count: s[$0 - 1] * s[$0]) }
        var db = (1...L).map { [Double](repeating: 0, count: s[$0]) }
        var dw = [Double](repeating: 0, count: s[L])
        var dx: [Double]? = need[0] ? [Double](repeating: 0, count: batch * s[0]) : nil
        withStoragePointers(ArraySlice([upstream.storage, x.storage] + weights.map(\.storage))) { p in
            let G = p[0], X = p[1], W = Array(p[2...])
            // Up the input gradient's chain: ē_k, ū_k and the first part of z̄_k.
            var zbar = [Buffer?](repeating: nil, count: L)
            var ubar: Buffer? = nil               // ū_{k−1} for k ≥ 2 (ū₀ is the upstream)
            for k in 1...L {
                let ebar = Buffer(batch * s[k])
                let previous = k == 1 ? G : UnsafePointer(ubar!.pointer)
                gemm(false, false, batch, s[k], s[k - 1], previous, s[k - 1], W[k - 1], s[k], 0, ebar.pointer, s[k])
                if needParameters {
                    dW[k - 1].withUnsafeMutableBufferPointer { d in
                        gemm(true, false, s[k - 1], s[k], batch, previous, s[k - 1], e[k - 1].pointer, s[k], 0, d.baseAddress!, s[k])
                    }
                }
                if k < L {
                    let zp = Buffer(batch * s[k])
                    Parallel.rows(batch * s[k], width: 1) { r in
                        let o = r.lowerBound
                        nk_tanh_second(ebar.pointer + o, e[k - 1].pointer + o, a[k - 1].pointer + o, zp.pointer + o, r.count)
                    }
                    zbar[k - 1] = zp
                    ubar = ebar
                } else {
                    // z̄_L written over ē_L (elementwise, so in place is safe).
                    dw.withUnsafeMutableBufferPointer { w̄ in db[L - 1].withUnsafeMutableBufferPointer { b̄ in
                        let width = s[L]
                        Parallel.columns(width, height: batch) { c in
                            let o = c.lowerBound
                            nk_tanh_second_top(ebar.pointer + o, e[L - 1].pointer + o, a[L - 1].pointer + o, ebar.pointer + o,
                                               w̄.baseAddress! + o, b̄.baseAddress! + o, batch, c.count, width)
                        }
                    } }
                    zbar[L - 1] = ebar
                    ubar = nil
                }
            }
            // Down the forward chain: weight gradients and z̄_{k−1}.
            for k in stride(from: L, through: 1, by: -1) {
                let zk = zbar[k - 1]!
                if needParameters {
                    let input = k == 1 ? X : UnsafePointer(a[k - 2].pointer)
                    dW[k - 1].withUnsafeMutableBufferPointer { d in
                        gemm(true, false, s[k - 1], s[k], batch, input, s[k - 1], zk.pointer, s[k], 1, d.baseAddress!, s[k])
                    }
                }
                if k > 1 {
                    let abar = Buffer(batch * s[k - 1])
                    gemm(false, true, batch, s[k - 1], s[k], zk.pointer, s[k], W[k - 1], s[k], 0, abar.pointer, s[k - 1])
                    db[k - 2].withUnsafeMutableBufferPointer { b̄ in
                        let width = s[k - 1], zp = zbar[k - 2]!.pointer
                        Parallel.columns(width, height: batch) { c in
                            let o = c.lowerBound
                            nk_tanh_adjoint(abar.pointer + o, a[k - 2].pointer + o, zp + o, b̄.baseAddress! + o, batch, c.count, width)
                        }
                    }
                    zbar[k - 2] = abar
                } else if dx != nil {
                    dx!.withUnsafeMutableBufferPointer { out in
                        gemm(false, true, batch, s[0], s[1], zk.pointer, s[1], W[0], s[1], 0, out.baseAddress!, s[0])
                    }
                }
                zbar[k - 1] = nil
            }
        }
        var out: [Tensor?] = [dx.map { Tensor(shape: [batch, s[0]], storage: $0) }]
        for k in 1...L {
            out.append(need[2 * k - 1] ? Tensor(shape: [s[k - 1], s[k]], storage: dW[k - 1]) : nil)
            out.append(need[2 * k] ? Tensor(shape: [s[k]], storage: db[k - 1]) : nil)
        }
        out.append(need[2 * L + 1] ? Tensor(shape: [s[L], 1], storage: dw) : nil)
        out.append(nil)
        return out
    }
}
