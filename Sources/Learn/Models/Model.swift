import Dynamics
import Symbolic

/// A model: a parametrised function θ ↦ (named loss terms on a batch), with what is needed to
/// rebuild, train and save it.
///
/// - `kind` names its entry in the `ModelRegistry`; `spec` is enough for that entry to rebuild
///   the architecture (`ModelRegistry.decode`), so a checkpoint holds kind, spec and tensors.
/// - `parameters` are the trainable tensors θ = (θ₁, …, θ_m), named and in a fixed order
///   (`layer1.weight`, `layer1.bias`, …): checkpoints and optimizers use that order.
/// - `losses(batch, at: θ′)` evaluates the model's loss terms L_i(θ′; batch) as scalar
///   variables. With `nil`, θ′ is the model's own parameters; with other variables of the same
///   shapes it is the model at θ′, differentiable in θ′ (MAML's inner step θ′ = θ − α∇L(θ)).
public protocol Model: AnyObject {
    /// The registry name (`hnn`, `baseline`).
    var kind: String { get }
    /// The architecture, as ordered key=value pairs.
    var spec: ModelSpec { get }
    /// The dimension of the state x it takes.
    var dimension: Int { get }
    /// θ, named, in a fixed order.
    var parameters: [(name: String, value: Variable)] { get }
    /// The names of the loss terms `losses` returns.
    var lossNames: [String] { get }
    /// The loss terms L_i(θ′; batch), each a scalar variable. Throws a `ModelError` when the
    /// batch lacks a tensor the model needs or `parameters` do not match θ's shapes.
    func losses(_ batch: Batch, at parameters: [Variable]?) throws -> [String: Variable]
    /// An independent model with the same architecture and parameter values.
    func copy() -> Self
    /// Why the model's output may not be finite at the current parameters on the batch's
    /// states, or nil (a check the trainer makes before each update).
    func outputProblem(on batch: Batch) -> String?
    /// The work of one training step on `rows` rows.
    func trainingCost(rows: Int) -> TrainingCost
    /// The architecture in a few words for people (`2 -> 200 -> 200 -> 1 (tanh)`); the spec by
    /// default.
    var architectureDescription: String { get }
    /// What training minimises when no objective is given: every loss term, weight 1, by
    /// default; a model whose paper weights its terms (an SCNN's L_HNN + α1 L_Poisson + α2 L_HQP)
    /// says so here.
    var objective: Objective { get }
    /// Where training on `data` draws its batches: pairs of states and derivatives by default;
    /// a flow takes points of whole trajectories.
    func batchSource(for data: Dataset) -> any BatchSource
}

extension Model {
    public var architectureDescription: String { spec.description }

    public var objective: Objective { .all(of: self) }

    public func batchSource(for data: Dataset) -> any BatchSource { DerivativePairs(data) }

    /// θ as variables, in the order of `parameters`.
    public var variables: [Variable] { parameters.map(\.value) }

    /// `outputProblem` on the states `x` [rows, d].
    public func outputProblem(on x: Tensor) -> String? { outputProblem(on: Batch(["x": x])) }

    /// The loss terms at the model's own parameters.
    public func losses(_ batch: Batch) throws -> [String: Variable] { try losses(batch, at: nil) }

    /// The variables to evaluate at: the model's own (`nil`) or `substituted`, checked against
    /// θ's count and shapes.
    public func resolve(_ substituted: [Variable]?) throws -> [Variable] {
        guard let substituted else { return variables }
        let own = parameters
        guard substituted.count == own.count else {
            throw ModelError(message: "the \(kind) model has \(own.count) parameter tensors, \(substituted.count) were given")
        }
        for (p, q) in zip(own, substituted) where p.value.shape != q.shape {
            throw ModelError(message: "parameter \(p.name) has shape \(p.value.shape), the substitute \(q.shape)")
        }
        return substituted
    }
}

/// A model that is a vector field: it predicts ẋ = f_θ(x) for a batch of states, so the
/// integrators roll it out.
public protocol FieldModel: Model, VectorField {
    /// ẋ for a batch [rows, d] at θ′ (`nil`: the model's own parameters). With `createGraph`
    /// the result is differentiable in θ′ (training); otherwise it is a constant (rollouts).
    func predict(_ x: Tensor, at parameters: [Variable]?, createGraph: Bool) -> Variable
}

extension FieldModel {
    /// ẋ for a batch at the model's own parameters.
    public func predict(_ x: Tensor, createGraph: Bool) -> Variable { predict(x, at: nil, createGraph: createGraph) }

    /// One state's ẋ, through the batch path (rows of one).
    public func fieldEvaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>) {
        let state = Tensor(shape: [1, dimension], storage: Array(UnsafeBufferPointer(start: x, count: dimension)))
        let f = predict(state, createGraph: false).value
        for i in 0..<dimension { derivative[i] = f.storage[i] }
    }
}

/// A field model with a learned Hamiltonian H_θ: its field is ẋ = Ω∇ₓH_θ (q̇ = ∂H/∂p,
/// ṗ = −∂H/∂q), divergence-free, and conserves H_θ along its exact flow.
public protocol HamiltonianModel: FieldModel {
    /// H_θ′ for a batch [rows, d] → [rows, 1] (`nil`: the model's own parameters).
    func hamiltonian(_ x: Variable, at parameters: [Variable]?) -> Variable
}

extension HamiltonianModel {
    /// H_θ for a batch [rows, d] → [rows, 1].
    public func hamiltonian(_ x: Variable) -> Variable { hamiltonian(x, at: nil) }

    /// H_θ of one state.
    public func hamiltonian(_ x: [Double]) -> Double {
        Recording.with(false) { hamiltonian(Variable(Tensor(shape: [1, x.count], storage: x))) }.value.scalar
    }
}

/// A field model with a learned Lagrangian L_θ(q, q̇) (an LNN): its dynamics are the
/// Euler–Lagrange equations, solved through the mass matrix ∂²L/∂q̇², and its flow conserves
/// the learned energy E_θ = q̇·∂L/∂q̇ − L.
public protocol LagrangianModel: FieldModel {
    /// E_θ at a state of the data's coordinates.
    func learnedEnergy(_ x: [Double]) -> Double
    /// ∂²L/∂q̇² at a state of the data's coordinates, row-major n × n.
    func massMatrix(at x: [Double]) -> [Double]
}

/// A model that is a step map x ↦ φ_θ(x) of fixed step h (a SympNet, a learned flow map): it
/// predicts the next state of a trajectory, not a derivative, and iterates like any `StepMap`.
/// Its batch form predicts x_{k+1} for the rows of x_k, at θ′.
public protocol MapModel: Model, StepMap {
    /// φ_θ′(x) for a batch [rows, d] → [rows, d] (`nil`: the model's own parameters).
    func next(_ x: Tensor, at parameters: [Variable]?, createGraph: Bool) -> Variable
}

/// A model with latent coordinates z = g_θ(x) (a neural canonical transformation's (Q, P), a
/// symmetry network's conserved coordinates), named so that they can be shown and plotted.
public protocol LatentModel: Model {
    /// The latent coordinates' names, one per column of `latent`.
    var latentNames: [String] { get }
    /// z = g_θ′(x) for a batch [rows, d] → [rows, latentNames.count].
    func latent(_ x: Tensor, at parameters: [Variable]?) -> Variable
    /// The latent coordinates the model is trained to conserve (an SCNN's cyclic P_i): what
    /// `discover` fits, identifies and proves. None unless a model says so.
    var conservedNames: [String] { get }
    /// Whether `discover` identifies the conserved coordinates' values themselves with the known
    /// quantities, instead of first fitting each by a low-degree polynomial of the state (an
    /// SCNN's P_i should be such a polynomial, Px or L; a flow's actions are action integrals,
    /// functions of the known integrals through square roots and worse). False unless a model
    /// says so.
    var identifiesConservedDirectly: Bool { get }
}

extension LatentModel {
    public var conservedNames: [String] { [] }
    public var identifiesConservedDirectly: Bool { false }

    /// z = g_θ(x) of one state, not recorded.
    public func latent(_ x: [Double]) -> [Double] {
        Recording.with(false) { latent(Tensor(shape: [1, x.count], storage: x), at: nil) }.value.storage
    }

    /// z = g_θ(x) for a batch [rows, d] → [rows, latentNames.count], not recorded.
    public func latentValues(_ x: Tensor) -> Tensor {
        Recording.with(false) { latent(x, at: nil) }.value
    }
}

/// A model that is a canonical map of states z = T(x), (q, p) ↦ (q̂, p̂), with an exact inverse,
/// trained to send trajectories to circles in each (q̂_k, p̂_k) plane (a deep symplectic flow):
/// what `m(x)`, `m.inverse(z)`, `evaluate`'s eq. 14 and the pull-back plots need.
public protocol CanonicalMapModel: LatentModel {
    /// z = T(x) for rows [rows, d], at test time.
    func forward(_ x: Tensor) -> Tensor
    /// x = T⁻¹(z) for rows [rows, d], exact to rounding.
    func inverse(_ z: Tensor) -> Tensor
    /// The states after each part of the map in turn (the first entry is x itself).
    func stages(_ x: Tensor) -> [Tensor]
    /// Eq. 14 at test time on trajectories x [B, τ, d], and each plane's own.
    func circleLoss(_ x: Tensor) -> (loss: Double, planes: [Double])
    /// ∂K/∂φ_k = dI_k/dt along H's field at states x [rows, d]: [rows, n], zero where the map
    /// takes H's flow to action–angle motion (all NaN when a state or the field is not finite).
    func actionRates(_ x: Tensor, field: HamiltonianVectorField) -> Tensor
}

/// A latent model whose latent Hamiltonian is independent oscillators Σ_k (P_k² + ω_k² Q_k²)/2
/// with learned frequencies (a neural canonical transformation).
public protocol OscillatorModel: LatentModel {
    /// The learned ω_k, in the latent order.
    var omega: [Double] { get }
}

/// A model whose latent coordinates come from a point transformation of configurations,
/// Q = F⁻¹(q), with a Gaussian latent density of variances 1/(β ω_k²) (an nct): it maps
/// configurations both ways and draws new ones.
public protocol PointTransformationModel: OscillatorModel {
    var beta: Double { get }
    /// Q = F⁻¹(q) for rows q [rows, n].
    func latentConfigurations(_ q: Tensor) -> Tensor
    /// q = F(Q) for rows Q [rows, n].
    func configurations(_ Q: Tensor) -> Tensor
    /// ∂Q_k/∂q_i at rows q [rows, n], for each latent index k of `indices`: [rows, n] each.
    func latentJacobian(_ q: Tensor, indices: [Int]) -> [Tensor]
}

extension PointTransformationModel {
    /// `count` configurations q = F(Q) with Q_k ~ N(0, 1/(β ω_k²)) drawn by a generator seeded
    /// with `seed`, [count, n].
    public func sampleConfigurations(_ count: Int, seed: UInt64) -> Tensor {
        let w = omega, n = w.count, root = beta.squareRoot()
        var rng = SeededGenerator(seed: seed)
        var Q = [Double](repeating: 0, count: count * n)
        for r in 0..<count { for k in 0..<n { Q[r * n + k] = rng.normal() / (root * w[k]) } }
        return configurations(Tensor(shape: [count, n], storage: Q))
    }
}

/// A model with a normalised density on phase space (an nct): the negative log-likelihood of
/// data rows under it, per split.
public protocol DensityModel: Model {
    /// Whether its training objective fits data rows (samples) rather than a Hamiltonian alone.
    var fitsData: Bool { get }
    func negativeLogLikelihood(on data: Dataset) throws -> [(split: String, value: Double, standardError: Double, rows: Int)]
}

/// A model trained variationally on a Hamiltonian alone (no data rows): its loss is a free
/// energy at inverse temperature `beta`.
public protocol VariationalModel: Model {
    var beta: Double { get }
    /// F_var on held-out latent samples of the data's H, with its standard error.
    func freeEnergy(on data: Dataset) throws -> (value: Double, standardError: Double, samples: Int)
}

/// Why a model cannot be built, evaluated or decoded.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
