import Foundation
import CKernels
import Dynamics
import Symbolic

/// Bondesan & Lamacraft's deep symplectic flow (`flow`): a canonical map x = (q, p) ↦ z = (q̂, p̂)
/// trained so that every trajectory of an integrable system goes to circles in each (q̂_k, p̂_k)
/// plane. Then I_k = (q̂_k² + p̂_k²)/2 are its actions and φ_k = atan2(p̂_k, q̂_k) its angles.
///
/// It is m blocks, each (paper section 3.1, appendix C, the authors' order):
/// 1. zero-center: x − μ + β. μ is the batch mean in training and a moving average of the batch
///    means at test time; β is learned. It translates and never scales, so it stays symplectic.
/// 2. linear, in pre-Iwasawa form S = N·A·K:
///    - K: diagonal phases z ↦ e^{iφ}z on z = q + ip, then r Householder reflections
///      z ↦ z − 2v(v†z)/|v|² with v = a + ib ∈ ℂⁿ: unitary, so orthogonal and symplectic.
///      The r reflection vectors start equal, so for even r their product starts as the identity.
///    - A: q ↦ e^ℓ q, p ↦ e^{−ℓ} p (L = e^ℓ, so L stays positive);
///    - N: p ↦ p + M q, M diagonal.
/// 3. symplectic additive coupling: p ↦ p − NN(q), NN the irrotational MLP
///    NN(u) = W tanh(w₂ ⊙ tanh(Wᵀu + b₁) + b₂) + b₃ (appendix A: W₃ = W₁ᵀ, W₂ diagonal),
///    whose Jacobian W D₂ diag(w₂) D₁ Wᵀ is symmetric, so NN = ∇V and the shear is symplectic.
///    With `couplings: 1` the blocks alternate it with its mirror q ↦ q + NN(p); with 2 each block
///    has both (the benchmark workload's default).
///
/// Loss `circles` (eq. 14) on a batch x [B, τ, d] of B trajectories' τ points:
/// ℓ = mean over (b, k, i) of (r_{b,k,i} − r_{b,k+1,i})², r = q̂_i² + p̂_i², k + 1 taken cyclically
/// (the authors' roll). The points are drawn in random order, so neighbours are any two points of
/// one trajectory, and ℓ = 0 exactly when every trajectory lies on circles.
///
/// The forward pass, the loss and their pullback are written out by hand (the couplings in C,
/// over blocks of rows on every core): the loss is one recorded operation whose pullback gives
/// θ's gradient. That pullback is not itself recorded, so a flow's gradient cannot be
/// differentiated again (no MAML over flows).
///
/// The moving averages μ are stored with θ, as the last tensor `centers` [m, d + 1]: each row is
/// a block's μ and, last, how many batches it averages. Its gradient is zero, so Adam leaves it
/// alone; a training step (recording, at the model's own θ) updates it in place, with weight
/// 1/k for the k-th batch up to the 100th and 0.01 after (an exponential average, decay 0.99,
/// that does not start from zero).
///
/// Loss `dkdphi` (appendix D.1 in its simplest form: one Liouville–Arnold torus, the Dirac
/// measure in place of the exponential one): on a batch of points z of the latent torus
/// I_k = `actions`_k, φ uniform, ℓ = mean over the points of Σ_k (∂K/∂φ_k)² with K = H ∘ T⁻¹ the
/// data's H in the flow's coordinates. Since (I_k, φ_k) are canonical, ∂K/∂φ_k = dI_k/dt along
/// H's flow, and that is what is computed: x = T⁻¹(z), and I_k(T(x ± ε X_H(x))) by a central
/// difference, ε X_H(x) of length 10⁻⁴ max(1, |x|) (exact to O(ε²); a test checks the identity
/// against the difference quotient of K in φ). The points x are drawn through T⁻¹ at the
/// current θ and then held fixed: the gradient is that of the forward map at them, which needs
/// θ's first derivatives only. It is a semi-gradient (the points' own change with θ is left
/// out): it vanishes with the full gradient where ℓ = 0, every rate zero, and may differ
/// elsewhere. ℓ = 0 when H is constant on the torus's image, a Lagrangian torus, which is then
/// invariant under H's flow.
/// No trajectory enters: the data gives its system (H) and dimension. The zero-center layers
/// keep their moving averages (0 for a fresh flow: they are translations by the offsets),
/// the same map both ways.
///
/// For eq. 14, `losses` always centers on the batch (training mode), so the train and test losses that
/// training reports are eq. 14 as trained; `circleLoss(_:centering: .moving)`, which `evaluate`
/// prints, is the test-time figure.
public final class SymplecticFlow: CanonicalMapModel {
    public enum Loss: String, CaseIterable, Sendable {
        /// Eq. 14: trajectories to circles.
        case circles
        /// Appendix D.1: ∂K/∂φ = 0 on one latent torus, from H alone.
        case dkdphi
    }

    public let dimension: Int
    public let blocks: Int, hidden: Int, reflections: Int, couplings: Int
    /// τ: points of each trajectory in one term of the loss.
    public let points: Int
    public let loss: Loss
    /// The latent torus of the `dkdphi` loss: I_k for each plane k.
    public let actions: [Double]
    /// H's field for the `dkdphi` loss: the data's system, set when a batch source is made for
    /// a dataset (`batchSource(for:)`).
    var field: HamiltonianVectorField?
    let θ: [Variable]

    public init(dimension: Int, blocks: Int = 4, hidden: Int = 512, reflections: Int = 2, couplings: Int = 1, points: Int = 128,
                loss: Loss = .circles, actions: [Double] = [1], seed: UInt64) {
        let n = dimension / 2
        precondition(dimension % 2 == 0 && dimension > 0 && blocks > 0 && hidden > 0 && reflections > 0 && (1...2).contains(couplings) && points > 1)
        precondition((actions.count == 1 || actions.count == n) && actions.allSatisfy { $0 > 0 && $0.isFinite })
        Tensor.configureThreads
        self.dimension = dimension
        self.blocks = blocks; self.hidden = hidden; self.reflections = reflections; self.couplings = couplings
        self.points = points; self.loss = loss
        self.actions = actions.count == n ? actions : Array(repeating: actions[0], count: n)
        var rng = SeededGenerator(seed: seed)
        func normal(_ shape: [Int], _ sd: Double) -> Variable {
            Variable(Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in rng.normal() * sd }), requiresGradient: true)
        }
        func zeros(_ shape: [Int]) -> Variable { Variable(Tensor.zeros(shape), requiresGradient: true) }
        var θ: [Variable] = []
        for _ in 0..<blocks {
            θ.append(zeros([1, dimension]))                      // offset β
            θ.append(normal([1, n], 1))                          // phases φ
            let v = (0..<(2 * n)).map { _ in rng.normal() * (2 / Double(2 + n)).squareRoot() }
            θ.append(Variable(Tensor(shape: [reflections, 2 * n], storage: Array((0..<reflections).map { _ in v }.joined())), requiresGradient: true))
            θ.append(zeros([1, n]))                              // ℓ = log L
            θ.append(zeros([1, n]))                              // M
            for _ in 0..<couplings {
                θ.append(Variable(Initializer.orthogonal.matrix(rows: n, columns: hidden, &rng), requiresGradient: true))
                θ.append(normal([1, hidden], 1 / Double(hidden).squareRoot()))   // b1
                θ.append(normal([1, hidden], 1 / Double(hidden).squareRoot()))   // w2
                θ.append(normal([1, hidden], 1 / Double(hidden).squareRoot()))   // b2
                θ.append(zeros([1, n]))                                          // b3
            }
        }
        θ.append(zeros([blocks, dimension + 1]))
        self.θ = θ
    }

    public var kind: String { "flow" }
    var pairs: Int { dimension / 2 }
    var perBlock: Int { 5 + 5 * couplings }

    public var spec: ModelSpec {
        ModelSpec([.init("dimension", String(dimension)), .init("blocks", String(blocks)), .init("hidden", String(hidden)),
                   .init("reflections", String(reflections)), .init("couplings", String(couplings)), .init("points", String(points)),
                   .init("loss", loss.rawValue)] + (loss == .dkdphi ? [.init("actions", actions.map { "\($0)" }.joined(separator: ","))] : []))
    }

    public var architectureDescription: String {
        "\(blocks) blocks of (zero-center, linear N·A·K with \(reflections) reflections, \(couplings == 1 ? "one coupling" : "two couplings") of width \(hidden)), dimension \(dimension)"
            + (loss == .dkdphi ? "; trained on the latent torus I = (\(actions.map { "\($0)" }.joined(separator: ", ")))" : "")
    }

    /// The names and shapes of θ for an architecture, in order.
    static func parameterShapes(dimension d: Int, blocks: Int, hidden w: Int, reflections r: Int, couplings: Int) -> [(name: String, shape: [Int])] {
        let n = d / 2
        var out: [(String, [Int])] = []
        for b in 1...blocks {
            out += [("block\(b).offset", [1, d]), ("block\(b).phases", [1, n]), ("block\(b).reflections", [r, 2 * n]),
                    ("block\(b).scale", [1, n]), ("block\(b).shear", [1, n])]
            for c in 1...couplings {
                let p = "block\(b).coupling\(c)."
                out += [(p + "weight", [n, w]), (p + "bias1", [1, w]), (p + "diagonal", [1, w]), (p + "bias2", [1, w]), (p + "bias3", [1, n])]
            }
        }
        return out + [("centers", [blocks, d + 1])]
    }

    public var parameters: [(name: String, value: Variable)] {
        zip(Self.parameterShapes(dimension: dimension, blocks: blocks, hidden: hidden, reflections: reflections, couplings: couplings).map(\.name), θ).map { ($0, $1) }
    }

    public var lossNames: [String] { [loss.rawValue] }

    public var latentNames: [String] { (1...pairs).map { "I\($0)" } + (1...pairs).map { "phi\($0)" } }
    public var conservedNames: [String] { (1...pairs).map { "I\($0)" } }
    /// The actions are identified from their values (`LatentModel`).
    public var identifiesConservedDirectly: Bool { true }

    public func copy() -> SymplecticFlow {
        let other = SymplecticFlow(dimension: dimension, blocks: blocks, hidden: hidden, reflections: reflections, couplings: couplings,
                                   points: points, loss: loss, actions: actions, seed: 0)
        for (p, q) in zip(other.θ, θ) { p.value = q.value }
        other.field = field
        return other
    }

    public func outputProblem(on batch: Batch) -> String? { nil }

    public func trainingCost(rows: Int) -> TrainingCost {
        Self.cost(dimension: dimension, blocks: blocks, hidden: hidden, reflections: reflections, couplings: couplings, rows: rows)
    }

    /// θ's size × rows: each parameter of a coupling costs a few multiply-adds per row forward
    /// and back, as an MLP's does.
    static func cost(dimension: Int, blocks: Int, hidden: Int, reflections: Int, couplings: Int, rows: Int) -> TrainingCost {
        var cost = TrainingCost(dimension: dimension, hidden: hidden, layers: 1, rows: rows)
        cost.parameters = parameterShapes(dimension: dimension, blocks: blocks, hidden: hidden, reflections: reflections, couplings: couplings)
            .reduce(0) { $0 + $1.shape.reduce(1, *) }
        return cost
    }

    /// Points of trajectories (eq. 14), or of the latent torus with the data's H (`dkdphi`, which
    /// keeps that H's field for its loss).
    public func batchSource(for data: Dataset) -> any BatchSource {
        guard loss == .dkdphi else { return TrajectoryPoints(data, points: points) }
        let source = TorusPoints(data, actions: actions)
        field = try? source.field.get()
        return source
    }

    // MARK: The map

    /// How the zero-center layers find μ: the batch's column means (training) or the moving
    /// averages (test time, and the map as a function of one state).
    public enum Centering { case batch, moving }

    /// The Jacobian ∂T/∂x at one state (μ the moving averages), by one pullback per output:
    /// exact to rounding. Row k is ∇z_k.
    public func jacobian(at x: [Double]) -> [[Double]] {
        let values = θ.map(\.value)
        var z = x
        let saved = run(&z, rows: 1, values, centering: .moving, saving: true)
        return (0..<dimension).map { k in
            var g = [Double](repeating: 0, count: dimension)
            g[k] = 1
            _ = pullback(&g, rows: 1, values, inputs: saved.inputs, hidden: saved.hidden, centering: .moving)
            return g
        }
    }

    /// z = T(x) for rows of x [rows, d] at the model's parameters, μ the moving averages.
    public func forward(_ x: Tensor) -> Tensor {
        let values = θ.map(\.value)
        var z = x.storage
        run(&z, rows: x.shape[0], values, centering: .moving, saving: false)
        return Tensor(shape: x.shape, storage: z)
    }

    /// The states after the first k blocks, for k = 0…m (μ the moving averages): how the flow
    /// moves the data block by block (the paper's figure 2).
    public func stages(_ x: Tensor) -> [Tensor] {
        let values = θ.map(\.value)
        return (0...blocks).map { k in
            var z = x.storage
            run(&z, rows: x.shape[0], values, centering: .moving, saving: false, blocks: k)
            return Tensor(shape: x.shape, storage: z)
        }
    }

    /// x = T⁻¹(z): every layer undone in reverse order, exact to rounding.
    public func inverse(_ z: Tensor) -> Tensor {
        var x = z.storage
        invert(&x, rows: z.shape[0], θ.map(\.value))
        return Tensor(shape: z.shape, storage: x)
    }

    /// T⁻¹ on rows of x in place, μ the moving averages.
    func invert(_ x: inout [Double], rows: Int, _ values: [Tensor]) {
        let d = dimension, n = pairs
        x.withUnsafeMutableBufferPointer { buffer in
            let x = buffer.baseAddress!
            for b in (0..<blocks).reversed() {
                let base = b * perBlock
                for (c, kind) in couplingKinds(b).enumerated().reversed() {
                    couple(x, rows: rows, kind, values, base + 5 + 5 * c, inverse: true)
                }
                values[base + 4].storage.withUnsafeBufferPointer { M in
                    for r in 0..<rows { for i in 0..<n { x[r * d + n + i] -= M[i] * x[r * d + i] } }
                }
                values[base + 3].storage.withUnsafeBufferPointer { l in
                    for r in 0..<rows { for i in 0..<n { x[r * d + i] *= exp(-l[i]); x[r * d + n + i] *= exp(l[i]) } }
                }
                for j in (0..<reflections).reversed() { reflect(x, rows: rows, values[base + 2].storage, j) }
                rotate(x, rows: rows, values[base + 1].storage, sign: -1)
                let centers = values[blocks * perBlock].storage, offset = values[base].storage
                for r in 0..<rows { for i in 0..<d { x[r * d + i] += centers[b * (d + 1) + i] - offset[i] } }
            }
        }
    }

    public func latent(_ x: Tensor, at parameters: [Variable]?) -> Variable {
        let values = (parameters ?? θ).map(\.value), rows = x.shape[0], n = pairs, d = dimension
        var z = x.storage
        run(&z, rows: rows, values, centering: .moving, saving: false)
        var out = [Double](repeating: 0, count: rows * 2 * n)
        for r in 0..<rows {
            for i in 0..<n {
                let q = z[r * d + i], p = z[r * d + n + i]
                out[r * 2 * n + i] = (q * q + p * p) / 2
                out[r * 2 * n + n + i] = atan2(p, q)
            }
        }
        return Variable(Tensor(shape: [rows, 2 * n], storage: out))
    }

    /// The couplings of block b, as (u offset, target offset, sign): p ← p − NN(q) is (0, n, −1),
    /// q ← q + NN(p) is (n, 0, +1).
    func couplingKinds(_ b: Int) -> [(u: Int, target: Int, sign: Double)] {
        let p = (u: 0, target: pairs, sign: -1.0), q = (u: pairs, target: 0, sign: 1.0)
        return couplings == 2 ? [p, q] : [b % 2 == 0 ? p : q]
    }

    /// Rows per block of work on the couplings: fixed, so sums come out the same on any number of
    /// cores.
    static let chunk = 128

    /// The most doubles a training step keeps of the couplings' hidden layers (rows × 2 × width
    /// each) for its pullback, 2^25 (256 MiB); beyond it the pullback recomputes them. Tests
    /// set it to 0 to check that path.
    nonisolated(unsafe) static var hiddenCacheLimit = 1 << 25

    func couple(_ x: UnsafeMutablePointer<Double>, rows: Int, _ kind: (u: Int, target: Int, sign: Double), _ values: [Tensor], _ k: Int, inverse: Bool,
                hidden: UnsafeMutablePointer<Double>? = nil) {
        let n = pairs, w = self.hidden, d = dimension
        let chunks = (rows + Self.chunk - 1) / Self.chunk
        values[k].storage.withUnsafeBufferPointer { W in values[k + 1].storage.withUnsafeBufferPointer { b1 in
            values[k + 2].storage.withUnsafeBufferPointer { w2 in values[k + 3].storage.withUnsafeBufferPointer { b2 in
                values[k + 4].storage.withUnsafeBufferPointer { b3 in
                    Parallel.forEach(chunks) { c in
                        let start = c * Self.chunk, count = min(Self.chunk, rows - start)
                        var scratch = [Double](repeating: 0, count: 2 * w)
                        nk_irrot_forward(x + start * d, count, d, kind.u, kind.target, inverse ? -kind.sign : kind.sign, n, w,
                                         W.baseAddress!, b1.baseAddress!, w2.baseAddress!, b2.baseAddress!, b3.baseAddress!, &scratch,
                                         hidden.map { $0 + start * 2 * w })
                    }
                }
            } }
        } }
    }

    /// Householder reflection j of `vectors` [r, 2n] on rows of x (its own inverse).
    func reflect(_ x: UnsafeMutablePointer<Double>, rows: Int, _ vectors: [Double], _ j: Int) {
        let n = pairs, d = dimension
        let a = Array(vectors[(j * 2 * n)..<(j * 2 * n + n)]), bv = Array(vectors[(j * 2 * n + n)..<((j + 1) * 2 * n)])
        let c = 2 / (a.reduce(0) { $0 + $1 * $1 } + bv.reduce(0) { $0 + $1 * $1 })
        for r in 0..<rows {
            let q = x + r * d, p = q + n
            var alpha = 0.0, beta = 0.0
            for i in 0..<n { alpha += a[i] * q[i] + bv[i] * p[i]; beta += a[i] * p[i] - bv[i] * q[i] }
            for i in 0..<n {
                q[i] -= c * (alpha * a[i] - beta * bv[i])
                p[i] -= c * (alpha * bv[i] + beta * a[i])
            }
        }
    }

    /// z ↦ e^{±iφ} z on each pair.
    func rotate(_ x: UnsafeMutablePointer<Double>, rows: Int, _ phases: [Double], sign: Double) {
        let n = pairs, d = dimension
        let cs = phases.map { cos($0) }, sn = phases.map { sign * sin($0) }
        for r in 0..<rows {
            for i in 0..<n {
                let q = x[r * d + i], p = x[r * d + n + i]
                x[r * d + i] = cs[i] * q - sn[i] * p
                x[r * d + n + i] = sn[i] * q + cs[i] * p
            }
        }
    }

    /// The column means of rows of x.
    func columnMeans(_ x: UnsafeMutablePointer<Double>, rows: Int) -> [Double] {
        let d = dimension
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<rows { for i in 0..<d { mean[i] += x[r * d + i] } }
        return mean.map { $0 / Double(max(1, rows)) }
    }

    /// The flow on rows of x in place. With `saving`, returns the input of every layer (for the
    /// pullback) and the batch means of the zero-center layers.
    @discardableResult
    func run(_ x: inout [Double], rows: Int, _ values: [Tensor], centering: Centering, saving: Bool, blocks count: Int? = nil)
        -> (inputs: [[Double]], means: [[Double]], hidden: [[Double]]) {
        let d = dimension, n = pairs
        var inputs: [[Double]] = [], means: [[Double]] = [], hidden: [[Double]] = []
        let caching = saving && rows * 2 * self.hidden * blocks * couplings <= Self.hiddenCacheLimit
        let centers = values[blocks * perBlock].storage
        for b in 0..<min(blocks, count ?? blocks) {
            let base = b * perBlock
            x.withUnsafeMutableBufferPointer { buffer in
                let x = buffer.baseAddress!
                let mean = centering == .batch ? columnMeans(x, rows: rows) : Array(centers[(b * (d + 1))..<(b * (d + 1) + d)])
                means.append(mean)
                let offset = values[base].storage
                for r in 0..<rows { for i in 0..<d { x[r * d + i] += offset[i] - mean[i] } }
            }
            if saving { inputs.append(x) }
            x.withUnsafeMutableBufferPointer { rotate($0.baseAddress!, rows: rows, values[base + 1].storage, sign: 1) }
            for j in 0..<reflections {
                if saving { inputs.append(x) }
                x.withUnsafeMutableBufferPointer { reflect($0.baseAddress!, rows: rows, values[base + 2].storage, j) }
            }
            if saving { inputs.append(x) }
            let l = values[base + 3].storage, M = values[base + 4].storage
            for r in 0..<rows { for i in 0..<n { x[r * d + i] *= exp(l[i]); x[r * d + n + i] *= exp(-l[i]) } }
            if saving { inputs.append(x) }
            for r in 0..<rows { for i in 0..<n { x[r * d + n + i] += M[i] * x[r * d + i] } }
            for (c, kind) in couplingKinds(b).enumerated() {
                if saving { inputs.append(x) }
                var h = [Double](repeating: 0, count: caching ? rows * 2 * self.hidden : 0)
                x.withUnsafeMutableBufferPointer { xs in h.withUnsafeMutableBufferPointer { hs in
                    couple(xs.baseAddress!, rows: rows, kind, values, base + 5 + 5 * c, inverse: false, hidden: caching ? hs.baseAddress! : nil)
                } }
                if saving { hidden.append(h) }
            }
        }
        return (inputs, means, hidden)
    }

    /// θ's gradient (one tensor per parameter) given the gradient `g` with respect to the output
    /// rows of a `run(saving: true)` with the same centering and its saved inputs; `g` becomes
    /// the gradient with respect to the input rows (with moving centering, each row's own:
    /// one row of g = e_k gives row k of the map's Jacobian).
    func pullback(_ g: inout [Double], rows: Int, _ values: [Tensor], inputs: [[Double]], hidden: [[Double]], centering: Centering = .batch) -> [Tensor] {
        let d = dimension, n = pairs, w = self.hidden
        var grads = values.map { Tensor.zeros($0.shape) }
        var stage = inputs.count, coupling = hidden.count
        for b in (0..<blocks).reversed() {
            let base = b * perBlock
            for (c, kind) in couplingKinds(b).enumerated().reversed() {
                stage -= 1
                coupling -= 1
                let k = base + 5 + 5 * c
                let chunks = (rows + Self.chunk - 1) / Self.chunk
                // Per chunk: dW, db1, dw2, db2, db3 side by side; summed in chunk order after.
                let width = n * w + 3 * w + n
                var partial = [Double](repeating: 0, count: chunks * width)
                inputs[stage].withUnsafeBufferPointer { x in g.withUnsafeMutableBufferPointer { g in partial.withUnsafeMutableBufferPointer { out in hidden[coupling].withUnsafeBufferPointer { cached in
                    values[k].storage.withUnsafeBufferPointer { W in values[k + 1].storage.withUnsafeBufferPointer { b1 in
                        values[k + 2].storage.withUnsafeBufferPointer { w2 in values[k + 3].storage.withUnsafeBufferPointer { b2 in
                            let (x, g, out) = (x.baseAddress!, g.baseAddress!, out.baseAddress!)
                            let saved = cached.isEmpty ? nil : cached.baseAddress!
                            Parallel.forEach(chunks) { ch in
                                let start = ch * Self.chunk, count = min(Self.chunk, rows - start), o = out + ch * width
                                var scratch = [Double](repeating: 0, count: 3 * w)
                                nk_irrot_backward(x + start * d, g + start * d, count, d, kind.u, kind.target, kind.sign, n, w,
                                                  W.baseAddress!, b1.baseAddress!, w2.baseAddress!, b2.baseAddress!,
                                                  o, o + n * w, o + n * w + w, o + n * w + 2 * w, o + n * w + 3 * w, &scratch,
                                                  saved.map { $0 + start * 2 * w })
                            }
                        } }
                    } }
                } } } }
                var total = [Double](repeating: 0, count: width)
                for ch in 0..<chunks { for i in 0..<width { total[i] += partial[ch * width + i] } }
                grads[k] = Tensor(shape: [n, w], storage: Array(total[0..<(n * w)]))
                grads[k + 1] = Tensor(shape: [1, w], storage: Array(total[(n * w)..<(n * w + w)]))
                grads[k + 2] = Tensor(shape: [1, w], storage: Array(total[(n * w + w)..<(n * w + 2 * w)]))
                grads[k + 3] = Tensor(shape: [1, w], storage: Array(total[(n * w + 2 * w)..<(n * w + 3 * w)]))
                grads[k + 4] = Tensor(shape: [1, n], storage: Array(total[(n * w + 3 * w)...]))
            }
            // N: p' = p + M q.
            stage -= 1
            var dM = [Double](repeating: 0, count: n)
            let M = values[base + 4].storage
            for r in 0..<rows {
                for i in 0..<n {
                    dM[i] += inputs[stage][r * d + i] * g[r * d + n + i]
                    g[r * d + i] += M[i] * g[r * d + n + i]
                }
            }
            grads[base + 4] = Tensor(shape: [1, n], storage: dM)
            // A: q' = e^ℓ q, p' = e^−ℓ p.
            stage -= 1
            var dl = [Double](repeating: 0, count: n)
            let l = values[base + 3].storage
            for r in 0..<rows {
                for i in 0..<n {
                    let up = exp(l[i]), down = exp(-l[i])
                    let q = inputs[stage][r * d + i] * up, p = inputs[stage][r * d + n + i] * down
                    dl[i] += q * g[r * d + i] - p * g[r * d + n + i]
                    g[r * d + i] *= up
                    g[r * d + n + i] *= down
                }
            }
            grads[base + 3] = Tensor(shape: [1, n], storage: dl)
            // Reflections, last first: x' = x − c(u α + v β), α = u·x, β = v·x, v = Ju.
            let vectors = values[base + 2].storage
            var dv = [Double](repeating: 0, count: reflections * 2 * n)
            for j in (0..<reflections).reversed() {
                stage -= 1
                let u = Array(vectors[(j * 2 * n)..<((j + 1) * 2 * n)])
                let v = (0..<(2 * n)).map { i in i < n ? -u[n + i] : u[i - n] }
                let c = 2 / u.reduce(0) { $0 + $1 * $1 }
                var du = [Double](repeating: 0, count: 2 * n)
                for r in 0..<rows {
                    let x = inputs[stage][(r * d)..<(r * d + d)].map { $0 }
                    var alpha = 0.0, beta = 0.0, gu = 0.0, gv = 0.0
                    for i in 0..<d { alpha += u[i] * x[i]; beta += v[i] * x[i]; gu += g[r * d + i] * u[i]; gv += g[r * d + i] * v[i] }
                    let s = alpha * gu + beta * gv
                    // ū += c² s u − c(α g + (g·u) x) − c Jᵀ(β g + (g·v) x), Jᵀ(y₁, y₂) = (y₂, −y₁).
                    for i in 0..<d {
                        let y = beta * g[r * d + (i < n ? i + n : i - n)] + gv * x[i < n ? i + n : i - n]
                        du[i] += c * c * s * u[i] - c * (alpha * g[r * d + i] + gu * x[i]) - c * (i < n ? y : -y)
                    }
                    // The reflection is symmetric: g ← R g.
                    for i in 0..<d { g[r * d + i] -= c * (gu * u[i] + gv * v[i]) }
                }
                for i in 0..<(2 * n) { dv[j * 2 * n + i] = du[i] }
            }
            grads[base + 2] = Tensor(shape: [reflections, 2 * n], storage: dv)
            // Phases: q' = c q − s p, p' = s q + c p.
            stage -= 1
            var dphi = [Double](repeating: 0, count: n)
            let phases = values[base + 1].storage
            for r in 0..<rows {
                for i in 0..<n {
                    let cs = cos(phases[i]), sn = sin(phases[i])
                    let q = inputs[stage][r * d + i], p = inputs[stage][r * d + n + i]
                    let gq = g[r * d + i], gp = g[r * d + n + i]
                    dphi[i] += (-sn * q - cs * p) * gq + (cs * q - sn * p) * gp
                    g[r * d + i] = cs * gq + sn * gp
                    g[r * d + n + i] = -sn * gq + cs * gp
                }
            }
            grads[base + 1] = Tensor(shape: [1, n], storage: dphi)
            // Zero-center: x' = x − μ + β, μ the batch mean (which depends on every row) or fixed.
            let sums = g.withUnsafeMutableBufferPointer { columnMeans($0.baseAddress!, rows: rows) }.map { $0 * Double(rows) }
            grads[base] = Tensor(shape: [1, d], storage: sums)
            if centering == .batch { for r in 0..<rows { for i in 0..<d { g[r * d + i] -= sums[i] / Double(rows) } } }
        }
        return grads
    }

    // MARK: The loss

    /// Eq. 14 on z rows grouped as [B, τ, d], and its gradient with respect to z.
    func circleLoss(_ z: [Double], trajectories B: Int, points τ: Int) -> (loss: Double, gradient: [Double], planes: [Double]) {
        let n = pairs, d = dimension
        func radius(_ b: Int, _ k: Int, _ i: Int) -> Double {
            let row = (b * τ + k) * d
            return z[row + i] * z[row + i] + z[row + n + i] * z[row + n + i]
        }
        let scale = 1 / Double(max(1, B * τ * n))
        var planes = [Double](repeating: 0, count: n), g = [Double](repeating: 0, count: z.count)
        for b in 0..<B {
            for i in 0..<n {
                let r = (0..<τ).map { radius(b, $0, i) }
                for k in 0..<τ {
                    let next = r[(k + 1) % τ], previous = r[(k + τ - 1) % τ]
                    planes[i] += (r[k] - next) * (r[k] - next)
                    // ∂ℓ/∂r_k = 2 scale ((r_k − r_{k+1}) − (r_{k−1} − r_k)); ∂r/∂q̂ = 2q̂.
                    let dr = 2 * scale * ((r[k] - next) - (previous - r[k]))
                    let row = (b * τ + k) * d
                    g[row + i] = 2 * z[row + i] * dr
                    g[row + n + i] = 2 * z[row + n + i] * dr
                }
            }
        }
        return (planes.reduce(0, +) * scale, g, planes.map { $0 * scale * Double(n) })
    }

    /// ℓ of eq. 14 for x [B, τ, d] with the given centering, not recorded (`evaluate`'s test
    /// loss), and each plane's own: the mean over (b, k) of (r_{b,k,i} − r_{b,k+1,i})², whose
    /// mean over the planes is ℓ.
    public func circleLoss(_ x: Tensor, centering: Centering) -> (loss: Double, planes: [Double]) {
        circleLoss(x, centering: centering, values: θ.map(\.value))
    }

    /// Eq. 14 at test time: the zero-center layers at their moving averages.
    public func circleLoss(_ x: Tensor) -> (loss: Double, planes: [Double]) { circleLoss(x, centering: .moving) }

    func circleLoss(_ x: Tensor, centering: Centering, values: [Tensor]) -> (loss: Double, planes: [Double]) {
        let B = x.shape[0], τ = x.shape[1]
        var z = x.storage
        run(&z, rows: B * τ, values, centering: centering, saving: false)
        let result = circleLoss(z, trajectories: B, points: τ)
        return (result.loss, result.planes)
    }

    public func losses(_ batch: Batch, at parameters: [Variable]?) throws -> [String: Variable] {
        let θ = try resolve(parameters)
        if loss == .dkdphi { return try angleLoss(batch, θ) }
        let x = try batch.tensor("x", for: kind)
        guard x.rank == 3, x.shape[2] == dimension else {
            throw ModelError(message: "a flow trains on trajectories, a batch [trajectories, points, \(dimension)]; this one is \(x.shape)")
        }
        let B = x.shape[0], τ = x.shape[1], rows = B * τ
        let values = θ.map(\.value)
        var z = x.storage
        let recording = Recording.isOn && θ.contains(where: \.requiresGradient)
        let saved = run(&z, rows: rows, values, centering: .batch, saving: recording)
        let (value, dz, _) = circleLoss(z, trajectories: B, points: τ)
        if recording && parameters == nil { updateCenters(saved.means) }
        guard recording else { return [loss.rawValue: Variable(Tensor(value))] }
        let result = Variable.record(Tensor(value), θ) { [self] g, need in
            var gz = dz.map { $0 * g.value.scalar }
            let grads = pullback(&gz, rows: rows, values, inputs: saved.inputs, hidden: saved.hidden)
            return grads.enumerated().map { k, t in need[k] ? Variable(t) : nil }
        }
        return [loss.rawValue: result]
    }

    /// The `dkdphi` loss on a batch `z` [B, d] of torus points (see the type's doc), recorded when
    /// recording is on.
    func angleLoss(_ batch: Batch, _ θ: [Variable]) throws -> [String: Variable] {
        guard let field else {
            throw ModelError(message: "the dkdphi loss needs the H of the data's system; this flow has none (train it on a dataset of that system)")
        }
        let z = try batch.tensor("z", for: kind)
        guard z.rank == 2, z.shape[1] == dimension else {
            throw ModelError(message: "a dkdphi flow trains on torus points, a batch [points, \(dimension)]; this one is \(z.shape)")
        }
        var x = z.storage
        invert(&x, rows: z.shape[0], θ.map(\.value))
        return [loss.rawValue: angleLoss(points: x, field, θ)]
    }

    /// The `dkdphi` loss at states x [B, d] held fixed (each T⁻¹ of a torus point): the mean
    /// over them of Σ_k (dI_k/dt)², θ's gradient that of the forward map at x ± ε X_H(x).
    func angleLoss(points x: [Double], _ field: HamiltonianVectorField, _ θ: [Variable]) -> Variable {
        let d = dimension, n = pairs, B = x.count / d
        let values = θ.map(\.value)
        // Where T⁻¹ carries the torus onto a singularity of H the loss is not finite, which the
        // trainer stops at (keeping the last parameters that passed).
        guard var (shifted, epsilon) = Self.shifted(x, dimension: d, field) else { return Variable(Tensor(Double.nan)) }
        let recording = Recording.isOn && θ.contains(where: \.requiresGradient)
        let saved = run(&shifted, rows: 2 * B, values, centering: .moving, saving: recording)
        let rates = actionRates(shifted, epsilon)
        var dz = [Double](repeating: 0, count: 2 * B * d)
        for b in 0..<B where epsilon[b] > 0 {
            for k in 0..<n {
                // ∂ℓ/∂I± = ±2 rate / (2ε B); ∂I/∂q̂ = q̂.
                let w = rates[b * n + k] / (epsilon[b] * Double(B))
                for (row, sign) in [(b, 1.0), (B + b, -1.0)] {
                    dz[row * d + k] = sign * w * shifted[row * d + k]
                    dz[row * d + n + k] = sign * w * shifted[row * d + n + k]
                }
            }
        }
        let value = rates.reduce(0) { $0 + $1 * $1 } / Double(B)
        guard recording else { return Variable(Tensor(value)) }
        return Variable.record(Tensor(value), θ) { [self] g, need in
            var gz = dz.map { $0 * g.value.scalar }
            let grads = pullback(&gz, rows: 2 * B, values, inputs: saved.inputs, hidden: saved.hidden, centering: .moving)
            return grads.enumerated().map { k, t in need[k] ? Variable(t) : nil }
        }
    }

    /// Rows x ± ε X_H(x) of states x [B, d] (rows 0..<B the + side, B..<2B the − side), with
    /// each row's ε: X_H(x)·ε of length 10⁻⁴ max(1, |x|), 0 where X_H(x) = 0. Nil when a state
    /// or its field is not finite.
    static func shifted(_ x: [Double], dimension d: Int, _ field: HamiltonianVectorField) -> (rows: [Double], epsilon: [Double])? {
        let B = x.count / d
        var shifted = [Double](repeating: 0, count: 2 * B * d), epsilon = [Double](repeating: 0, count: B)
        var v = [Double](repeating: 0, count: d)
        for b in 0..<B {
            x.withUnsafeBufferPointer { xs in v.withUnsafeMutableBufferPointer { field.evaluate(xs.baseAddress! + b * d, into: $0.baseAddress!) } }
            let speed = v.reduce(0) { $0 + $1 * $1 }.squareRoot(), size = (0..<d).reduce(0) { $0 + x[b * d + $1] * x[b * d + $1] }.squareRoot()
            guard speed.isFinite, size.isFinite else { return nil }
            epsilon[b] = speed > 0 ? 1e-4 * max(1, size) / speed : 0
            for i in 0..<d {
                shifted[b * d + i] = x[b * d + i] + epsilon[b] * v[i]
                shifted[(B + b) * d + i] = x[b * d + i] - epsilon[b] * v[i]
            }
        }
        return (shifted, epsilon)
    }

    /// dI_k/dt [B, n] by the central difference of I_k at z rows T(x ± ε X_H) (`shifted`'s
    /// rows, mapped).
    func actionRates(_ z: [Double], _ epsilon: [Double]) -> [Double] {
        let d = dimension, n = pairs, B = epsilon.count
        var rates = [Double](repeating: 0, count: B * n)
        for b in 0..<B where epsilon[b] > 0 {
            for k in 0..<n {
                let (up, down) = (b * d, (B + b) * d)
                let iUp = (z[up + k] * z[up + k] + z[up + n + k] * z[up + n + k]) / 2
                let iDown = (z[down + k] * z[down + k] + z[down + n + k] * z[down + n + k]) / 2
                rates[b * n + k] = (iUp - iDown) / (2 * epsilon[b])
            }
        }
        return rates
    }

    /// ∂K/∂φ_k = dI_k/dt at states x [rows, d] along `field` (μ the moving averages): [rows, n],
    /// every entry NaN when any state or its field is not finite.
    public func actionRates(_ x: Tensor, field: HamiltonianVectorField) -> Tensor {
        let B = x.shape[0], n = pairs
        guard var (shifted, epsilon) = Self.shifted(x.storage, dimension: dimension, field) else {
            return Tensor(shape: [B, n], storage: [Double](repeating: .nan, count: B * n))
        }
        run(&shifted, rows: 2 * B, θ.map(\.value), centering: .moving, saving: false)
        return Tensor(shape: [B, n], storage: actionRates(shifted, epsilon))
    }

    /// The moving averages after a training batch whose zero-center layers saw `means`.
    func updateCenters(_ means: [[Double]]) {
        let d = dimension
        var c = θ[blocks * perBlock].value
        for b in 0..<blocks {
            let count = c.storage[b * (d + 1) + d] + 1
            let weight = max(0.01, 1 / count)
            for i in 0..<d { c.storage[b * (d + 1) + i] += weight * (means[b][i] - c.storage[b * (d + 1) + i]) }
            c.storage[b * (d + 1) + d] = count
        }
        θ[blocks * perBlock].value = c
    }
}

/// Points of trajectories for a flow's loss: item i is τ points of one training trajectory drawn
/// without replacement, in random order, by a generator seeded from i (so every draw of an item
/// gives other points and a minibatch is reproducible from its items); a batch holds `x`
/// [items, τ, d]. The whole split (batch 0, and the final measure) is every training
/// trajectory's points in one fixed random order; the test batch likewise.
public struct TrajectoryPoints: BatchSource {
    let base: Trajectories
    public let points: Int
    /// Draws per trajectory that items address.
    static let draws = 1 << 20

    public init(_ data: Dataset, points: Int) {
        base = Trajectories(data)
        self.points = points
    }

    public var dimension: Int { base.dimension }
    public var count: Int { base.trainTrajectories.count * Self.draws }
    public var provenance: Checkpoint.Provenance { base.provenance }

    /// `rows` in an order drawn from `seed`, the first `take` of them.
    public static func shuffled(_ rows: [Int], seed: UInt64, take: Int) -> [Int] {
        var rows = rows, rng = SeededGenerator(seed: seed)
        for i in 0..<min(take, rows.count - 1) {
            let j = i + Int(rng.next() % UInt64(rows.count - i))
            rows.swapAt(i, j)
        }
        return Array(rows.prefix(take))
    }

    public func batch(_ items: [Int]) -> Batch {
        let trajectories = base.trainTrajectories.count
        return base.stack(items.map { item in
            let rows = base.trainTrajectories[item % trajectories]
            return Self.shuffled(rows, seed: UInt64(item) &* 0x2545_F491_4F6C_DD1D, take: points)
        })
    }

    public var trainingBatch: Batch {
        base.stack(base.trainTrajectories.enumerated().map { Self.shuffled($1, seed: UInt64($0), take: $1.count) })
    }

    public var testBatch: Batch? {
        base.testTrajectories.isEmpty ? nil : base.stack(base.testTrajectories.enumerated().map { Self.shuffled($1, seed: UInt64($0), take: $1.count) })
    }

    public func validate() throws {
        try base.validate()
        let samples = base.samples
        guard points <= samples else {
            throw TrainingError(message: "points: \(points) is more than the \(samples) samples of each trajectory; a flow's loss takes points from one trajectory at a time")
        }
    }
}

/// Points of one latent torus for the `dkdphi` loss: item i is the point
/// z_k = √(2 I_k) (cos φ_k, sin φ_k) with φ drawn uniformly by a generator seeded from i; a batch
/// holds `z` [items, d]. Minibatches draw items below 2^40; the whole split is items 0..<1024
/// and the test split the 1024 from 2^40 on, which no minibatch draws. It carries the data's H,
/// compiled, for the loss.
public struct TorusPoints: BatchSource {
    public let actions: [Double]
    public let dimension: Int
    public let provenance: Checkpoint.Provenance
    /// The data's H as a field, or why it cannot be made.
    public let field: Result<HamiltonianVectorField, Error>
    static let split = 1024

    public init(_ data: Dataset, actions: [Double]) {
        self.actions = actions
        dimension = data.dimension
        provenance = .init(system: data.system, names: data.names, parameters: data.parameters)
        field = Result { try data.compiledField() }
    }

    public var count: Int { 1 << 40 }

    public func batch(_ items: [Int]) -> Batch {
        let n = dimension / 2
        var z = [Double](repeating: 0, count: items.count * dimension)
        for (row, item) in items.enumerated() {
            var rng = SeededGenerator(seed: UInt64(item) &* 0x2545_F491_4F6C_DD1D &+ 1)
            for k in 0..<n {
                let phi = rng.uniform(0, 2 * Double.pi), radius = (2 * actions[k]).squareRoot()
                z[row * dimension + k] = radius * cos(phi)
                z[row * dimension + n + k] = radius * sin(phi)
            }
        }
        return Batch(["z": Tensor(shape: [items.count, dimension], storage: z)])
    }

    public var trainingBatch: Batch { batch(Array(0..<Self.split)) }
    public var testBatch: Batch? { batch(Array(count..<(count + Self.split))) }

    public func validate() throws {
        let n = dimension / 2
        guard actions.count == n else {
            throw TrainingError(message: "actions: has \(actions.count) values; the data has \(n) \(n == 1 ? "plane" : "planes") (q_k, p_k), so give \(n == 1 ? "one action" : "one action or \(n)")")
        }
        do { _ = try field.get() } catch {
            throw TrainingError(message: "the dkdphi loss needs the data's H: \(error)")
        }
    }
}

extension ModelRegistry {
    static let symplecticFlow = Entry(
        name: "flow",
        summary: "deep symplectic flow (Bondesan & Lamacraft): blocks of zero-center, linear N.A.K and irrotational couplings, trained to map each trajectory to circles (loss: circles, eq. 14) or, from the data's H alone, to make H angle-independent on one latent torus (loss: dkdphi, appendix D.1); latent actions I1.. and angles phi1..",
        options: [
            Option("blocks", .whole(1...64), default: .whole(4), help: "blocks of (zero-center, linear, coupling)"),
            Option("hidden", .whole(1...4096), default: .whole(512), help: "units of each coupling's irrotational MLP"),
            Option("reflections", .whole(1...16), default: .whole(2), help: "Householder reflections in each linear layer"),
            Option("couplings", .whole(1...2), default: .whole(1), help: "couplings per block: 1 alternates p - dV(q) and q + dV(p) between blocks, 2 has both"),
            Option("points", .whole(2...1_000_000), default: .whole(128), help: "points of one trajectory in each term of the loss"),
            Option("loss", .word(SymplecticFlow.Loss.allCases.map(\.rawValue)), default: .word("circles"),
                   help: "circles: eq. 14, trajectories to circles; dkdphi: appendix D.1, dK/dphi = 0 on the latent torus of actions: from the data's H alone"),
            Option("actions", .numbers(1e-6...1e6), default: .numbers([1]), help: "the latent torus I_k of loss: dkdphi, one value for every plane or one each"),
        ],
        parameterShapes: { spec in
            let a = try flowArchitecture(spec)
            return SymplecticFlow.parameterShapes(dimension: a.dimension, blocks: a.blocks, hidden: a.hidden, reflections: a.reflections, couplings: a.couplings)
        },
        cost: { options, dimension, rows in
            let a = try flowSettings(options, dimension: dimension)
            return SymplecticFlow.cost(dimension: dimension, blocks: a.blocks, hidden: a.hidden, reflections: a.reflections, couplings: a.couplings, rows: rows)
        },
        build: { options, dimension, seed in
            let a = try flowSettings(options, dimension: dimension)
            return SymplecticFlow(dimension: dimension, blocks: a.blocks, hidden: a.hidden, reflections: a.reflections, couplings: a.couplings,
                                  points: a.points, loss: a.loss, actions: a.actions, seed: seed)
        },
        decode: { spec in
            let a = try flowArchitecture(spec)
            return SymplecticFlow(dimension: a.dimension, blocks: a.blocks, hidden: a.hidden, reflections: a.reflections, couplings: a.couplings,
                                  points: a.points, loss: a.loss, actions: a.actions, seed: 0)
        },
        // A torus point is one inverse and two forward passes.
        rowsPerItem: { options in
            if case .word("dkdphi")? = options["loss"] { return 3 }
            if case .whole(let points)? = options["points"] { return points }
            return 1
        })

    struct FlowSettings { var dimension: Int, blocks: Int, hidden: Int, reflections: Int, couplings: Int, points: Int, loss: SymplecticFlow.Loss, actions: [Double] }

    /// The settings from resolved options, checked against the data's dimension.
    static func flowSettings(_ options: [String: Value], dimension: Int) throws -> FlowSettings {
        guard case .whole(let blocks)? = options["blocks"], case .whole(let hidden)? = options["hidden"], case .whole(let reflections)? = options["reflections"],
              case .whole(let couplings)? = options["couplings"], case .whole(let points)? = options["points"], case .word(let word)? = options["loss"],
              let loss = SymplecticFlow.Loss(rawValue: word), case .numbers(let actions)? = options["actions"] else {
            throw ModelError(message: "a flow model needs blocks, hidden, reflections, couplings, points, loss and actions")
        }
        guard dimension % 2 == 0, dimension > 0 else {
            throw ModelError(message: "a flow is a canonical map of pairs (q, p): the data's dimension must be even, not \(dimension)")
        }
        guard actions.count == 1 || actions.count == dimension / 2 else {
            throw ModelError(message: "actions: has \(actions.count) values; the data has \(dimension / 2) \(dimension == 2 ? "plane" : "planes") (q_k, p_k), so give \(dimension == 2 ? "one action" : "one action or \(dimension / 2)")")
        }
        return FlowSettings(dimension: dimension, blocks: blocks, hidden: hidden, reflections: reflections, couplings: couplings, points: points, loss: loss, actions: actions)
    }

    /// The settings a flow's spec holds, each checked.
    static func flowArchitecture(_ spec: ModelSpec) throws -> FlowSettings {
        func whole(_ key: String, _ range: ClosedRange<Int>) throws -> Int {
            guard let v = spec[key].flatMap({ Int($0) }), range.contains(v) else {
                throw ModelError(message: "the flow spec '\(spec)' has no whole \(key) from \(range.lowerBound) to \(range.upperBound)")
            }
            return v
        }
        let d = try whole("dimension", 2...MLPArchitecture.maximumWidth)
        guard d % 2 == 0 else { throw ModelError(message: "the flow spec '\(spec)' has an odd dimension") }
        guard let loss = spec["loss"].flatMap(SymplecticFlow.Loss.init(rawValue:)) else {
            throw ModelError(message: "the flow spec '\(spec)' has no loss (\(SymplecticFlow.Loss.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var actions = [1.0]
        if let text = spec["actions"] {
            let values = text.split(separator: ",").compactMap { Double($0) }
            guard !values.isEmpty, values.count == text.split(separator: ",").count, values.count == 1 || values.count == d / 2,
                  values.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw ModelError(message: "the flow spec '\(spec)' has actions=\(text), not one positive number or \(d / 2)")
            }
            actions = values
        }
        return FlowSettings(dimension: d, blocks: try whole("blocks", 1...64), hidden: try whole("hidden", 1...4096), reflections: try whole("reflections", 1...16),
                            couplings: try whole("couplings", 1...2), points: try whole("points", 2...1_000_000), loss: loss, actions: actions)
    }
}
