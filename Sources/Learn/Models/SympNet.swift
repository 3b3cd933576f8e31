import CKernels
import Foundation
import Dynamics
import Symbolic

/// Jin, Zhang, Zhu, Tang & Karniadakis's SympNets (`sympnet`; the tutorial, papers/003, section
/// 7): a step map x_{k+1} = φ_θ(x_k) of fixed step h built only from symplectic shears, so every
/// φ_θ is symplectic whatever θ is. The state is x = (q, p) with q first, as Noether's data
/// has it; n = d/2. σ is the sigmoid, as in the authors' code.
///
/// - **G-SympNet** (`kind: g`): `layers` gradient modules alternating up and low, up first:
///   up p ← p + (σ(q K + b) ⊙ a) Kᵀ, low q ← q + (σ(p K + b) ⊙ a) Kᵀ, with K [n, width] and
///   a, b [1, width]. An up module adds ∇V(q) for V(q) = Σ_j a_j ∫σ((qK + b)_j), so its
///   Jacobian [[I, 0], [∇²V, I]] is symplectic.
/// - **LA-SympNet** (`kind: la`): `layers` linear modules with `sublayers` shears each,
///   p ← p + q (S + Sᵀ) then q ← q + p (S + Sᵀ) alternately (up first), and a bias on both
///   halves after the sublayers; between two linear modules an activation module, up and low
///   alternately: p ← p + a ⊙ σ(q), or q ← q + a ⊙ σ(p).
///
/// Weights start as N(0, 0.01²) (K, a, S; seeded), biases at 0, as in `jpzxshi/sympnets`. The
/// loss (`mse`) is the mean over rows and components of (φ_θ(x_k) − x_{k+1})² on consecutive
/// states of the data, whose time step must be the model's h.
public final class SympNet: MapModel {
    public enum Kind: String, Sendable, CaseIterable { case g, la }
    public let dimension: Int
    public let stepSize: Double
    public let type: Kind
    public let layers: Int, width: Int, sublayers: Int
    /// G: per module K, a, b. LA: per linear module its S_j then bp, bq; then the activation
    /// modules' a.
    let weights: [Variable]

    public init(dimension: Int, type: Kind = .g, layers: Int = 5, width: Int = 30, sublayers: Int = 2, stepSize: Double, seed: UInt64) {
        precondition(dimension % 2 == 0 && dimension >= 2 && layers > 0 && width > 0 && sublayers > 0 && stepSize.isFinite && stepSize > 0)
        Tensor.configureThreads
        self.dimension = dimension
        self.stepSize = stepSize
        self.type = type
        self.layers = layers; self.width = width; self.sublayers = sublayers
        var rng = SeededGenerator(seed: seed)
        weights = Self.parameterShapes(dimension: dimension, type: type, layers: layers, width: width, sublayers: sublayers).map { name, shape in
            let count = shape.reduce(1, *), bias = name.hasSuffix(".b") || name.hasSuffix(".bp") || name.hasSuffix(".bq")
            return Variable(Tensor(shape: shape, storage: (0..<count).map { _ in bias ? 0 : 0.01 * rng.normal() }), requiresGradient: true)
        }
    }

    public var kind: String { "sympnet" }
    var n: Int { dimension / 2 }

    public var spec: ModelSpec {
        ModelSpec([.init("dimension", String(dimension)), .init("kind", type.rawValue), .init("layers", String(layers)),
                   .init("width", String(width)), .init("sublayers", String(sublayers)), .init("step", "\(stepSize)")])
    }

    public var architectureDescription: String {
        let step = TextPrinter.format(stepSize, significantDigits: 6)
        switch type {
        case .g: return "G-SympNet of \(layers) gradient modules of width \(width) (sigmoid), step \(step), dimension \(dimension)"
        case .la: return "LA-SympNet of \(layers) linear modules of \(sublayers) sublayers and \(layers - 1) activation modules (sigmoid), step \(step), dimension \(dimension)"
        }
    }

    /// The names and shapes of θ for an architecture, in order, computed without building it.
    static func parameterShapes(dimension: Int, type: Kind, layers: Int, width: Int, sublayers: Int) -> [(name: String, shape: [Int])] {
        let n = dimension / 2
        switch type {
        case .g:
            return (1...layers).flatMap { l in [("module\(l).K", [n, width]), ("module\(l).a", [1, width]), ("module\(l).b", [1, width])] }
        case .la:
            let linear = (1...layers).flatMap { k in (1...sublayers).map { ("linear\(k).S\($0)", [n, n]) } + [("linear\(k).bp", [1, n]), ("linear\(k).bq", [1, n])] }
            return linear + (1..<max(1, layers)).map { ("activation\($0).a", [1, n]) }
        }
    }

    public var parameters: [(name: String, value: Variable)] {
        zip(Self.parameterShapes(dimension: dimension, type: type, layers: layers, width: width, sublayers: sublayers).map(\.name), weights).map { ($0, $1) }
    }

    public var lossNames: [String] { ["mse"] }

    public func copy() -> SympNet {
        let other = SympNet(dimension: dimension, type: type, layers: layers, width: width, sublayers: sublayers, stepSize: stepSize, seed: 0)
        for (p, q) in zip(other.weights, weights) { p.value = q.value }
        return other
    }

    public func batchSource(for data: Dataset) -> any BatchSource { ConsecutivePairs(data) }

    // MARK: The map

    /// φ_θ(x) for rows x [B, 2n].
    public func next(_ x: Tensor, at parameters: [Variable]?, createGraph: Bool) -> Variable {
        Recording.with(createGraph) { forward(Variable(x), parameters ?? weights) }
    }

    /// φ_θ(x) for rows x [B, 2n], recorded as the caller's switch says.
    func forward(_ x: Variable, _ θ: [Variable]) -> Variable {
        guard type == .g else { return Self.linearActivationMap(x, θ, layers: layers, sublayers: sublayers) }
        var q = x.slice(axis: 1, 0..<n), p = x.slice(axis: 1, n..<dimension)
        for l in 0..<layers {
            let (K, a, b) = (θ[3 * l], θ[3 * l + 1], θ[3 * l + 2])
            if l % 2 == 0 { p = p + Self.gradientShear(q, K, a, b) } else { q = q + Self.gradientShear(p, K, a, b) }
        }
        return Variable.concatenate([q, p], axis: 1)
    }

    /// An LA-SympNet's map as the chain of single recorded operations, sublayer by sublayer:
    /// what `linearActivationMap` computes, and how its pullback is differentiated when the
    /// backward pass is itself recorded (second derivatives).
    static func linearActivationChain(_ x: Variable, _ θ: [Variable], layers: Int, sublayers: Int) -> Variable {
        let n = x.shape[1] / 2
        var q = x.slice(axis: 1, 0..<n), p = x.slice(axis: 1, n..<(2 * n))
        let perLinear = sublayers + 2, activations = layers * perLinear
        for k in 0..<layers {
            for j in 0..<sublayers {
                // x (S + Sᵀ) as x S + x Sᵀ.
                let S = θ[k * perLinear + j]
                if j % 2 == 0 { p = p + Variable.matmul(q, S) + Variable.matmul(q, S, transposeB: true) } else { q = q + Variable.matmul(p, S) + Variable.matmul(p, S, transposeB: true) }
            }
            p = p + θ[k * perLinear + sublayers]
            q = q + θ[k * perLinear + sublayers + 1]
            guard k < layers - 1 else { continue }
            let a = θ[activations + k]
            if k % 2 == 0 { p = p + q.sigmoid() * a } else { q = q + p.sigmoid() * a }
        }
        return Variable.concatenate([q, p], axis: 1)
    }

    /// An LA-SympNet's whole map on rows x [B, 2n] as one recorded operation (`nk_la_forward`,
    /// `nk_la_backward`): its forward pass keeps the half each shear and activation module
    /// reads, and its pullback walks the modules backwards, for a shear p ← p + q S̃ (S̃ = S + Sᵀ)
    ///
    ///     q̄ += p̄ S̃,  S̄ = M + Mᵀ with M = qᵀp̄,
    ///
    /// for a bias b̄ = Σ_rows of its half's adjoint, and for an activation module p ← p + a ⊙ σ(q)
    /// ā = Σ_rows p̄ ⊙ σ(q), q̄ += p̄ ⊙ a ⊙ σ(q)(1 − σ(q)). The chain of single operations
    /// made some 200 graph nodes of [B, n] for the double pendulum's 8 × 5 sublayers, whose
    /// bookkeeping was the step's cost. When the backward pass is recorded it is differentiated
    /// through that chain (`linearActivationChain`) instead.
    static func linearActivationMap(_ x: Variable, _ θ: [Variable], layers: Int, sublayers: Int) -> Variable {
        let rows = x.shape[0], n = x.shape[1] / 2
        let perLinear = sublayers + 2, activations = layers * perLinear
        let S = (0..<layers).flatMap { k in (0..<sublayers).flatMap { θ[k * perLinear + $0].value.storage } }
        let bias = (0..<layers).flatMap { k in θ[k * perLinear + sublayers].value.storage + θ[k * perLinear + sublayers + 1].value.storage }
        let a = (0..<(layers - 1)).flatMap { θ[activations + $0].value.storage }
        var y = x.value.storage
        var saved = [Double](repeating: 0, count: rows * n * (layers * sublayers + layers - 1))
        var work = [Double](repeating: 0, count: 2 * n * rows + 2 * n * n)
        nk_la_forward(rows, n, layers, sublayers, S, bias, a, &y, &saved, &work)
        let parents = [x] + θ
        return .record(Tensor(shape: [rows, 2 * n], storage: y), parents, savedBytes: 8 * saved.count) { g, need in
            if Recording.isOn {
                let inner = parents.map { $0.requiresGradient ? $0 : Variable($0.value, requiresGradient: true) }
                let contracted = Recording.with(true) { (linearActivationChain(inner[0], Array(inner.dropFirst()), layers: layers, sublayers: sublayers) * g).sum() }
                let wanted = inner.indices.filter { need[$0] }
                let grads = gradient(of: contracted, wrt: wanted.map { inner[$0] }, createGraph: true, holding: [g] + inner)
                var out = [Variable?](repeating: nil, count: parents.count)
                for (i, v) in zip(wanted, grads) { out[i] = v }
                return out
            }
            var gx = g.value.storage, work = [Double](repeating: 0, count: 2 * n * rows + 2 * n * n)
            var gS = [Double](repeating: 0, count: S.count), gbias = [Double](repeating: 0, count: bias.count), ga = [Double](repeating: 0, count: max(a.count, 1))
            nk_la_backward(rows, n, layers, sublayers, S, a, saved, &gx, &gS, &gbias, &ga, &work)
            var out = [Variable?](repeating: nil, count: parents.count)
            func piece(_ storage: [Double], _ offset: Int, _ shape: [Int]) -> Variable {
                Variable(Tensor(shape: shape, storage: Array(storage[offset..<(offset + shape.reduce(1, *))])))
            }
            if need[0] { out[0] = Variable(Tensor(shape: [rows, 2 * n], storage: gx)) }
            for k in 0..<layers {
                for j in 0..<sublayers where need[1 + k * perLinear + j] { out[1 + k * perLinear + j] = piece(gS, (k * sublayers + j) * n * n, [n, n]) }
                if need[1 + k * perLinear + sublayers] { out[1 + k * perLinear + sublayers] = piece(gbias, 2 * n * k, [1, n]) }
                if need[2 + k * perLinear + sublayers] { out[2 + k * perLinear + sublayers] = piece(gbias, 2 * n * k + n, [1, n]) }
            }
            for k in 0..<(layers - 1) where need[1 + activations + k] { out[1 + activations + k] = piece(ga, k * n, [1, n]) }
            return out
        }
    }

    /// A gradient module's increment (σ(xK + b) ⊙ a) Kᵀ for rows x [B, n], K [n, w], a and b
    /// [1, w], as one recorded operation: its forward pass keeps σ and u = σ ⊙ a, and its pullback
    /// of ḡ [B, n] is, with ū = ḡK and z̄ = ū ⊙ a ⊙ σ(1 − σ),
    ///
    ///     x̄ = z̄Kᵀ,  K̄ = ḡᵀu + xᵀz̄,  ā = Σ_rows ū ⊙ σ,  b̄ = Σ_rows z̄,
    ///
    /// computed row by row in C (`nk_gradient_module_forward`, `..._backward`) with every inner
    /// loop along the width: the chain of single operations made seven elementwise passes and four
    /// products of inner size n, which BLAS handles poorly. When the backward pass is recorded
    /// (second derivatives) it is differentiated through that chain instead.
    static func gradientShear(_ x: Variable, _ K: Variable, _ a: Variable, _ b: Variable) -> Variable {
        let rows = x.shape[0], n = x.shape[1], w = K.shape[1]
        var sigma = [Double](repeating: 0, count: rows * w), delta = [Double](repeating: 0, count: rows * n)
        nk_gradient_module_forward(rows, n, w, x.value.storage, K.value.storage, a.value.storage, b.value.storage, &sigma, &delta)
        let parents = [x, K, a, b]
        return .record(Tensor(shape: [rows, n], storage: delta), parents, savedBytes: 8 * sigma.count) { g, need in
            if Recording.isOn {
                let composed = { (x: Variable, K: Variable, a: Variable, b: Variable) in
                    Variable.matmul((Variable.matmul(x, K) + b).sigmoid() * a, K, transposeB: true)
                }
                let inner = parents.map { $0.requiresGradient ? $0 : Variable($0.value, requiresGradient: true) }
                let contracted = Recording.with(true) { (composed(inner[0], inner[1], inner[2], inner[3]) * g).sum() }
                let wanted = inner.indices.filter { need[$0] }
                let grads = gradient(of: contracted, wrt: wanted.map { inner[$0] }, createGraph: true, holding: [g] + inner)
                var out = [Variable?](repeating: nil, count: 4)
                for (i, v) in zip(wanted, grads) { out[i] = v }
                return out
            }
            var gx = [Double](repeating: 0, count: rows * n), gK = [Double](repeating: 0, count: n * w)
            var ga = [Double](repeating: 0, count: w), gb = [Double](repeating: 0, count: w), work = [Double](repeating: 0, count: 2 * w)
            nk_gradient_module_backward(rows, n, w, x.value.storage, K.value.storage, a.value.storage, sigma, g.value.storage, &gx, &gK, &ga, &gb, &work)
            return [need[0] ? Variable(Tensor(shape: [rows, n], storage: gx)) : nil, need[1] ? Variable(Tensor(shape: [n, w], storage: gK)) : nil,
                    need[2] ? Variable(Tensor(shape: [1, w], storage: ga)) : nil, need[3] ? Variable(Tensor(shape: [1, w], storage: gb)) : nil]
        }
    }

    public func apply(_ x: UnsafeMutablePointer<Double>) throws {
        let y = next(Tensor(shape: [1, dimension], storage: Array(UnsafeBufferPointer(start: x, count: dimension))), at: nil, createGraph: false).value
        for i in 0..<dimension { x[i] = y.storage[i] }
    }

    // MARK: The loss

    public func losses(_ batch: Batch, at parameters: [Variable]?) throws -> [String: Variable] {
        let θ = try parameters.map { try resolve($0) }
        let x = try batch.tensor("x", for: kind), target = try batch.tensor("next", for: kind)
        guard x.rank == 2, x.shape[1] == dimension, target.shape == x.shape else {
            throw ModelError(message: "a sympnet trains on consecutive states x and next [rows, \(dimension)]; this batch has \(x.shape) and \(target.shape)")
        }
        if let dt = batch["dt"], let bad = dt.storage.first(where: { abs($0 - stepSize) > 1e-9 * max(1, abs(stepSize)) }) {
            throw ModelError(message: "the data's consecutive states are \(TextPrinter.format(bad, significantDigits: 6)) apart in time, the sympnet's step is \(TextPrinter.format(stepSize, significantDigits: 6)): train it with step: \(TextPrinter.format(bad, significantDigits: 6)), or on data sampled every \(TextPrinter.format(stepSize, significantDigits: 6))")
        }
        return ["mse": (next(x, at: θ, createGraph: Recording.isOn) - Variable(target)).square().mean()]
    }

    func resolve(_ parameters: [Variable]) throws -> [Variable] {
        guard parameters.count == weights.count, zip(parameters, weights).allSatisfy({ $0.shape == $1.shape }) else {
            throw ModelError(message: "a sympnet takes \(weights.count) parameter tensors of its shapes")
        }
        return parameters
    }

    public func outputProblem(on batch: Batch) -> String? {
        guard let x = batch["x"] else { return nil }
        let y = next(x, at: nil, createGraph: false).value
        return y.storage.allSatisfy({ $0.isFinite && abs($0) < 1e100 }) ? nil : "the predicted next state is not finite"
    }

    public func trainingCost(rows: Int) -> TrainingCost {
        Self.cost(dimension: dimension, type: type, layers: layers, width: width, sublayers: sublayers, rows: rows)
    }

    static func cost(dimension: Int, type: Kind, layers: Int, width: Int, sublayers: Int, rows: Int) -> TrainingCost {
        var cost = TrainingCost(dimension: dimension, hidden: width, layers: 1, rows: rows)
        cost.parameters = parameterShapes(dimension: dimension, type: type, layers: layers, width: width, sublayers: sublayers).reduce(0) { $0 + $1.shape.reduce(1, *) }
        return cost
    }
}

extension ModelRegistry {
    static let sympNet = Entry(
        name: "sympnet",
        summary: "SympNet (Jin et al.): a step map of fixed step h made of symplectic shears, G (gradient modules p += (sigmoid(qK + b) a) K^T, alternating with q) or LA (linear modules of symmetric shears and activation modules); trained on consecutive states, rolled out by iterating the map",
        options: [
            Option("kind", .word(SympNet.Kind.allCases.map(\.rawValue)), default: .word("g"), help: "g: gradient modules; la: linear and activation modules"),
            Option("layers", .whole(1...64), default: .whole(5), help: "modules: gradient modules (g) or linear modules (la)"),
            Option("width", .whole(1...4096), default: .whole(30), help: "units of each gradient module (g)"),
            Option("sublayers", .whole(1...64), default: .whole(2), help: "symmetric shears in each linear module (la)"),
            Option("step", .number(1e-9...1e6), default: .number(0.1), help: "the time step h of the map, which must be the data's"),
        ],
        parameterShapes: { spec in
            let a = try sympNetArchitecture(spec)
            return SympNet.parameterShapes(dimension: a.dimension, type: a.type, layers: a.layers, width: a.width, sublayers: a.sublayers)
        },
        cost: { options, dimension, rows in
            let a = try sympNetSettings(options, dimension: dimension)
            return SympNet.cost(dimension: dimension, type: a.type, layers: a.layers, width: a.width, sublayers: a.sublayers, rows: rows)
        },
        build: { options, dimension, seed in
            let a = try sympNetSettings(options, dimension: dimension)
            return SympNet(dimension: dimension, type: a.type, layers: a.layers, width: a.width, sublayers: a.sublayers, stepSize: a.step, seed: seed)
        },
        decode: { spec in
            let a = try sympNetArchitecture(spec)
            return SympNet(dimension: a.dimension, type: a.type, layers: a.layers, width: a.width, sublayers: a.sublayers, stepSize: a.step, seed: 0)
        })

    struct SympNetSettings { var dimension: Int, type: SympNet.Kind, layers: Int, width: Int, sublayers: Int, step: Double }

    static func sympNetSettings(_ options: [String: Value], dimension: Int) throws -> SympNetSettings {
        guard case .word(let kind)? = options["kind"], let type = SympNet.Kind(rawValue: kind), case .whole(let layers)? = options["layers"],
              case .whole(let width)? = options["width"], case .whole(let sublayers)? = options["sublayers"], case .number(let step)? = options["step"] else {
            throw ModelError(message: "a sympnet needs kind, layers, width, sublayers and step")
        }
        guard dimension % 2 == 0, dimension >= 2 else { throw ModelError(message: "a sympnet maps phase-space states (q, p): the data's dimension must be even, not \(dimension)") }
        return SympNetSettings(dimension: dimension, type: type, layers: layers, width: width, sublayers: sublayers, step: step)
    }

    static func sympNetArchitecture(_ spec: ModelSpec) throws -> SympNetSettings {
        func whole(_ key: String, _ range: ClosedRange<Int>) throws -> Int {
            guard let v = spec[key].flatMap({ Int($0) }), range.contains(v) else {
                throw ModelError(message: "the sympnet spec '\(spec)' has no whole \(key) from \(range.lowerBound) to \(range.upperBound)")
            }
            return v
        }
        let d = try whole("dimension", 2...MLPArchitecture.maximumWidth)
        guard d % 2 == 0 else { throw ModelError(message: "the sympnet spec '\(spec)' has an odd dimension") }
        guard let type = spec["kind"].flatMap(SympNet.Kind.init(rawValue:)) else { throw ModelError(message: "the sympnet spec '\(spec)' has no kind g or la") }
        guard let step = spec["step"].flatMap(Double.init), step > 0, step.isFinite else { throw ModelError(message: "the sympnet spec '\(spec)' has no positive step") }
        return SympNetSettings(dimension: d, type: type, layers: try whole("layers", 1...64), width: try whole("width", 1...4096),
                               sublayers: try whole("sublayers", 1...64), step: step)
    }
}
