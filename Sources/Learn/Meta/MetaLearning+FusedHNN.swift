import CKernels
import COpenBLAS
import Symbolic
import Foundation

// MAML's meta-gradient for an HNN with a tanh MLP and one inner step, written out by hand.
//
// The graph route builds, per task, the support loss's gradient as a recorded graph (the fused
// ∇ₓH falls back to its composition when differentiated twice) and differentiates through it:
// hundreds of small nodes. Here, with θ = (W_k, b_k, w) and one task's support set:
//
//   G_s = ∇_θ L_s(θ)                      a forward pass, ∇ₓH, the log-cosh loss, the pullback
//   θ′  = θ − α G_s
//   G_q = ∇_θ′ L_q(θ′)                    the same at θ′ on the query set
//   ∇_θ L_q(θ′) = G_q − α H_s(θ) G_q      second order: H_s G_q by forward mode through the
//                                          support's pass and pullback along v = G_q
//
// (first order drops the last term). Notation as in MLP+InputGradient.swift, for hidden layers
// k = 1…L, a₀ = x, d_k = 1 − a_k², the field f = g S (S = Ωᵀ) and the loss Σ log cosh(f − ẋ):
//
//   forward   z_k = a_{k−1}W_k + b_k, a_k = tanh z_k;  u_L = wᵀ, e_k = u_k ⊙ d_k, u_{k−1} = e_k W_kᵀ
//   loss      r = u₀S − ẋ, t = tanh r, ū₀ = t Sᵀ
//   pullback  up:   ē_k = ū_{k−1}W_k, W̄_k = ū_{k−1}ᵀe_k, ū_k = ē_k ⊙ d_k, ζ_k = −2 ē_k ⊙ a_k ⊙ e_k
//                   (w̄ = Σ_rows ū_L)
//             down: z̄_L = ζ_L; ā_{k−1} = z̄_k W_kᵀ, z̄_{k−1} = ζ_{k−1} + ā_{k−1} ⊙ d_{k−1};
//                   W̄_k += a_{k−1}ᵀz̄_k, b̄_k = Σ_rows z̄_k
//
// and the tangent of every line along v = (Ẇ_k, ḃ_k, ẇ), with ḋ_k = −2 a_k ⊙ ȧ_k:
//
//   ż_k = ȧ_{k−1}W_k + a_{k−1}Ẇ_k + ḃ_k, ȧ_k = d_k ⊙ ż_k;  u̇_L = ẇᵀ, ė_k = u̇_k ⊙ d_k + u_k ⊙ ḋ_k,
//   u̇_{k−1} = ė_k W_kᵀ + e_k Ẇ_kᵀ;  ṫ = (1 − t²) ⊙ (u̇₀S), ū̇₀ = ṫ Sᵀ;
//   ē̇_k = ū̇_{k−1}W_k + ū_{k−1}Ẇ_k, Ẇ̄_k = ū̇_{k−1}ᵀe_k + ū_{k−1}ᵀė_k, ū̇_k = ē̇_k ⊙ d_k + ē_k ⊙ ḋ_k,
//   ζ̇_k = −2(ē̇_k ⊙ a_k ⊙ e_k + ē_k ⊙ ȧ_k ⊙ e_k + ē_k ⊙ a_k ⊙ ė_k), ẇ̄ = Σ_rows ū̇_L;
//   z̄̇_{k−1} = ζ̇_{k−1} + (z̄̇_k W_kᵀ + z̄_k Ẇ_kᵀ) ⊙ d_{k−1} + ā_{k−1} ⊙ ḋ_{k−1},
//   Ẇ̄_k += ȧ_{k−1}ᵀz̄_k + a_{k−1}ᵀz̄̇_k, ḃ̄_k = Σ_rows z̄̇_k.
//
// Tested against the graph route and against finite differences (MetaLearningTests).

extension MetaLearning {
    /// Tests set this to false to compare the fused route with the graph route.
    nonisolated(unsafe) static var useFusedRoute = true

    /// The fused route applies: an HNN whose H is a tanh MLP with hidden layers and one output,
    /// one inner step.
    static func fusedNetwork(_ model: any FieldModel, settings: Settings) -> (MLP, Tensor)? {
        guard useFusedRoute, settings.innerSteps == 1, let hnn = model as? HamiltonianNeuralNetwork else { return nil }
        let net = hnn.network
        guard net.activation == .tanh, net.sizes.count >= 3, net.sizes.last == 1,
              model.variables.count == net.parameters.count,
              zip(model.variables, net.parameters).allSatisfy({ $0.shape == $1.shape }) else { return nil }
        return (net, hnn.symplecticTranspose.value)
    }

    /// One task's query loss at θ′ and its contribution to the meta-gradient.
    private static func fusedTask(_ sizes: [Int], _ S: [Double], _ params: [[Double]], _ task: Task, _ settings: Settings) throws -> (Double, [[Double]]) {
        let α = settings.innerLearningRate
        let support = TanhHNNPass(sizes: sizes, parameters: params, x: task.supportX.storage, dx: task.supportDX.storage, S: S)
        let gs = support.gradient
        // The inner step, guarded as `adapted` guards it.
        let size = sumOfSquares(params).squareRoot()
        let move = α * sumOfSquares(gs).squareRoot()
        let finite = support.loss.isFinite && gs.allSatisfy({ $0.allSatisfy(\.isFinite) })
        guard finite, move <= maximumRelativeStep * max(size, 1) else {
            let what = finite ? "would move the parameters by \(TextPrinter.format(move / max(size, 1), significantDigits: 3)) times their size" : "has a task loss of \(TextPrinter.format(support.loss, significantDigits: 4)) or a gradient that is not finite"
            throw NumericalProblem(message: "the inner step diverged: SGD step 1 of 1 \(what): lower innerlr: (now \(TextPrinter.format(α, significantDigits: 4)))")
        }
        let adapted = zip(params, gs).map { axpy(-α, $1, $0) }
        let query = TanhHNNPass(sizes: sizes, parameters: adapted, x: task.queryX.storage, dx: task.queryDX.storage, S: S)
        let g = query.gradient
        guard settings.secondOrder else { return (query.loss, g) }
        return (query.loss, zip(g, support.hessianProduct(g)).map { axpy(-α, $1, $0) })
    }

    /// What one task of the fused route holds at once, in bytes: the support pass (kept for
    /// the Hessian-vector product), the query pass and the product's tangents.
    public static func fusedTaskBytes(_ model: any FieldModel, task: Task, settings: Settings) -> Int? {
        guard let (net, S) = fusedNetwork(model, settings: settings) else { return nil }
        let params = model.variables.map(\.value.storage)
        let support = TanhHNNPass(sizes: net.sizes, parameters: params, x: task.supportX.storage, dx: task.supportDX.storage, S: S.storage)
        let adapted = zip(params, support.gradient).map { axpy(-settings.innerLearningRate, $1, $0) }
        let query = TanhHNNPass(sizes: net.sizes, parameters: adapted, x: task.queryX.storage, dx: task.queryDX.storage, S: S.storage)
        return support.storedBytes + query.storedBytes + (settings.secondOrder ? support.hessianProductAndBytes(query.gradient).bytes : 0)
    }

    /// `metaGradient` by the fused route: the same meta-loss and gradients (to rounding).
    static func fusedMetaGradient(_ net: MLP, symplecticTranspose S: Tensor, θ: [Variable], tasks: [Task],
                                  settings: Settings) throws -> (loss: Double, gradients: [Variable]) {
        Tensor.configureThreads
        let params = θ.map(\.value.storage)
        // Tasks are independent: they run on the worker pool, as many at once as it has
        // threads (each one's products serially), and each group's contributions are added in
        // task order before the next group starts: the bits do not depend on the split, and
        // the step holds one group's passes and gradients, not every task's.
        var total = 0.0
        var sum = θ.map { [Double](repeating: 0, count: $0.value.count) }
        let group = max(1, Parallel.count)
        for start in stride(from: 0, to: tasks.count, by: group) {
            let members = Array(tasks[start..<min(start + group, tasks.count)])
            var results = [Result<(Double, [[Double]]), Error>?](repeating: nil, count: members.count)
            results.withUnsafeMutableBufferPointer { out in
                Parallel.forEach(members.count) { i in
                    out[i] = Result { try fusedTask(net.sizes, S.storage, params, members[i], settings) }
                }
            }
            for r in results {
                let (loss, g) = try r!.get()
                total += loss
                for k in sum.indices { sum[k].withUnsafeMutableBufferPointer { s in g[k].withUnsafeBufferPointer { c in for i in s.indices { s[i] += c[i] } } } }
            }
        }
        return (total, zip(θ, sum).map { Variable(Tensor(shape: $0.shape, storage: $1)) })
    }
}

/// One set of points' forward pass, ∇ₓH, log-cosh loss and parameter gradient for a tanh HNN,
/// keeping what the Hessian-vector product reads. Row-major [rows, width] arrays.
struct TanhHNNPass {
    let sizes: [Int]            // s₀ = d, s₁…s_L, 1
    let n: Int
    let W: [[Double]]           // W₁…W_L, then w = W_{L+1} (s_L values)
    let Wt: [[Double]]          // W₁ᵀ…W_Lᵀ, made once for the products with them
    let x: [Double], S: [Double], St: [Double]
    var a: [[Double]] = []      // a[k − 1] = a_k
    var e: [[Double]] = []      // e[k − 1] = e_k
    var u: [[Double]] = []      // u[k] = u_k, k = 0…L−1 (u₀ = ∇ₓH)
    var t: [Double] = []        // tanh(r)
    var ubar: [[Double]] = []   // ubar[k] = ū_k, k = 0…L
    var ebar: [[Double]] = []   // ebar[k − 1] = ē_k
    var zbar: [[Double]] = []   // zbar[k − 1] = z̄_k (final)
    var abar: [[Double]] = []   // abar[k − 1] = ā_k (k < L)
    var loss = 0.0
    var gradient: [[Double]] = []   // (W̄₁, b̄₁, …, w̄, b̄_{L+1} = 0), the parameters' order

    var L: Int { sizes.count - 2 }
    func d(_ k: Int) -> [Double] { a[k - 1].map { 1 - $0 * $0 } }

    init(sizes: [Int], parameters: [[Double]], x: [Double], dx: [Double], S: [Double]) {
        self.sizes = sizes
        let L = sizes.count - 2, d0 = sizes[0]
        n = x.count / d0
        W = stride(from: 0, to: 2 * (L + 1), by: 2).map { parameters[$0] }
        Wt = (1...L).map { k in transposed(parameters[2 * (k - 1)], sizes[k - 1], sizes[k]) }
        self.x = x; self.S = S
        St = transposed(S, d0, d0)
        let b = stride(from: 1, to: 2 * L, by: 2).map { parameters[$0] }
        // Forward.
        var input = x
        for k in 1...L {
            var z = product(input, W[k - 1], n, sizes[k - 1], sizes[k])
            // In place through nk_bias_tanh: nk_tanh's vector loop refuses overlapping arrays
            // and runs element by element when its input is its output.
            z.withUnsafeMutableBufferPointer { zp in b[k - 1].withUnsafeBufferPointer { bp in
                nk_bias_tanh(zp.baseAddress!, bp.baseAddress!, n, sizes[k])
            } }
            a.append(z)
            input = z
        }
        // ∇ₓH: u_L = w in every row.
        u = [[Double]](repeating: [], count: L)
        e = [[Double]](repeating: [], count: L)
        var upper = repeatedRow(W[L], n)
        for k in stride(from: L, through: 1, by: -1) {
            let ak = a[k - 1]
            let ek = elementwise([upper, ak]) { p, o, n in nk_hnn_slope(p[0], p[1], o[0], n) }[0]
            e[k - 1] = ek
            upper = product(ek, Wt[k - 1], n, sizes[k], sizes[k - 1])
            u[k - 1] = upper
        }
        // Loss: r = u₀S − ẋ.
        var r = product(u[0], S, n, d0, d0)
        r.withUnsafeMutableBufferPointer { r in dx.withUnsafeBufferPointer { dx in for i in r.indices { r[i] -= dx[i] } } }
        t = [Double](unsafeUninitializedCapacity: r.count) { out, count in
            r.withUnsafeBufferPointer { nk_tanh($0.baseAddress!, out.baseAddress!, $0.count) }
            count = r.count
        }
        loss = r.reduce(0) { $0 + logCosh($1) }
        // Pullback.
        ubar = [product(t, St, n, d0, d0)]
        var dW = [[Double]](), zeta = [[Double]]()
        for k in 1...L {
            let eb = product(ubar[k - 1], W[k - 1], n, sizes[k - 1], sizes[k])
            ebar.append(eb)
            dW.append(product(ubar[k - 1], e[k - 1], sizes[k - 1], n, sizes[k], transposeA: true))
            let ak = a[k - 1], ek = e[k - 1]
            let out = elementwise([eb, ak, ek], outputs: 2) { p, o, n in nk_hnn_up(p[0], p[1], p[2], o[0], o[1], n) }
            ubar.append(out[0])
            zeta.append(out[1])
        }
        let dw = columnSums(ubar[L], n, sizes[L])
        zbar = [[Double]](repeating: [], count: L)
        abar = [[Double]](repeating: [], count: L)
        var db = [[Double]](repeating: [], count: L)
        zbar[L - 1] = zeta[L - 1]
        for k in stride(from: L, through: 1, by: -1) {
            let zk = zbar[k - 1]
            db[k - 1] = columnSums(zk, n, sizes[k])
            let below = k == 1 ? x : a[k - 2]
            addProduct(&dW[k - 1], below, zk, sizes[k - 1], n, sizes[k], transposeA: true)
            if k > 1 {
                let ab = product(zk, Wt[k - 1], n, sizes[k], sizes[k - 1])
                abar[k - 2] = ab
                zbar[k - 2] = elementwise([zeta[k - 2], ab, a[k - 2]]) { p, o, n in nk_hnn_down(p[0], p[1], p[2], nil, nil, o[0], n) }[0]
            }
        }
        for k in 0..<L { gradient.append(dW[k]); gradient.append(db[k]) }
        gradient.append(dw)
        gradient.append([0])
    }

    /// H v: the derivative of `gradient` along v (in the parameters' order), by forward mode.
    func hessianProduct(_ v: [[Double]]) -> [[Double]] { hessianProductAndBytes(v).product }

    /// Bytes of the arrays the pass keeps (what the Hessian-vector product reads).
    var storedBytes: Int { 8 * (x.count + t.count + [a, e, u, ubar, ebar, zbar, abar].joined().reduce(0) { $0 + $1.count }) }

    /// H v, and the bytes of the tangents it keeps until it returns.
    func hessianProductAndBytes(_ v: [[Double]]) -> (product: [[Double]], bytes: Int) {
        let d0 = sizes[0]
        let Wd = stride(from: 0, to: 2 * (L + 1), by: 2).map { v[$0] }
        let bd = stride(from: 1, to: 2 * L, by: 2).map { v[$0] }
        let Wdt = (1...L).map { k in transposed(Wd[k - 1], sizes[k - 1], sizes[k]) }
        // Forward tangents ȧ_k, ḋ_k.
        var ad = [[Double]](), dd = [[Double]]()
        for k in 1...L {
            let below = k == 1 ? x : a[k - 2]
            var z = product(below, Wd[k - 1], n, sizes[k - 1], sizes[k])
            if k > 1 { addProduct(&z, ad[k - 2], W[k - 1], n, sizes[k - 1], sizes[k]) }
            addRows(&z, bd[k - 1], n)
            let out = elementwise([z, a[k - 1]], outputs: 2) { p, o, n in nk_hnn_tangent(p[0], p[1], o[0], o[1], n) }
            ad.append(out[0])
            dd.append(out[1])
        }
        // ė_k and u̇_{k−1}, top down.
        var ed = [[Double]](repeating: [], count: L)
        var udUpper = repeatedRow(Wd[L], n)
        var uUpper = repeatedRow(W[L], n)
        var ud0 = [Double]()
        for k in stride(from: L, through: 1, by: -1) {
            let edk = elementwise([udUpper, a[k - 1], uUpper, dd[k - 1]]) { p, o, n in nk_hnn_slope_tangent(p[0], p[1], p[2], p[3], o[0], n) }[0]
            ed[k - 1] = edk
            var next = product(edk, Wt[k - 1], n, sizes[k], sizes[k - 1])
            addProduct(&next, e[k - 1], Wdt[k - 1], n, sizes[k], sizes[k - 1])
            if k > 1 { uUpper = u[k - 1]; udUpper = next } else { ud0 = next }
        }
        // ṫ and ū̇₀.
        var rd = product(ud0, S, n, d0, d0)
        rd.withUnsafeMutableBufferPointer { rd in t.withUnsafeBufferPointer { t in for i in rd.indices { rd[i] *= 1 - t[i] * t[i] } } }
        var ubd = product(rd, St, n, d0, d0)
        // Up.
        var dWd = [[Double]](), zetad = [[Double]]()
        var dwd = [Double]()
        for k in 1...L {
            var ebd = product(ubd, W[k - 1], n, sizes[k - 1], sizes[k])
            addProduct(&ebd, ubar[k - 1], Wd[k - 1], n, sizes[k - 1], sizes[k])
            var g = product(ubd, e[k - 1], sizes[k - 1], n, sizes[k], transposeA: true)
            addProduct(&g, ubar[k - 1], ed[k - 1], sizes[k - 1], n, sizes[k], transposeA: true)
            dWd.append(g)
            let out = elementwise([ebd, a[k - 1], e[k - 1], ebar[k - 1], ad[k - 1], dd[k - 1], ed[k - 1]], outputs: 2) { p, o, n in nk_hnn_up_tangent(p[0], p[1], p[2], p[3], p[4], p[5], p[6], o[0], o[1], n) }
            let next = out[0]
            zetad.append(out[1])
            if k == L { dwd = columnSums(next, n, sizes[L]) }
            ubd = next
        }
        // Down.
        var dbd = [[Double]](repeating: [], count: L)
        var zbd = zetad[L - 1]
        for k in stride(from: L, through: 1, by: -1) {
            dbd[k - 1] = columnSums(zbd, n, sizes[k])
            let below = k == 1 ? x : a[k - 2]
            addProduct(&dWd[k - 1], below, zbd, sizes[k - 1], n, sizes[k], transposeA: true)
            if k > 1 {
                addProduct(&dWd[k - 1], ad[k - 2], zbar[k - 1], sizes[k - 1], n, sizes[k], transposeA: true)
                var ab = product(zbd, Wt[k - 1], n, sizes[k], sizes[k - 1])
                addProduct(&ab, zbar[k - 1], Wdt[k - 1], n, sizes[k], sizes[k - 1])
                zbd = elementwise([zetad[k - 2], ab, a[k - 2], abar[k - 2], dd[k - 2]]) { p, o, n in nk_hnn_down(p[0], p[1], p[2], p[3], p[4], o[0], n) }[0]
            }
        }
        var out = [[Double]]()
        for k in 0..<L { out.append(dWd[k]); out.append(dbd[k]) }
        out.append(dwd)
        out.append([0])
        let kept = [ad, dd, ed, zetad, dWd, dbd].joined().reduce(0) { $0 + $1.count } + zbd.count + ubd.count
        return (out, 8 * kept)
    }
}

/// One or two arrays as long as the first input, written by `body` from raw pointers to the
/// inputs (no bounds or uniqueness checks in its loop).
@inline(__always)
private func elementwise(_ inputs: [[Double]], outputs: Int = 1,
                         _ body: ([UnsafePointer<Double>], [UnsafeMutablePointer<Double>], Int) -> Void) -> [[Double]] {
    precondition(outputs == 1 || outputs == 2)
    let n = inputs[0].count
    return withStoragePointers(ArraySlice(inputs)) { p in
        var second: [Double] = []
        let first = [Double](unsafeUninitializedCapacity: n) { b1, c1 in
            if outputs == 1 {
                body(p, [b1.baseAddress!], n)
            } else {
                second = [Double](unsafeUninitializedCapacity: n) { b2, c2 in
                    body(p, [b1.baseAddress!, b2.baseAddress!], n)
                    c2 = n
                }
            }
            c1 = n
        }
        return outputs == 1 ? [first] : [first, second]
    }
}

/// log cosh r = |r| + log(1 + e^(−2|r|)) − log 2, without overflow.
@inline(__always)
private func logCosh(_ r: Double) -> Double {
    let m = abs(r)
    return m + log1p(exp(-2 * m)) - 0.6931471805599453
}

/// op(A) op(B) for row-major arrays: [m, k] × [k, n] → [m, n], by `nk_small_gemm` (one fma chain
/// per element: the same bits on every CPU; at these sizes, 50 × 64 × 64 and smaller, OpenBLAS
/// spent about half its time packing its operands).
private func product(_ A: [Double], _ B: [Double], _ m: Int, _ k: Int, _ n: Int, transposeA: Bool = false, transposeB: Bool = false) -> [Double] {
    // β = 0: the product writes every element, so the array need not be zeroed first.
    [Double](unsafeUninitializedCapacity: m * n) { c, count in
        A.withUnsafeBufferPointer { a in B.withUnsafeBufferPointer { b in
            nk_small_gemm(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, a.baseAddress!, transposeA ? m : k, b.baseAddress!, transposeB ? k : n, 0, c.baseAddress!, n)
        } }
        count = m * n
    }
}

/// C += op(A) op(B), in place (β = 1).
private func addProduct(_ C: inout [Double], _ A: [Double], _ B: [Double], _ m: Int, _ k: Int, _ n: Int, transposeA: Bool = false, transposeB: Bool = false) {
    A.withUnsafeBufferPointer { a in B.withUnsafeBufferPointer { b in C.withUnsafeMutableBufferPointer { c in
        nk_small_gemm(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, a.baseAddress!, transposeA ? m : k, b.baseAddress!, transposeB ? k : n, 1, c.baseAddress!, n)
    } } }
}

private func addRows(_ z: inout [Double], _ b: [Double], _ n: Int) {
    let w = b.count
    z.withUnsafeMutableBufferPointer { z in b.withUnsafeBufferPointer { b in
        for r in 0..<n { for j in 0..<w { z[r * w + j] += b[j] } }
    } }
}

/// y + a x, elementwise.
private func axpy(_ a: Double, _ x: [Double], _ y: [Double]) -> [Double] {
    [Double](unsafeUninitializedCapacity: y.count) { out, count in
        x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in
            for i in 0..<y.count { out[i] = y[i] - (-a) * x[i] }
        } }
        count = y.count
    }
}

/// Σ of the squares of every array's elements (BLAS's dot products: only the inner step's
/// guard reads it).
private func sumOfSquares(_ arrays: [[Double]]) -> Double {
    arrays.reduce(0.0) { total, array in
        total + array.withUnsafeBufferPointer { cblas_ddot(Int32($0.count), $0.baseAddress, 1, $0.baseAddress, 1) }
    }
}

/// The transpose of a row-major rows × columns array.
private func transposed(_ m: [Double], _ rows: Int, _ columns: Int) -> [Double] {
    [Double](unsafeUninitializedCapacity: m.count) { out, count in
        m.withUnsafeBufferPointer { m in
            for i in 0..<rows { for j in 0..<columns { out[j * rows + i] = m[i * columns + j] } }
        }
        count = m.count
    }
}

/// `row` repeated `n` times, as an n × row.count array.
private func repeatedRow(_ row: [Double], _ n: Int) -> [Double] {
    [Double](unsafeUninitializedCapacity: n * row.count) { out, count in
        row.withUnsafeBufferPointer { row in
            for r in 0..<n { for j in 0..<row.count { out[r * row.count + j] = row[j] } }
        }
        count = n * row.count
    }
}

/// Each column summed over the rows in order from 0.
private func columnSums(_ m: [Double], _ rows: Int, _ columns: Int) -> [Double] {
    [Double](unsafeUninitializedCapacity: columns) { s, count in
        m.withUnsafeBufferPointer { nk_column_sums($0.baseAddress!, s.baseAddress!, rows, columns, columns) }
        count = columns
    }
}
