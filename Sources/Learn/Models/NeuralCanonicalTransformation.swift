import Foundation
import Dynamics
import Symbolic

/// Li, Dong, Zhang & Wang's neural canonical transformation (`nct`): a neural point
/// transformation q = F(Q) on configuration space, a real NVP, with momenta carried canonically,
/// p = (∂F/∂Q)^{-T} P, so (Q, P) ↦ (q, p) is canonical by construction; in the latent
/// coordinates the Hamiltonian is modelled as K = Σ_k (P_k² + ω_k² Q_k²)/2 with learnable
/// ω_k = e^{u_k}.
///
/// F is `layers` affine couplings (the authors' neuralCT, and `../shared/peers/nct_step.py`):
/// the coordinates split into the even and the odd (0-based) sites; layer l updates the odd half
/// from the even one for even l, the even half from the odd one for odd l:
/// x_b ← x_b ⊙ exp(s_l(x_a)) + t_l(x_a), with s_l = c_l ⊙ tanh(MLP_s(x_a)) (c_l learned, 0 at
/// the start, so F starts as the identity) and t_l = MLP_t(x_a), each MLP n_a → hidden → hidden
/// → n_b with tanh. ln |det ∂F/∂Q| = Σ_l Σ s_l.
///
/// The loss (`variational`, the paper's eq. 5 in phase space): latent samples from the
/// Boltzmann density of K at inverse temperature β, Q_k = ε_k/(√β ω_k), P_k = η_k/√β with ε, η
/// standard normal (reparametrised, so ω is learned through them); q = F(Q), and
/// p = ∇_q [P · F⁻¹(q)], a vector–Jacobian product kept in the graph (the step differentiates it
/// again); then ℓ = E[ln p(Q, P) + β H(q, p)] with H the data's system. The map preserves phase-
/// space volume, so ℓ = β F_var ≥ β F = −ln Z, with equality when the model's density is H's
/// Boltzmann density. Unlike the configuration-space shortcut E[ln p(Q) − ln|det ∂F/∂Q| + β V],
/// which any F = K^{-1/2} diag(ω) makes exact for every ω, the phase-space form pins the ω_k.
///
/// The other loss (`likelihood`, eq. 6) fits samples instead of an H: the negative
/// log-likelihood −ln ρ(q, p) of data rows, with Q = F⁻¹(q), P = (∂F/∂Q)ᵀ p = ∇_Q [p · F(Q)] (kept
/// in the graph) and, the map preserving volume, ρ(q, p) = N(Q; 0, 1/(βω²)) N(P; 0, 1/β):
/// ℓ = β Σ_k (P_k² + ω_k² Q_k²)/2 − Σ_k ln(β ω_k/2π). Samples of configurations alone (images,
/// molecular configurations) get momenta drawn from N(0, 1/β) per draw, unit masses, as the
/// paper does for MNIST and the dipeptide; `dequantize: w` adds uniform noise on [0, w) to each
/// coordinate of each draw, so that integer-valued data (pixels) has a density to fit.
///
/// H enters as one recorded operation per batch, its value and first derivatives from the
/// compiled field; it is not differentiated again (θ's gradient needs ∇H only).
public final class NeuralCanonicalTransformation: PointTransformationModel, VariationalModel, DensityModel {
    public let dimension: Int
    public let layers: Int, hidden: Int
    public let beta: Double
    /// The loss: the variational free energy of an H, or the likelihood of samples.
    public enum Objective: String, Sendable, CaseIterable { case variational, likelihood }
    public let objective: Objective
    /// The width of the uniform noise added to each coordinate of a sample (likelihood only).
    public let dequantize: Double
    /// H's field for the loss: the data's system, set when a batch source is made for a dataset.
    var field: HamiltonianVectorField?
    let s: [MLP], t: [MLP]
    /// c_l [1, n_b] per layer, then u = ln ω [1, n].
    let scales: [Variable]
    let logOmega: Variable
    /// 0/1 matrices picking the even [n, n_even] and odd [n, n_odd] sites.
    let even: Variable, odd: Variable

    public init(dimension: Int, layers: Int = 8, hidden: Int = 128, beta: Double = 1, objective: Objective = .variational, dequantize: Double = 0, seed: UInt64) {
        precondition(dimension % 2 == 0 && dimension >= 4 && layers > 0 && hidden > 0 && beta > 0 && beta.isFinite && dequantize >= 0 && dequantize.isFinite)
        Tensor.configureThreads
        self.dimension = dimension
        self.objective = objective; self.dequantize = dequantize
        self.layers = layers; self.hidden = hidden; self.beta = beta
        let n = dimension / 2, ne = (n + 1) / 2, no = n / 2
        func picking(_ sites: [Int]) -> Variable {
            var m = [Double](repeating: 0, count: n * sites.count)
            for (column, site) in sites.enumerated() { m[site * sites.count + column] = 1 }
            return Variable(Tensor(shape: [n, sites.count], storage: m))
        }
        even = picking(Array(stride(from: 0, to: n, by: 2)))
        odd = picking(Array(stride(from: 1, to: n, by: 2)))
        var s: [MLP] = [], t: [MLP] = [], scales: [Variable] = []
        for l in 0..<layers {
            let (a, b) = l % 2 == 0 ? (ne, no) : (no, ne)
            s.append(MLP(sizes: [a, hidden, hidden, b], seed: seed &+ UInt64(2 * l)))
            t.append(MLP(sizes: [a, hidden, hidden, b], seed: seed &+ UInt64(2 * l + 1)))
            scales.append(Variable(Tensor.zeros([1, b]), requiresGradient: true))
        }
        self.s = s; self.t = t; self.scales = scales
        logOmega = Variable(Tensor.zeros([1, n]), requiresGradient: true)
    }

    public var kind: String { "nct" }
    var pairs: Int { dimension / 2 }

    public var spec: ModelSpec {
        // The variational spec is the one older checkpoints carry.
        ModelSpec([.init("dimension", String(dimension)), .init("layers", String(layers)), .init("hidden", String(hidden)),
                   .init("beta", "\(beta)")] + (objective == .variational ? [] : [.init("loss", objective.rawValue), .init("dequantize", "\(dequantize)")]))
    }

    public var architectureDescription: String {
        "real NVP point transformation of \(layers) affine couplings (MLPs \((pairs + 1) / 2) -> \(hidden) -> \(hidden) -> \(pairs / 2), tanh), latent oscillators with learned frequencies, beta \(TextPrinter.format(beta, significantDigits: 6)), dimension \(dimension)"
            + (objective == .likelihood ? ", fitted by maximum likelihood" + (dequantize > 0 ? " (dequantized by \(TextPrinter.format(dequantize, significantDigits: 6)))" : "") : "")
    }

    /// The names and shapes of θ for an architecture, in order, computed without building it
    /// (a checkpoint's spec is checked against them before anything is allocated).
    static func parameterShapes(dimension: Int, layers: Int, hidden: Int) -> [(name: String, shape: [Int])] {
        let n = dimension / 2
        var out: [(String, [Int])] = []
        for l in 0..<layers {
            let (a, b) = l % 2 == 0 ? ((n + 1) / 2, n / 2) : (n / 2, (n + 1) / 2)
            let sizes = [a, hidden, hidden, b]
            for net in ["s", "t"] {
                for k in 1..<sizes.count {
                    out += [("layer\(l + 1).\(net).layer\(k).weight", [sizes[k - 1], sizes[k]]), ("layer\(l + 1).\(net).layer\(k).bias", [sizes[k]])]
                }
            }
            out.append(("layer\(l + 1).scale", [1, b]))
        }
        return out + [("log_omega", [1, n])]
    }

    /// θ per layer: the s-MLP's, the t-MLP's, c_l; then u = ln ω.
    public var parameters: [(name: String, value: Variable)] {
        var out: [(String, Variable)] = []
        for l in 0..<layers {
            out += zip(s[l].parameterNames, s[l].parameters).map { ("layer\(l + 1).s.\($0)", $1) }
            out += zip(t[l].parameterNames, t[l].parameters).map { ("layer\(l + 1).t.\($0)", $1) }
            out.append(("layer\(l + 1).scale", scales[l]))
        }
        return out + [("log_omega", logOmega)]
    }

    var perLayer: Int { s[0].parameters.count + t[0].parameters.count + 1 }

    public var lossNames: [String] { [objective.rawValue] }
    /// Whether it is fitted to data rows (by likelihood) rather than to a Hamiltonian alone.
    public var fitsData: Bool { objective == .likelihood }
    public var latentNames: [String] { (1...pairs).map { "Q\($0)" } + (1...pairs).map { "P\($0)" } + conservedNames }
    /// The latent oscillators' energies E_k = (P_k² + ω_k² Q_k²)/2, conserved by K: what
    /// `discover` identifies with a system's mode energies.
    public var conservedNames: [String] { (1...pairs).map { "E\($0)" } }
    /// The energies are identified from their values (`LatentModel`).
    public var identifiesConservedDirectly: Bool { true }

    public func copy() -> NeuralCanonicalTransformation {
        let other = NeuralCanonicalTransformation(dimension: dimension, layers: layers, hidden: hidden, beta: beta, objective: objective, dequantize: dequantize, seed: 0)
        for (p, q) in zip(other.variables, variables) { p.value = q.value }
        other.field = field
        return other
    }

    /// The mean H at the last loss's samples: a Hamiltonian unbounded below shows as it falls
    /// without bound.
    var lastMeanEnergy: Double?

    /// H unbounded below: the samples have found states where βH < −10⁶ on average, where no
    /// normalisable Boltzmann density puts weight.
    public func outputProblem(on batch: Batch) -> String? {
        guard let e = lastMeanEnergy, e * beta < -1e6 else { return nil }
        return "H is unbounded below along the model's samples (mean beta H = \(TextPrinter.format(e * beta, significantDigits: 3))): exp(-beta H) cannot be normalised, so there is no free energy to approach"
    }

    public func trainingCost(rows: Int) -> TrainingCost {
        Self.cost(dimension: dimension, layers: layers, hidden: hidden, rows: rows)
    }

    /// θ's size × rows, as for an MLP's step.
    static func cost(dimension: Int, layers: Int, hidden: Int, rows: Int) -> TrainingCost {
        var cost = TrainingCost(dimension: dimension, hidden: hidden, layers: 2, rows: rows)
        cost.parameters = parameterShapes(dimension: dimension, layers: layers, hidden: hidden).reduce(0) { $0 + $1.shape.reduce(1, *) }
        return cost
    }

    public func batchSource(for data: Dataset) -> any BatchSource {
        if objective == .likelihood { return PhaseSpaceSamples(data, beta: beta, dequantize: dequantize) }
        let source = LatentNoise(data)
        field = try? source.field.get()
        return source
    }

    /// The learned frequencies ω_k, in the latent order.
    public var omega: [Double] { logOmega.value.storage.map { Foundation.exp($0) } }

    // MARK: The map

    /// The layer's parameters from θ′: (s-MLP, t-MLP, c_l).
    func layer(_ l: Int, _ θ: [Variable]) -> (s: [Variable], t: [Variable], scale: Variable) {
        let base = l * perLayer, ns = s[0].parameters.count
        return (Array(θ[base..<(base + ns)]), Array(θ[(base + ns)..<(base + 2 * ns)]), θ[base + 2 * ns])
    }

    /// (x_a, x_b) of layer l and its recombination.
    func halves(_ l: Int) -> (a: Variable, b: Variable) { l % 2 == 0 ? (even, odd) : (odd, even) }

    /// q = F(Q) for rows Q [B, n], with ln |det ∂F/∂Q| per row [B, 1].
    func forward(_ Q: Variable, _ θ: [Variable]) -> (q: Variable, logDet: Variable) {
        var x = Q, logDet: Variable?
        for l in 0..<layers {
            let (pa, pb) = halves(l), (sθ, tθ, c) = layer(l, θ)
            let xa = Variable.matmul(x, pa), xb = Variable.matmul(x, pb)
            let scale = c * s[l](xa, parameters: sθ).tanh()
            let yb = xb * scale.exp() + t[l](xa, parameters: tθ)
            x = Variable.matmul(xa, pa, transposeB: true) + Variable.matmul(yb, pb, transposeB: true)
            let ones = Variable(Tensor.filled([scale.shape[1], 1], 1))
            let term = Variable.matmul(scale, ones)
            logDet = logDet.map { $0 + term } ?? term
        }
        return (x, logDet!)
    }

    /// Q = F⁻¹(q) for rows q [B, n].
    func inverse(_ q: Variable, _ θ: [Variable]) -> Variable {
        var x = q
        for l in (0..<layers).reversed() {
            let (pa, pb) = halves(l), (sθ, tθ, c) = layer(l, θ)
            let xa = Variable.matmul(x, pa), yb = Variable.matmul(x, pb)
            let scale = c * s[l](xa, parameters: sθ).tanh()
            let xb = (yb - t[l](xa, parameters: tθ)) * (-scale).exp()
            x = Variable.matmul(xa, pa, transposeB: true) + Variable.matmul(xb, pb, transposeB: true)
        }
        return x
    }

    public func latentConfigurations(_ q: Tensor) -> Tensor {
        Self.inChunks(q) { rows in Recording.with(false) { inverse(Variable(rows), variables).value } }
    }
    public func configurations(_ Q: Tensor) -> Tensor {
        Self.inChunks(Q) { rows in Recording.with(false) { forward(Variable(rows), variables).q.value } }
    }
    public func latentJacobian(_ q: Tensor, indices: [Int]) -> [Tensor] {
        let n = pairs
        // Per chunk, one [rows, n] block for each index; then the chunks' blocks in row order.
        var blocks = [[Double]](repeating: [], count: indices.count)
        _ = Self.inChunks(q) { rows in
            let x = Variable(rows, requiresGradient: true)
            let Q = Recording.with(true) { inverse(x, variables) }
            // Rows are independent, so the gradient of Σ_rows Q_k is each row's ∂Q_k/∂q.
            for (slot, k) in indices.enumerated() {
                let pick = Variable(Tensor(shape: [n, 1], storage: (0..<n).map { $0 == k ? 1 : 0 }))
                blocks[slot] += Recording.with(true) { gradient(of: Variable.matmul(Q, pick).sum(), wrt: [x])[0].value.storage }
            }
            return rows
        }
        return blocks.map { Tensor(shape: [q.shape[0], n], storage: $0) }
    }

    /// `body` applied to the rows of `x` [rows, n] in chunks of 4096, results stacked: memory
    /// grows with a chunk (its [4096, hidden] activations and graph), not with the rows.
    static func inChunks(_ x: Tensor, _ body: (Tensor) -> Tensor) -> Tensor {
        let rows = x.shape[0], n = x.shape[1], chunk = 4096
        guard rows > chunk else { return body(x) }
        var out: [Double] = []
        out.reserveCapacity(rows * n)
        for start in stride(from: 0, to: rows, by: chunk) {
            let end = min(rows, start + chunk)
            out += body(Tensor(shape: [end - start, n], storage: Array(x.storage[(start * n)..<(end * n)]))).storage
        }
        return Tensor(shape: [rows, n], storage: out)
    }

    /// (q, p) of latent rows (Q, P) [B, n] each: q = F(Q) and p = (∂F/∂Q)^{-T} P, p recorded
    /// (differentiable again) when `createGraph`.
    ///
    /// p is carried through the layers with q, in one sweep: F = L_m ∘ … ∘ L_1, so
    /// (∂F/∂Q)^{-T} = J_m^{-T} ⋯ J_1^{-T}, each J_l at layer l's input. A coupling's Jacobian is
    /// [[I, 0], [B, D]] with B = ∂y_b/∂x_a and D = diag(e^s), so J^{-T} v = (v_a − Bᵀ u_b, u_b)
    /// with u_b = v_b e^{−s}, and Bᵀ u_b is one vector–Jacobian product of the layer's two MLPs
    /// at the values the forward pass has already computed (u_b held fixed in it). This is
    /// ∇_q [P · F⁻¹(q)] without running F⁻¹: its MLPs would see the same x_a again.
    func physical(_ Q: Variable, _ P: Variable, _ θ: [Variable], createGraph: Bool) -> (q: Variable, p: Variable) {
        Recording.with(true) {
            var x = Q, v = P
            for l in 0..<layers {
                let (pa, pb) = halves(l), (sθ, tθ, c) = layer(l, θ)
                // x_a must be differentiable for the product even where Q is a constant.
                let xa0 = Variable.matmul(x, pa), xa = xa0.requiresGradient ? xa0 : Variable(xa0.value, requiresGradient: true)
                let xb = Variable.matmul(x, pb)
                let scale = c * s[l](xa, parameters: sθ).tanh()
                let yb = xb * scale.exp() + t[l](xa, parameters: tθ)
                let ub = Variable.matmul(v, pb) * (-scale).exp()
                let bu = gradient(of: (ub * yb).sum(), wrt: [xa], createGraph: createGraph, holding: [ub, xb, xa])[0]
                let ua = Variable.matmul(v, pa) - bu
                x = Variable.matmul(xa, pa, transposeB: true) + Variable.matmul(yb, pb, transposeB: true)
                v = Variable.matmul(ua, pa, transposeB: true) + Variable.matmul(ub, pb, transposeB: true)
            }
            return (createGraph ? x : x.detached, createGraph ? v : v.detached)
        }
    }

    /// (Q, P, E) of states x = (q, p) [rows, 2n] as [rows, 3n]: Q = F⁻¹(q), P = (∂F/∂Q)ᵀ p (as
    /// ∇_Q [p · F(Q)]), E_k = (P_k² + ω_k² Q_k²)/2.
    public func latent(_ x: Tensor, at parameters: [Variable]?) -> Variable {
        let n = pairs, rows = x.shape[0], θ = parameters ?? variables
        let (q, p) = split(x)
        return Recording.with(true) {
            let Q = Variable(Recording.with(false) { inverse(Variable(q), θ) }.value, requiresGradient: true)
            let P = gradient(of: (Variable(p) * forward(Q, θ).q).sum(), wrt: [Q])[0]
            let w2 = θ[θ.count - 1].value.storage.map { Foundation.exp(2 * $0) }
            var out = [Double](repeating: 0, count: rows * 3 * n)
            for r in 0..<rows {
                for i in 0..<n {
                    let (a, b) = (Q.value.storage[r * n + i], P.value.storage[r * n + i])
                    out[r * 3 * n + i] = a; out[r * 3 * n + n + i] = b
                    out[r * 3 * n + 2 * n + i] = (b * b + w2[i] * a * a) / 2
                }
            }
            return Variable(Tensor(shape: [rows, 3 * n], storage: out))
        }
    }

    /// The first and second halves of rows [rows, 2n].
    func split(_ x: Tensor) -> (Tensor, Tensor) {
        let n = pairs, rows = x.shape[0]
        var a = [Double](repeating: 0, count: rows * n), b = a
        for r in 0..<rows { for i in 0..<n { a[r * n + i] = x.storage[r * 2 * n + i]; b[r * n + i] = x.storage[r * 2 * n + n + i] } }
        return (Tensor(shape: [rows, n], storage: a), Tensor(shape: [rows, n], storage: b))
    }

    // MARK: The loss

    public func losses(_ batch: Batch, at parameters: [Variable]?) throws -> [String: Variable] {
        let θ = try resolve(parameters)
        if objective == .likelihood {
            let q = try batch.tensor("q", for: kind), p = try batch.tensor("p", for: kind)
            guard q.rank == 2, q.shape[1] == pairs, p.shape == q.shape else {
                throw ModelError(message: "an nct fits phase-space samples, q and p [rows, \(pairs)]; this batch has \(q.shape) and \(p.shape)")
            }
            let recording = Recording.isOn && θ.contains(where: \.requiresGradient)
            return [lossNames[0]: negativeLogLikelihood(q, p, θ, createGraph: recording).mean]
        }
        guard let field else {
            throw ModelError(message: "the variational loss needs the H of the data's system; this model has none (train it on a dataset or a Hamiltonian)")
        }
        let eps = try batch.tensor("eps", for: kind), eta = try batch.tensor("eta", for: kind)
        let n = pairs
        guard eps.rank == 2, eps.shape[1] == n, eta.shape == eps.shape else {
            throw ModelError(message: "an nct trains on latent noise, eps and eta [rows, \(n)]; this batch has \(eps.shape) and \(eta.shape)")
        }
        let u = θ[θ.count - 1]
        let recording = Recording.isOn && θ.contains(where: \.requiresGradient)
        let (q, p) = states(eps, eta, θ, createGraph: recording)
        let energy = Self.hamiltonian(q, p, field)
        if parameters == nil { lastMeanEnergy = energy.value.scalar }
        let constant = logDensityWithoutOmega(eps, eta)
        let value = u.sum() + energy * beta + constant.reduce(0, +) / Double(constant.count)
        return [lossNames[0]: value]
    }

    /// −ln ρ(q, p) of phase-space rows: its mean (recorded when `createGraph`) and its value per
    /// row.
    func negativeLogLikelihood(_ q: Tensor, _ p: Tensor, _ θ: [Variable], createGraph: Bool) -> (mean: Variable, rows: [Double]) {
        let n = pairs, B = q.shape[0], u = θ[θ.count - 1]
        let (Q, P) = Recording.with(true) { () -> (Variable, Variable) in
            let Q0 = inverse(Variable(q), θ)
            // P is the gradient at Q; when the map is not being recorded, Q is a fresh leaf.
            let Q = createGraph ? Q0 : Variable(Q0.value, requiresGradient: true)
            let P = gradient(of: (Variable(p) * forward(Q, θ).q).sum(), wrt: [Q], createGraph: createGraph)[0]
            return createGraph ? (Q, P) : (Q0.detached, P.detached)
        }
        let constant = -Double(n) * Foundation.log(beta / (2 * Double.pi))
        let energy = ((P * P).sum() + (Q * Q * (u * 2).exp()).sum()) * (beta / (2 * Double(B)))
        let mean = energy - u.sum() + constant
        let w2 = u.value.storage.map { Foundation.exp(2 * $0) }, sumU = u.value.storage.reduce(0, +)
        let rows = (0..<B).map { r in
            constant - sumU + beta / 2 * (0..<n).reduce(0) { t, k in
                let (a, b) = (Q.value.storage[r * n + k], P.value.storage[r * n + k])
                return t + b * b + w2[k] * a * a
            }
        }
        return (mean, rows)
    }

    /// The negative log-likelihood per row of the data's train and test splits (each row once,
    /// with the momenta and dequantization noise of its first draw), mean and standard error:
    /// how well a model fitted by likelihood describes held-out samples.
    public func negativeLogLikelihood(on data: Dataset) throws -> [(split: String, value: Double, standardError: Double, rows: Int)] {
        guard data.phaseSpaceDimension == dimension else {
            throw ModelError(message: "the model's phase space has dimension \(dimension), the data's \(data.phaseSpaceDimension)")
        }
        let source = PhaseSpaceSamples(data, beta: beta, dequantize: dequantize)
        try source.validate()
        var out: [(String, Double, Double, Int)] = []
        for (split, batch) in [("train", source.trainingBatch), ("test", source.testBatch)] {
            guard let batch, let q = batch["q"], let p = batch["p"], q.shape[0] > 0 else { continue }
            let values = negativeLogLikelihood(q, p, variables, createGraph: false).rows
            let B = values.count, mean = values.reduce(0, +) / Double(B)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, B - 1))
            out.append((split, mean, (variance / Double(B)).squareRoot(), B))
        }
        return out
    }

    /// (q, p) of the reparametrised latent samples Q_k = ε_k/(√β ω_k), P_k = η_k/√β.
    func states(_ eps: Tensor, _ eta: Tensor, _ θ: [Variable], createGraph: Bool) -> (q: Variable, p: Variable) {
        let root = beta.squareRoot()
        let Q = Variable(eps) * (θ[θ.count - 1] * -1).exp() * (1 / root)
        let P = Variable(eta) * (1 / root)
        return physical(Q, P, θ, createGraph: createGraph)
    }

    /// ln p(Q, P) − Σ_k u_k per row: Σ_k [ln(β/2π) − (ε_k² + η_k²)/2]. Q's reparametrisation makes
    /// ω_k² Q_k² = ε_k²/β, so of the density only Σ u depends on θ.
    func logDensityWithoutOmega(_ eps: Tensor, _ eta: Tensor) -> [Double] {
        let n = pairs, rows = eps.shape[0], log = Double(n) * Foundation.log(beta / (2 * Double.pi))
        return (0..<rows).map { r in
            log - (0..<n).reduce(0) { $0 + (eps.storage[r * n + $1] * eps.storage[r * n + $1] + eta.storage[r * n + $1] * eta.storage[r * n + $1]) / 2 }
        }
    }

    /// The variational free energy F_var = E[ln p(Q, P) + β H(q, p)]/β on the test split's latent
    /// samples (1024, seeded), with its standard error over them, not recorded: an upper bound
    /// on the free energy F = −ln Z/β.
    public func freeEnergy(on data: Dataset) throws -> (value: Double, standardError: Double, samples: Int) {
        let source = LatentNoise(data)
        try source.validate()
        let field = try source.field.get()
        let batch = source.testBatch!
        let eps = batch["eps"]!, eta = batch["eta"]!
        let n = pairs, B = eps.shape[0]
        let (q, p) = states(eps, eta, variables, createGraph: false)
        let density = logDensityWithoutOmega(eps, eta), sumU = logOmega.value.storage.reduce(0, +)
        let values = (0..<B).map { r in
            let x = Array(q.value.storage[(r * n)..<(r * n + n)]) + Array(p.value.storage[(r * n)..<(r * n + n)])
            return (density[r] + sumU + beta * field.energy(x)) / beta
        }
        let mean = values.reduce(0, +) / Double(B)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, B - 1))
        return (mean, (variance / Double(B)).squareRoot(), B)
    }

    /// The mean over rows of H(q, p), one recorded operation: its pullback is ∇H (from the
    /// compiled field: ∂H/∂q = −ṗ, ∂H/∂p = q̇), not itself recorded. NaN when a row is not finite.
    static func hamiltonian(_ q: Variable, _ p: Variable, _ field: HamiltonianVectorField) -> Variable {
        let B = q.shape[0], n = q.shape[1]
        var total = 0.0, dq = [Double](repeating: 0, count: B * n), dp = dq
        var x = [Double](repeating: 0, count: 2 * n), v = x
        for r in 0..<B {
            for i in 0..<n { x[i] = q.value.storage[r * n + i]; x[n + i] = p.value.storage[r * n + i] }
            total += field.energy(x)
            x.withUnsafeBufferPointer { xs in v.withUnsafeMutableBufferPointer { field.evaluate(xs.baseAddress!, into: $0.baseAddress!) } }
            for i in 0..<n { dq[r * n + i] = -v[n + i] / Double(B); dp[r * n + i] = v[i] / Double(B) }
        }
        let gq = Tensor(shape: [B, n], storage: dq), gp = Tensor(shape: [B, n], storage: dp)
        return Variable.record(Tensor(total / Double(B)), [q, p]) { g, need in
            [need[0] ? Variable(gq) * g : nil, need[1] ? Variable(gp) * g : nil]
        }
    }

    func resolve(_ parameters: [Variable]?) throws -> [Variable] {
        guard let parameters else { return variables }
        guard parameters.count == variables.count, zip(parameters, variables).allSatisfy({ $0.shape == $1.shape }) else {
            throw ModelError(message: "an nct takes \(variables.count) parameter tensors of its shapes")
        }
        return parameters
    }

    /// −ln Z/β for the data's H when it is a harmonic chain or another quadratic form, from its
    /// frequencies: F = (1/β) Σ_k ln(β ω_k / 2π).
    public static func harmonicFreeEnergy(frequencies: [Double], beta: Double) -> Double {
        frequencies.reduce(0) { $0 + Foundation.log(beta * $1 / (2 * Double.pi)) } / beta
    }
}

/// Latent noise for an nct's variational loss: item i is ε, η ∈ ℝⁿ standard normal, drawn by a
/// generator seeded from i; a batch holds `eps` and `eta` [items, n]. Minibatches draw items
/// below 2^40; the whole split is items 0..<1024 and the test split the 1024 from 2^40 on. It
/// carries the data's H, compiled, for the loss.
public struct LatentNoise: BatchSource {
    public let dimension: Int
    public let provenance: Checkpoint.Provenance
    public let field: Result<HamiltonianVectorField, Error>
    static let split = 1024

    public init(_ data: Dataset) {
        dimension = data.dimension
        provenance = .init(system: data.system, names: data.names, parameters: data.parameters)
        field = Result {
            let field = try data.compiledField()
            // exp(−βH) is normalisable only if H grows along every coordinate: one that H does
            // not depend on makes Z infinite and the free energy −∞.
            let used = field.hamiltonian.freeSymbols
            if let free = data.names.first(where: { !used.contains($0) }) {
                throw ModelError(message: "H does not depend on \(free), so exp(-beta H) cannot be normalised along it: the free energy is -infinity")
            }
            return field
        }
    }

    public var count: Int { 1 << 40 }

    public func batch(_ items: [Int]) -> Batch {
        let n = dimension / 2
        var eps = [Double](repeating: 0, count: items.count * n), eta = eps
        for (row, item) in items.enumerated() {
            var rng = SeededGenerator(seed: UInt64(item) &* 0x9E37_79B9_7F4A_7C15 &+ 7)
            for k in 0..<n { eps[row * n + k] = rng.normal() }
            for k in 0..<n { eta[row * n + k] = rng.normal() }
        }
        return Batch(["eps": Tensor(shape: [items.count, n], storage: eps), "eta": Tensor(shape: [items.count, n], storage: eta)])
    }

    public var trainingBatch: Batch { batch(Array(0..<Self.split)) }
    public var testBatch: Batch? { batch(Array(count..<(count + Self.split))) }

    public func validate() throws {
        do { _ = try field.get() } catch {
            throw TrainingError(message: "the variational loss needs the data's H: \(error)")
        }
    }
}

/// Phase-space samples for an nct's likelihood: the data's rows, each draw (q, p) [items, n]
/// each. Rows of a phase-space dataset are (q, p) as they are; configuration samples get
/// momenta p ~ N(0, 1/β) (unit masses). `dequantize: w` adds uniform [0, w) noise to q. With
/// noise, item i is a draw of training row i mod rows seeded from i (minibatches see fresh
/// noise); the whole split is every row once (items 0..<rows) and the test split every test row
/// with seeds from 2^40.
public struct PhaseSpaceSamples: BatchSource {
    public let dimension: Int
    public let provenance: Checkpoint.Provenance
    let data: Dataset
    let beta: Double, dequantize: Double
    let train: [Int], test: [Int]

    public init(_ data: Dataset, beta: Double, dequantize: Double) {
        self.data = data; self.beta = beta; self.dequantize = dequantize
        dimension = data.phaseSpaceDimension
        provenance = .init(system: data.system, names: data.names, parameters: data.parameters)
        train = (0..<data.count).filter { !data.isTest($0) }
        test = (0..<data.count).filter { data.isTest($0) }
    }

    var isNoisy: Bool { data.isSamples || dequantize > 0 }
    public var count: Int { isNoisy ? 1 << 40 : train.count }

    func draws(_ rows: [Int], seeds: [Int]) -> Batch {
        let n = dimension / 2, d = data.dimension
        var q = [Double](repeating: 0, count: rows.count * n), p = q
        for (k, (row, seed)) in zip(rows, seeds).enumerated() {
            var rng = SeededGenerator(seed: UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 11)
            for i in 0..<n {
                q[k * n + i] = data.states[row * d + i] + (dequantize > 0 ? dequantize * rng.uniform() : 0)
                p[k * n + i] = data.isSamples ? rng.normal() / beta.squareRoot() : data.states[row * d + n + i]
            }
        }
        return Batch(["q": Tensor(shape: [rows.count, n], storage: q), "p": Tensor(shape: [rows.count, n], storage: p)])
    }

    public func batch(_ items: [Int]) -> Batch { draws(items.map { train[$0 % train.count] }, seeds: items) }
    public var trainingBatch: Batch { draws(train, seeds: Array(0..<train.count)) }
    public var testBatch: Batch? { test.isEmpty ? nil : draws(test, seeds: test.indices.map { (1 << 40) + $0 }) }

    public func validate() throws {
        guard !train.isEmpty else {
            throw TrainingError(message: "maximum likelihood needs samples: the data has no train rows" + (data.count == 0 ? " (a Hamiltonian alone trains variationally: train(nct, H))" : ""))
        }
        if let bad = data.states.firstIndex(where: { !$0.isFinite }) {
            throw TrainingError(message: "sample \(bad / data.dimension + 1), coordinate \(data.names[bad % data.dimension]), is not finite (\(data.states[bad]))")
        }
    }
}

extension ModelRegistry {
    static let neuralCanonicalTransformation = Entry(
        name: "nct",
        summary: "neural canonical transformation (Li, Dong, Zhang & Wang): a real NVP point transformation q = F(Q) with p = (dF/dQ)^-T P, latent oscillators sum (P_k^2 + w_k^2 Q_k^2)/2 with learned frequencies w_k; trained variationally on a Hamiltonian at inverse temperature beta (the phase-space free energy, eq. 5: train(nct, H)) or by maximum likelihood on data (eq. 6: train(nct, samples), configurations getting momenta N(0, 1/beta))",
        options: [
            Option("hidden", .whole(1...4096), default: .whole(128), help: "units in each hidden layer of the couplings' MLPs"),
            Option("layers", .whole(1...64), default: .whole(8), help: "affine coupling layers (even and odd sites alternate)"),
            Option("beta", .number(1e-6...1e6), default: .number(1), help: "inverse temperature of the variational free energy, or of the latent density and momenta fitted by likelihood"),
            Option("objective", .word(NeuralCanonicalTransformation.Objective.allCases.map(\.rawValue)), default: .word("variational"),
                   help: "variational: the free energy of the data's H (the default for a Hamiltonian alone); likelihood: the negative log-likelihood of the data's rows (the default for data with rows), configuration samples getting momenta N(0, 1/beta)"),
            Option("dequantize", .number(0...1e6), default: .number(0), help: "width w of the uniform noise [0, w) added to each sample coordinate per draw, for integer-valued data (likelihood only)"),
        ],
        parameterShapes: { spec in
            let a = try nctArchitecture(spec)
            return NeuralCanonicalTransformation.parameterShapes(dimension: a.dimension, layers: a.layers, hidden: a.hidden)
        },
        cost: { options, dimension, rows in
            let a = try nctSettings(options, dimension: dimension)
            return NeuralCanonicalTransformation.cost(dimension: dimension, layers: a.layers, hidden: a.hidden, rows: rows)
        },
        build: { options, dimension, seed in
            let a = try nctSettings(options, dimension: dimension)
            return NeuralCanonicalTransformation(dimension: dimension, layers: a.layers, hidden: a.hidden, beta: a.beta, objective: a.objective, dequantize: a.dequantize, seed: seed)
        },
        decode: { spec in
            let a = try nctArchitecture(spec)
            return NeuralCanonicalTransformation(dimension: a.dimension, layers: a.layers, hidden: a.hidden, beta: a.beta, objective: a.objective, dequantize: a.dequantize, seed: 0)
        },
        rowsPerItem: { _ in 1 },
        variational: true)

    struct NCTSettings {
        var dimension: Int, layers: Int, hidden: Int, beta: Double
        var objective = NeuralCanonicalTransformation.Objective.variational, dequantize = 0.0
    }

    static func nctSettings(_ options: [String: Value], dimension: Int) throws -> NCTSettings {
        guard case .whole(let layers)? = options["layers"], case .whole(let hidden)? = options["hidden"], case .number(let beta)? = options["beta"] else {
            throw ModelError(message: "an nct model needs layers, hidden and beta")
        }
        guard dimension % 2 == 0, dimension >= 4 else {
            throw ModelError(message: "an nct transforms configurations of at least 2 coordinates (pairs (q, p)): the data's dimension must be even and at least 4, not \(dimension)")
        }
        var settings = NCTSettings(dimension: dimension, layers: layers, hidden: hidden, beta: beta)
        if case .word(let w)? = options["objective"] { settings.objective = NeuralCanonicalTransformation.Objective(rawValue: w) ?? .variational }
        if case .number(let w)? = options["dequantize"] {
            guard w == 0 || settings.objective == .likelihood else { throw ModelError(message: "dequantize: adds noise to samples fitted by likelihood; the variational objective has none") }
            settings.dequantize = w
        }
        return settings
    }

    static func nctArchitecture(_ spec: ModelSpec) throws -> NCTSettings {
        func whole(_ key: String, _ range: ClosedRange<Int>) throws -> Int {
            guard let v = spec[key].flatMap({ Int($0) }), range.contains(v) else {
                throw ModelError(message: "the nct spec '\(spec)' has no whole \(key) from \(range.lowerBound) to \(range.upperBound)")
            }
            return v
        }
        let d = try whole("dimension", 4...MLPArchitecture.maximumWidth)
        guard d % 2 == 0 else { throw ModelError(message: "the nct spec '\(spec)' has an odd dimension") }
        guard let beta = spec["beta"].flatMap(Double.init), beta > 0, beta.isFinite else {
            throw ModelError(message: "the nct spec '\(spec)' has no positive beta")
        }
        var settings = NCTSettings(dimension: d, layers: try whole("layers", 1...64), hidden: try whole("hidden", 1...4096), beta: beta)
        if let loss = spec["loss"] {
            guard let objective = NeuralCanonicalTransformation.Objective(rawValue: loss) else { throw ModelError(message: "the nct spec '\(spec)' has an unknown loss '\(loss)'") }
            settings.objective = objective
        }
        if let w = spec["dequantize"] {
            guard let v = Double(w), v >= 0, v.isFinite else { throw ModelError(message: "the nct spec '\(spec)' has no dequantize width >= 0") }
            settings.dequantize = v
        }
        return settings
    }
}
