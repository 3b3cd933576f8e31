import CKernels

// ∇ₓ Σ_rows f(x) and m rows of the Hessian of a scalar softplus network, as one recorded
// operation: what a Lagrangian network's Euler–Lagrange equations read (the q̇ rows).
//
// As a chain of single operations that is three reverse passes over the network kept in the
// graph (the gradient, then one per row) and their reverse for training: hundreds of nodes and
// ~60 elementwise passes over [batch, hidden] tensors. Written out by hand it is one forward
// pass carrying m tangents (forward over reverse: the row i of the Hessian is the derivative of
// ∇ₓf along the unit vector of x_i), and its pullback. The value and its m tangents are
// stacked as (1 + m) blocks of rows, so each layer's products are one large product over
// (1 + m)·batch rows. For hidden layers k = 1…L with widths s_k, a₀ = x, output weights w,
// σ = softplus, s_k = σ′(z_k) the sigmoid, s2 = σ″ = s(1 − s), s3 = σ‴ = s2(1 − 2s):
//
//   forward     z_k = a_{k−1} W_k + b_k,  a_k = σ(z_k)
//   tangent t   ż₁ = row i_t of W₁ (every row),  ż_k = ȧ_{k−1} W_k,  ȧ_k = s_k ⊙ ż_k
//   gradient    u_L = wᵀ,  e_k = u_k ⊙ s_k,  u_{k−1} = e_k W_kᵀ,  value g = u₀
//   its tangent u̇_L = 0,  ė_k = u̇_k ⊙ s_k + u_k ⊙ s2_k ⊙ ż_k,  u̇_{k−1} = ė_k W_kᵀ,  row t = u̇₀
//
// The pullback, given ū₀ and ū̇₀ (blocks Ū₀), walks the gradient chain up (k = 1…L) and the
// forward chain down (k = L…1):
//
//   up     Ē_k = Ū_{k−1} W_k,  W̄_k += Ū_{k−1}ᵀ E_k,
//          ū_k = ē_k ⊙ s + Σ_t ē̇_t ⊙ s2 ⊙ ż_t,  ū̇_t = ē̇_t ⊙ s   (w̄ = Σ_rows ū_L at the top),
//          z̄_k = (ē ⊙ u + Σ_t ē̇_t ⊙ u̇_t) ⊙ s2 + (Σ_t ē̇_t ⊙ u ⊙ ż_t) ⊙ s3,  z̄̇_t = ē̇_t ⊙ u ⊙ s2
//   down   z̄_k += ā_k ⊙ s + (Σ_t ā̇_t ⊙ ż_t) ⊙ s2,  z̄̇_t += ā̇_t ⊙ s   (below the top),
//          W̄_k += A_{k−1}ᵀ Z̄_k,  b̄_k = Σ_rows z̄_k,  Ā_{k−1} = Z̄_k W_kᵀ   (k ≥ 2),
//          W̄₁ += xᵀ z̄₁,  W̄₁[i_t] += Σ_rows z̄̇_t,  b̄₁ = Σ_rows z̄₁,  x̄ = z̄₁ W₁ᵀ
//
// The elementwise steps are the C kernels nk_softplus_tangent_* (CKernels.h). As with
// `MLP.inputGradient`, the pullback is not itself recorded: a caller that differentiates
// through it gets the composed graph's derivative, exact at every order.

extension MLP {
    /// ∇ₓ Σ_rows f(x) [batch, d] and the Hessian rows ∂(∂f/∂x_i)/∂x for i in `rows`
    /// [batch, rows.count, d] at θ′ = `parameters`, as `Derivatives.hessianRows` gives them. The
    /// gradient is always recorded; the rows are differentiable in x and θ′ with `createGraph`.
    /// One fused operation for softplus networks with hidden layers and one output; otherwise
    /// reverse mode through the network's graph.
    public func hessianRows(_ x: Variable, parameters θ: [Variable], rows: Range<Int>,
                            createGraph: Bool) -> (gradient: Variable, rows: Variable) {
        checkSubstitute(θ)
        guard activation == .softplus, sizes.count >= 3, sizes.last == 1, x.value.rank == 2, x.shape[1] == sizes[0],
              x.shape[0] > 0, !rows.isEmpty, rows.lowerBound >= 0, rows.upperBound <= sizes[0] else {
            return Derivatives.hessianRows({ self($0, parameters: θ) }, at: x, rows: rows, createGraph: createGraph)
        }
        let batch = x.shape[0], d = sizes[0], m = rows.count
        let pass = SoftplusHessianRows(sizes: sizes, parameters: θ, x: x.value, rows: rows)
        let parents = [x] + θ
        // Recorded even without `createGraph`: the gradient stays differentiable, as on the
        // composed route (the rows are then cut from the graph).
        let stacked = Recording.with(true) {
            Variable.record(pass.value, parents, savedBytes: pass.savedBytes) { ḡ, need in
                if Recording.isOn {
                    return self.differentiatedThroughComposition(parents: parents, upstream: ḡ, need: need) { x, θ in
                        self.composedHessianStack(x, parameters: θ, rows: rows)
                    }
                }
                return pass.pullback(ḡ.value, need: need).map { $0.map { Variable($0) } }
            }
        }
        return Recording.with(true) {
            let g = stacked.slice(axis: 1, 0..<1).reshaped([batch, d])
            return (g, createGraph ? stacked.slice(axis: 1, 1..<(1 + m)) : Variable(pass.value.slice(axis: 1, 1..<(1 + m))))
        }
    }

    /// [batch, 1 + m, d]: ∇ₓ Σ_rows f, then the Hessian rows, through the network's own graph.
    func composedHessianStack(_ x: Variable, parameters θ: [Variable], rows: Range<Int>) -> Variable {
        let (g, h) = Derivatives.hessianRows({ self($0, parameters: θ) }, at: x, rows: rows, createGraph: true)
        let batch = x.shape[0], d = x.shape[1]
        return Recording.with(true) { Variable.concatenate([g.reshaped([batch, 1, d]), h], axis: 1) }
    }
}

/// Owned scratch memory for one intermediate of the fused operation (freed with the graph).
private final class Block {
    let pointer: UnsafeMutablePointer<Double>
    let count: Int
    init(_ count: Int) { pointer = .allocate(capacity: max(count, 1)); self.count = count }
    deinit { pointer.deallocate() }
}

/// Σ_rows of a row-major rows × columns matrix at `p`.
private func columnSums(_ p: UnsafePointer<Double>, rows: Int, columns: Int) -> [Double] {
    [Double](unsafeUninitializedCapacity: columns) { o, n in
        let large = rows * columns >= Parallel.elementwiseMinimum
        Parallel.ranges(columns, minimum: large ? 16 : .max, align: 8) { r in
            nk_column_sums(p + r.lowerBound, o.baseAddress! + r.lowerBound, rows, r.count, columns)
        }
        n = columns
    }
}

/// The forward pass of `MLP.hessianRows` for softplus layers, keeping what its pullback reads.
/// Every per-layer buffer holds (1 + m) blocks of [batch, s_k]: the value, then the tangents.
private struct SoftplusHessianRows {
    let sizes: [Int]            // s₀ = inputs, s₁…s_L hidden, 1
    let batch: Int
    let directions: [Int]       // i_t: the rows of the Hessian asked for
    let x: Tensor
    let weights: [Tensor]       // W₁…W_L, then w = W_{L+1}
    let z: [Block]              // z[k − 1]: [z_k; ż_k] (the value block is not read again)
    let s: [Block]              // s[k − 1]: σ′(z_k) [batch, s_k]
    let a: [Block]              // a[k − 1]: [a_k; ȧ_k], k < L
    let e: [Block]              // e[k − 1]: [e_k; ė_k]
    let u: [Block]              // u[k − 1]: [u_k; u̇_k], 1 ≤ k < L
    let value: Tensor           // [batch, 1 + m, s₀]: the gradient, then the rows

    var hidden: Int { sizes.count - 2 }
    var m: Int { directions.count }
    var savedBytes: Int { 8 * (z + s + a + e + u).map(\.count).reduce(0, +) }

    init(sizes: [Int], parameters: [Variable], x: Tensor, rows: Range<Int>) {
        Tensor.configureThreads
        let batch = x.shape[0], L = sizes.count - 2, m = rows.count, blocks = 1 + m
        let weights = stride(from: 0, to: parameters.count, by: 2).map { parameters[$0].value }
        let biases = stride(from: 1, to: parameters.count, by: 2).map { parameters[$0].value.storage }
        var z: [Block] = [], s: [Block] = [], a: [Block] = [], e = [Block?](repeating: nil, count: L), u: [Block] = []
        var out = [Double](repeating: 0, count: batch * blocks * sizes[0])
        withStoragePointers(ArraySlice([x.storage] + weights.map(\.storage) + biases)) { p in
            let W = Array(p[1...(L + 1)]), b = Array(p[(L + 2)...])
            let s0 = sizes[0], s1 = sizes[1]
            // z₁ = x W₁ (bias in the activation's kernel); ż₁ = row i_t of W₁ in every row.
            let z1 = Block(blocks * batch * s1)
            gemm(false, false, batch, s1, s0, p[0], s0, W[0], s1, 0, z1.pointer, s1)
            for (t, i) in rows.enumerated() {
                let base = z1.pointer + (t + 1) * batch * s1
                for r in 0..<batch { (base + r * s1).update(from: W[0] + i * s1, count: s1) }
            }
            z.append(z1)
            for k in 1...L {
                let width = sizes[k], block = batch * width
                let ak = Block(blocks * block), sk = Block(block)
                Parallel.rows(batch, width: width * blocks) { r in
                    let o = r.lowerBound * width
                    nk_softplus_tangent_forward(z[k - 1].pointer + o, b[k - 1], ak.pointer + o, sk.pointer + o, r.count, width, m, block)
                }
                s.append(sk)
                if k < L {
                    a.append(ak)
                    let next = Block(blocks * batch * sizes[k + 1])
                    gemm(false, false, blocks * batch, sizes[k + 1], width, ak.pointer, width, W[k], sizes[k + 1], 0, next.pointer, sizes[k + 1])
                    z.append(next)
                }
            }
            // The gradient chain and its tangents, top down; u_{k−1} = e_k W_kᵀ over every block.
            var upper: Block? = nil
            for k in stride(from: L, through: 1, by: -1) {
                let width = sizes[k], block = batch * width
                let ek = Block(blocks * block)
                let uk = upper
                Parallel.rows(batch, width: width * blocks) { r in
                    let o = r.lowerBound * width
                    nk_softplus_tangent_gradient(uk.map { UnsafePointer($0.pointer + o) }, W[L], s[k - 1].pointer + o, z[k - 1].pointer + o,
                                                 ek.pointer + o, r.count, width, m, block)
                }
                e[k - 1] = ek
                if k > 1 {
                    let below = Block(blocks * batch * sizes[k - 1])
                    gemm(false, true, blocks * batch, sizes[k - 1], width, ek.pointer, width, W[k - 1], width, 0, below.pointer, sizes[k - 1])
                    u.insert(below, at: 0)
                    upper = below
                } else {
                    let below = Block(blocks * batch * s0)
                    gemm(false, true, blocks * batch, s0, width, ek.pointer, width, W[0], width, 0, below.pointer, s0)
                    // Blocks [1 + m][batch][s₀] → [batch][1 + m][s₀].
                    for t in 0..<blocks {
                        for r in 0..<batch {
                            for c in 0..<s0 { out[(r * blocks + t) * s0 + c] = below.pointer[(t * batch + r) * s0 + c] }
                        }
                    }
                }
            }
        }
        self.sizes = sizes; self.batch = batch; self.directions = Array(rows); self.x = x; self.weights = weights
        self.z = z; self.s = s; self.a = a; self.e = e.map { $0! }; self.u = u
        value = Tensor(shape: [batch, blocks, sizes[0]], storage: out)
    }

    /// Gradients for [x, W₁, b₁, …, W_{L+1}, b_{L+1}] given the upstream gradient
    /// [batch, 1 + m, s₀] (nil where not needed; the output bias changes nothing here).
    func pullback(_ upstream: Tensor, need: [Bool]) -> [Tensor?] {
        let L = hidden, sz = sizes, blocks = 1 + m
        var dW = (1...L).map { [Double](repeating: 0, count: sz[$0 - 1] * sz[$0]) }
        var db = (1...L).map { [Double](repeating: 0, count: sz[$0]) }
        var dw = [Double](repeating: 0, count: sz[L])
        var dx: [Double]? = need[0] ? [Double](repeating: 0, count: batch * sz[0]) : nil
        // Ū₀ in blocks.
        let ubar0 = Block(blocks * batch * sz[0])
        upstream.storage.withUnsafeBufferPointer { g in
            for t in 0..<blocks {
                for r in 0..<batch {
                    for c in 0..<sz[0] { ubar0.pointer[(t * batch + r) * sz[0] + c] = g[(r * blocks + t) * sz[0] + c] }
                }
            }
        }
        withStoragePointers(ArraySlice([x.storage] + weights.map(\.storage))) { p in
            let X = p[0], W = Array(p[1...])
            var zbar = [Block?](repeating: nil, count: L)
            var ubar = ubar0
            // Up the gradient chain.
            for k in 1...L {
                let width = sz[k], below = sz[k - 1], block = batch * width
                let ebar = Block(blocks * block)
                gemm(false, false, blocks * batch, width, below, ubar.pointer, below, W[k - 1], width, 0, ebar.pointer, width)
                dW[k - 1].withUnsafeMutableBufferPointer { d in
                    gemm(true, false, below, width, blocks * batch, ubar.pointer, below, e[k - 1].pointer, width, 0, d.baseAddress!, width)
                }
                let top = k == L
                let next = Block(top ? block : blocks * block), zk = Block(blocks * block)
                let uk: Block? = top ? nil : u[k - 1]
                Parallel.rows(batch, width: width * blocks) { r in
                    let o = r.lowerBound * width
                    nk_softplus_tangent_up(ebar.pointer + o, uk.map { UnsafePointer($0.pointer + o) }, W[L], s[k - 1].pointer + o,
                                           z[k - 1].pointer + o, next.pointer + o, zk.pointer + o, r.count, width, m, block)
                }
                zbar[k - 1] = zk
                if top { dw = columnSums(next.pointer, rows: batch, columns: width) }
                ubar = next
            }
            // Down the forward chain.
            var abar: Block? = nil
            for k in stride(from: L, through: 1, by: -1) {
                let width = sz[k], below = sz[k - 1], block = batch * width
                let zk = zbar[k - 1]!
                if let ā = abar {
                    Parallel.rows(batch, width: width * blocks) { r in
                        let o = r.lowerBound * width
                        nk_softplus_tangent_down(ā.pointer + o, s[k - 1].pointer + o, z[k - 1].pointer + o, zk.pointer + o, r.count, width, m, block)
                    }
                }
                db[k - 1] = columnSums(zk.pointer, rows: batch, columns: width)
                if k > 1 {
                    dW[k - 1].withUnsafeMutableBufferPointer { d in
                        gemm(true, false, below, width, blocks * batch, a[k - 2].pointer, below, zk.pointer, width, 1, d.baseAddress!, width)
                    }
                    let next = Block(blocks * batch * below)
                    gemm(false, true, blocks * batch, below, width, zk.pointer, width, W[k - 1], width, 0, next.pointer, below)
                    abar = next
                } else {
                    dW[0].withUnsafeMutableBufferPointer { d in
                        gemm(true, false, below, width, batch, X, below, zk.pointer, width, 1, d.baseAddress!, width)
                        for (t, i) in directions.enumerated() {
                            let sums = columnSums(zk.pointer + (t + 1) * block, rows: batch, columns: width)
                            for c in 0..<width { d[i * width + c] += sums[c] }
                        }
                    }
                    if dx != nil {
                        dx!.withUnsafeMutableBufferPointer { out in
                            gemm(false, true, batch, below, width, zk.pointer, width, W[0], width, 0, out.baseAddress!, below)
                        }
                    }
                }
                zbar[k - 1] = nil
            }
        }
        var out: [Tensor?] = [dx.map { Tensor(shape: [batch, sz[0]], storage: $0) }]
        for k in 1...L {
            out.append(need[2 * k - 1] ? Tensor(shape: [sz[k - 1], sz[k]], storage: dW[k - 1]) : nil)
            out.append(need[2 * k] ? Tensor(shape: [sz[k]], storage: db[k - 1]) : nil)
        }
        out.append(need[2 * L + 1] ? Tensor(shape: [sz[L], 1], storage: dw) : nil)
        out.append(nil)
        return out
    }
}
