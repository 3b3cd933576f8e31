import Foundation
import Dynamics
import Symbolic

/// A symmetry control network (SCNN: "Symmetry Control Neural Networks", eqs. 5–9): a learned
/// transformation z = (Q, P) = T_ψ(x) of phase space x = (q, p), and a learned Hamiltonian
/// H_φ of the new coordinates that cannot see the first n of the Q_i. Those pairs (Q_i, P_i),
/// i ≤ n, are cyclic: ∂H/∂Q_i = 0, so when T is canonical each P_i is conserved (eq. 5).
///
/// - T_ψ: an MLP d → hidden → … → d (tanh, linear output with bias).
/// - H_φ: an MLP of the cyclic P_1…P_n and the remaining (Q_j, P_j), j > n (in that order:
///   P_1…P_n, Q_{n+1}…Q_m, P_{n+1}…P_m with m = d/2), to one output.
/// - The field is ẋ = Ω∇ₓ(H_φ ∘ T_ψ): Hamilton's equations of H = H_φ(T(x)) in the original
///   coordinates, whether or not T is canonical. It is divergence-free and conserves H.
///
/// Loss terms, each a mean over the batch of a sum over components (as the peer script
/// `scnn_step.py` computes them), with J = ∂T/∂x per sample and g = ∂H_φ/∂z (zero in the
/// cyclic Q_i):
///
///   `hnn`      L_HNN = Σ_i ((Ω Jᵀ g)_i − ẋ_i)²                                     (eq. 6)
///   `poisson`  L_Poisson = ½‖J_S Ω J_Sᵀ − Ω‖²_F over the rows S of the constrained pairs:
///              Σ_ij ({Q_i, P_j} − δ_ij)² + Σ_{i<j} {P_i, P_j}² + {Q_i, Q_j}²          (eq. 7)
///   `hqp`      with ż = J ẋ, Σ_{i≤n} Ṗ_i² + (Q̇_i − ∂H/∂P_i)²
///              + β Σ_{i>n} (Ṗ_i + ∂H/∂Q_i)² + (Q̇_i − ∂H/∂P_i)²                     (eq. 8)
///
/// and the default objective is L_HNN + α1 L_Poisson + α2 L_HQP (eq. 9), plus α3 times the
/// `constraint` term of known conserved quantities when there are some (SCNN-constraint,
/// `ConstraintTerm`). J is computed by d
/// reverse passes over the batch (row k of every sample's J is ∇ₓ Σ_b z_k, the samples being
/// independent), recorded, so that the losses are differentiable in ψ.
///
/// What does not hold: L_HNN alone does not make T canonical nor P_i conserved; the Poisson
/// and HQP terms only push towards it, with the weights α1 and α2. An angle has no global
/// smooth coordinate, so a T with P = angular momentum cannot be canonical on a domain around
/// the origin (issue 19's obstruction).
///
/// Angle-valued latents (`angles: k`, 0 ≤ k ≤ n, default 0) lift it: the first k cyclic Q_i are
/// angles. T then has d + k outputs: columns 0…d−1 as above, except that column i < k holds c_i,
/// and column d + i holds s_i; Q_i = atan2(s_i, c_i), in (−π, π]. Q_i itself jumps by 2π across
/// a cut, but its gradient ∇Q_i = (c_i ∇s_i − s_i ∇c_i)/(c_i² + s_i²) is smooth and single
/// valued wherever (c_i, s_i) ≠ 0, and that row is all the losses use: row i of J is ∇Q_i (and
/// H_φ never sees a cyclic Q_i). So (c, s) = (x, y), P = x p_y − y p_x is canonical on the plane
/// without the origin, where no smooth scalar Q can be.
/// Measured (notebooks `scnn-angles.txt`): on orbits that circle the origin away from it,
/// angles: 2 learns P_i in span(L, H) with weights on L (R² ≥ 0.97) where angles: 0 gives
/// R² ≤ 0.1; on data through the origin, where ∇θ = 1/r and H(L, r, …) ∋ L²/(2r²) are
/// unbounded, it does not; the P-only mode (`MomentumControlNetwork`, `scnnp`), which needs no
/// Q_i, does (notebooks `scnn-angles.txt`). A radius term (c² + s² − 1)² did not measurably
/// help, and is not part of the objective.
public final class SymmetryControlNetwork: HamiltonianModel, LatentModel {
    /// Which brackets L_Poisson constrains: those of all canonical pairs, or of the cyclic ones.
    public enum PoissonPairs: String, Sendable, CaseIterable {
        case all, cyclic
    }

    /// The loss weights and the pairs of the Poisson term.
    public struct Settings: Sendable, Equatable {
        public var alpha1: Double, alpha2: Double, beta: Double
        public var poisson: PoissonPairs
        public init(alpha1: Double = 1e-3, alpha2: Double = 1e-3, beta: Double = 0, poisson: PoissonPairs = .all) {
            self.alpha1 = alpha1; self.alpha2 = alpha2; self.beta = beta; self.poisson = poisson
        }
    }

    /// T_ψ: x ↦ z = (Q, P).
    public let transform: MLP
    /// H_φ of (P_1…P_n, Q_{n+1}…Q_m, P_{n+1}…P_m).
    public let hamiltonianNetwork: MLP
    public let dimension: Int
    /// n, the number of cyclic pairs (the first n).
    public let cyclic: Int
    /// k ≤ n: the first k cyclic Q_i are angles, atan2 of T's columns (i, d + i).
    public let angles: Int
    public let settings: Settings
    /// Known conserved quantities and their weight (SCNN-constraint); `.none` by default.
    public let constraints: ConstraintTerm

    public init(dimension: Int, hidden: Int, layers: Int, cyclic: Int, angles: Int = 0, settings: Settings = Settings(), constraints: ConstraintTerm = .none,
                activation: Activation = .tanh, initializer: Initializer = .xavier, seed: UInt64) {
        precondition(dimension % 2 == 0 && dimension > 0 && hidden > 0 && layers > 0 && (1...(dimension / 2)).contains(cyclic) && (0...cyclic).contains(angles))
        Tensor.configureThreads
        self.dimension = dimension
        self.cyclic = cyclic
        self.angles = angles
        self.settings = settings
        precondition(constraints.isEmpty || constraints.coordinates.count == dimension, "constraints of \(constraints.coordinates.count) coordinates on a model of dimension \(dimension)")
        self.constraints = constraints
        let inner = Array(repeating: hidden, count: layers)
        transform = MLP(sizes: [dimension] + inner + [dimension + angles], activation: activation, initializer: initializer, seed: seed)
        // Two seeds from one: the networks start different, and the run stays reproducible.
        hamiltonianNetwork = MLP(sizes: [dimension - cyclic] + inner + [1], activation: activation, initializer: initializer,
                                 seed: seed &+ 0x9E37_79B9_7F4A_7C15)
    }

    public var kind: String { "scnn" }
    var pairs: Int { dimension / 2 }
    var hidden: Int { transform.sizes[1] }
    var layers: Int { transform.sizes.count - 2 }

    public var architectureDescription: String {
        "T \(transform.description), H(\(cyclic) cyclic\(angles > 0 ? ", \(angles) angle\(angles == 1 ? "" : "s")" : "")) \(hamiltonianNetwork.description)" + constraints.summary
    }

    /// `angles` is written only when positive, so files without it (and older ones) read as 0.
    public var spec: ModelSpec {
        MLPArchitecture(dimension: dimension, hidden: hidden, layers: layers, outputs: dimension + angles, activation: transform.activation).spec
            .appending(Self.settingsSpec(cyclic: cyclic, settings) + (angles > 0 ? [.init("angles", String(angles))] : [])).appending(constraints.specEntries)
    }

    static func settingsSpec(cyclic: Int, _ s: Settings) -> [ModelSpec.Entry] {
        [.init("cyclic", String(cyclic)), .init("alpha1", String(s.alpha1)), .init("alpha2", String(s.alpha2)),
         .init("beta", String(s.beta)), .init("poisson", s.poisson.rawValue)]
    }

    /// `transform.layer1.weight`, …, then `hamiltonian.layer1.weight`, …
    public var parameters: [(name: String, value: Variable)] {
        Array(zip(transform.parameterNames.map { "transform." + $0 }, transform.parameters))
            + Array(zip(hamiltonianNetwork.parameterNames.map { "hamiltonian." + $0 }, hamiltonianNetwork.parameters))
    }

    public var lossNames: [String] { ["hnn", "poisson", "hqp"] + (constraints.isEmpty ? [] : ["constraint"]) }

    /// L_HNN + α1 L_Poisson + α2 L_HQP (eq. 9), + α3 L_C with constraints.
    public var objective: Objective {
        Objective([("hnn", 1), ("poisson", settings.alpha1), ("hqp", settings.alpha2)] + (constraints.isEmpty ? [] : [("constraint", constraints.weight)]))
    }

    /// Q1…Qm, P1…Pm: the columns of z = T(x).
    public var latentNames: [String] { (1...pairs).map { "Q\($0)" } + (1...pairs).map { "P\($0)" } }

    /// The cyclic momenta P1…Pn, which the architecture and L_HQP make conserved.
    public var conservedNames: [String] { (1...cyclic).map { "P\($0)" } }

    public func copy() -> SymmetryControlNetwork {
        let other = SymmetryControlNetwork(dimension: dimension, hidden: hidden, layers: layers, cyclic: cyclic, angles: angles, settings: settings,
                                           constraints: constraints, activation: transform.activation, seed: 0)
        for (p, q) in zip(other.variables, variables) { p.value = q.value }
        return other
    }

    /// θ′ split into T's tensors and H's.
    func split(_ θ: [Variable]?) -> (transform: [Variable], hamiltonian: [Variable]) {
        guard let θ else { return (transform.parameters, hamiltonianNetwork.parameters) }
        let k = transform.parameters.count
        return (Array(θ[..<k]), Array(θ[k...]))
    }

    /// H_φ's input from z: (P_1…P_n, Q_{n+1}…Q_m, P_{n+1}…P_m).
    func hamiltonianInput(_ z: Variable) -> Variable {
        let m = pairs, n = cyclic
        if n == m { return z.slice(axis: 1, m..<dimension) }
        return Variable.concatenate([z.slice(axis: 1, m..<(m + n)), z.slice(axis: 1, n..<m), z.slice(axis: 1, (m + n)..<dimension)], axis: 1)
    }

    /// ∂H/∂z from ∂H_φ/∂(its input): zero in the cyclic Q_i, the input's columns put back in z's order.
    func latentGradient(_ g: Variable) -> Variable {
        let m = pairs, n = cyclic, rows = g.shape[0]
        var parts = [Variable(Tensor.zeros([rows, n]))]
        if n < m { parts.append(g.slice(axis: 1, n..<m)) }
        parts.append(g.slice(axis: 1, 0..<n))
        if n < m { parts.append(g.slice(axis: 1, m..<(dimension - n))) }
        return Variable.concatenate(parts, axis: 1)
    }

    /// z = T(x); with angles, Q_i = atan2(s_i, c_i) in (−π, π] for i < k, and then a constant
    /// (atan2 is not recorded: the losses use ∇Q_i, never Q_i).
    public func latent(_ x: Tensor, at parameters: [Variable]?) -> Variable {
        let z = transform(Variable(x), parameters: split(parameters).transform)
        guard angles > 0 else { return z }
        let rows = x.shape[0], d = dimension, width = d + angles
        var values = Tensor.zeros([rows, d])
        for r in 0..<rows {
            for j in 0..<d { values.storage[r * d + j] = z.value.storage[r * width + j] }
            for i in 0..<angles {
                let q = atan2(z.value.storage[r * width + d + i], z.value.storage[r * width + i])
                values.storage[r * d + i] = q == -Double.pi ? Double.pi : q
            }
        }
        return Variable(values)
    }

    public func hamiltonian(_ x: Variable, at parameters: [Variable]?) -> Variable {
        let θ = split(parameters)
        return hamiltonianNetwork(hamiltonianInput(transform(x, parameters: θ.transform)), parameters: θ.hamiltonian)
    }

    /// ẋ = Ω∇ₓH_φ(T(x)) by one reverse pass through H_φ ∘ T_ψ.
    public func predict(_ x: Tensor, at parameters: [Variable]?, createGraph: Bool) -> Variable {
        let input = Variable(x, requiresGradient: true)
        let h = Recording.with(true) { hamiltonian(input, at: parameters).sum() }
        let g = gradient(of: h, wrt: [input], createGraph: createGraph)[0]
        return Recording.with(createGraph) { Self.symplectic(g) }
    }

    public func losses(_ batch: Batch, at parameters: [Variable]?) throws -> [String: Variable] {
        let θ = split(try parameters.map { try resolve($0) })
        let x = try batch.tensor("x", for: kind), dx = Variable(try batch.tensor("dx", for: kind))
        let (z, J) = transformAndJacobian(x, at: θ.transform)
        let g = latentGradient(hamiltonianNetwork.inputGradient(hamiltonianInput(z), parameters: θ.hamiltonian))
        var terms = ["hnn": Self.hamiltonLoss(jacobian: J, latentGradient: g, dx: dx),
                     "poisson": Self.poissonLoss(jacobian: J, pairs: settings.poisson == .all ? pairs : cyclic),
                     "hqp": Self.cyclicLoss(jacobian: J, latentGradient: g, dx: dx, cyclic: cyclic, beta: settings.beta)]
        if !constraints.isEmpty {
            terms["constraint"] = ConstraintTerm.loss(gradients: Variable(constraints.gradients(at: x)), field: Self.symplectic(Self.applyTransposed(J, g)))
        }
        return terms
    }

    /// z = T(x) [rows, d + k] and every sample's J = ∂z/∂x [rows, d, d] at T's parameters ψ′, by
    /// d + k reverse passes (row j of every sample's ∂T/∂x is ∇ₓ Σ_b T_j(x_b), the samples being
    /// independent); with k angles, rows i < k of J are the angles' gradients (`angleJacobian`).
    /// When recording is on, J is differentiable in ψ′; otherwise it is a constant.
    func transformAndJacobian(_ x: Tensor, at ψ: [Variable]) -> (z: Variable, jacobian: Variable) {
        let createGraph = Recording.isOn, rows = x.shape[0], d = dimension
        let input = Variable(x, requiresGradient: true)
        let z = Recording.with(true) { transform(input, parameters: ψ) }
        let J = Derivatives.rows(count: d + angles, batch: rows, width: d, createGraph: createGraph) { k in
            gradient(of: Recording.with(true) { z.slice(axis: 1, k).sum() }, wrt: [input], createGraph: createGraph)[0]
        }
        guard angles > 0 else { return (z, J) }
        return (z, Recording.with(createGraph) { Self.angleJacobian(outputs: z, jacobian: J, angles: angles) })
    }

    /// Added to c² + s² in ∇Q: keeps the row finite where T's (c, s) passes through 0 (where the
    /// angle is undefined), and changes it elsewhere by a relative ε/(c² + s²), 1e-12 at radius 1.
    public static let angleEpsilon = 1e-12

    /// J [b, d, d] from T's outputs (c_1…, rest, s_1…s_k) [b, d + k] and their Jacobian
    /// [b, d + k, d]: row i < k becomes ∇Q_i = (c_i ∇s_i − s_i ∇c_i)/(c_i² + s_i² + ε) for
    /// Q_i = atan2(s_i, c_i) (ε = `angleEpsilon`); rows k…d−1 are kept.
    public static func angleJacobian(outputs z: Variable, jacobian raw: Variable, angles k: Int) -> Variable {
        let b = raw.shape[0], d = raw.shape[2]
        precondition(raw.shape[1] == d + k && z.shape == [b, d + k], "angleJacobian takes d + k outputs and rows")
        var rows: [Variable] = []
        for i in 0..<k {
            let c = z.slice(axis: 1, i).reshaped([b, 1]), s = z.slice(axis: 1, d + i).reshaped([b, 1])
            let dc = raw.slice(axis: 1, i).reshaped([b, d]), ds = raw.slice(axis: 1, d + i).reshaped([b, d])
            rows.append(((c * ds - s * dc) / ((c * c + s * s) + angleEpsilon)).reshaped([b, 1, d]))
        }
        return Variable.concatenate(rows + [raw.slice(axis: 1, k..<d)], axis: 1)
    }

    // MARK: The loss terms, on given Jacobians (so tests can feed analytic ones)

    /// Ωv for rows v = (v_q, v_p) along the last axis: (v_p, −v_q).
    static func symplectic(_ v: Variable) -> Variable {
        let axis = v.shape.count - 1, d = v.shape[axis], m = d / 2
        return Variable.concatenate([v.slice(axis: axis, m..<d), -v.slice(axis: axis, 0..<m)], axis: axis)
    }

    /// Σ_j J[b, i, j] v[b, j]: J v per sample, [batch, d, d] × [batch, d] → [batch, d].
    static func apply(_ J: Variable, _ v: Variable) -> Variable {
        let (b, r, c) = (J.shape[0], J.shape[1], J.shape[2])
        return (J * v.reshaped([b, 1, c])).summed(to: [b, r, 1]).reshaped([b, r])
    }

    /// Σ_i J[b, i, j] v[b, i]: Jᵀ v per sample.
    static func applyTransposed(_ J: Variable, _ v: Variable) -> Variable {
        let (b, r, c) = (J.shape[0], J.shape[1], J.shape[2])
        return (J * v.reshaped([b, r, 1])).summed(to: [b, 1, c]).reshaped([b, c])
    }

    /// L_HNN (eq. 6): mean over the batch of Σ_i ((Ω Jᵀ g)_i − ẋ_i)², for J = ∂z/∂x [batch, d, d],
    /// g = ∂H/∂z [batch, d] and ẋ [batch, d]. Ω Jᵀ g is Hamilton's field of H(T(x)).
    public static func hamiltonLoss(jacobian J: Variable, latentGradient g: Variable, dx: Variable) -> Variable {
        (symplectic(applyTransposed(J, g)) - dx).square().sum() * (1 / Double(max(1, J.shape[0])))
    }

    /// L_Poisson (eq. 7) over the first `pairs` canonical pairs: mean over the batch of
    /// ½‖J_S Ω J_Sᵀ − Ω‖²_F, J_S the rows of Q_1…Q_k, P_1…P_k (k = `pairs`). Entry (i, j) of
    /// J Ω Jᵀ is the Poisson bracket {z_i, z_j}; the ½ counts each antisymmetric pair once, so
    /// this is Σ_ij ({Q_i, P_j} − δ_ij)² + Σ_{i<j} {P_i, P_j}² + {Q_i, Q_j}². Zero exactly when
    /// those brackets are canonical. An angle's row is ∇Q_i (`angleJacobian`), so its brackets
    /// are the same formula, {Q_i, f} = ∇Q_i · Ω∇f: for an angle-valued Q_i this is the Poisson
    /// loss written for an angle, with no other change.
    public static func poissonLoss(jacobian J: Variable, pairs k: Int) -> Variable {
        let b = J.shape[0], m = J.shape[1] / 2
        precondition((1...m).contains(k), "the Poisson loss takes 1 to \(m) pairs, not \(k)")
        let rows = k == m ? J : Variable.concatenate([J.slice(axis: 1, 0..<k), J.slice(axis: 1, m..<(m + k))], axis: 1)
        let s = 2 * k, turned = symplectic(rows)
        // Row i of A: A[b, i, j] = Σ_l J_S[b, i, l] (Ω J_S[b, j])_l, as [b, s, 1] (tensors have rank ≤ 3).
        var total: Variable?
        for i in 0..<s {
            let row = (rows.slice(axis: 1, i) * turned).summed(to: [b, s, 1])
            var omega = Tensor.zeros([1, s, 1])
            omega.storage[i < k ? k + i : i - k] = i < k ? 1 : -1
            let term = (row - Variable(omega)).square().sum()
            total = total.map { $0 + term } ?? term
        }
        return total! * (0.5 / Double(max(1, b)))
    }

    /// L_HQP (eq. 8): with ż = J ẋ (the new coordinates' velocities along the data, eq. 3),
    /// mean over the batch of Σ_{i≤n} Ṗ_i² + (Q̇_i − ∂H/∂P_i)² + β Σ_{i>n} (Ṗ_i + ∂H/∂Q_i)² +
    /// (Q̇_i − ∂H/∂P_i)², n = `cyclic`. Zero when the cyclic P_i are conserved along the data,
    /// their Q_i advance at ∂H/∂P_i, and (for β > 0) the other pairs follow Hamilton's equations.
    public static func cyclicLoss(jacobian J: Variable, latentGradient g: Variable, dx: Variable, cyclic n: Int, beta: Double) -> Variable {
        let b = J.shape[0], m = J.shape[1] / 2
        precondition((0...m).contains(n), "cyclic pairs 0 to \(m), not \(n)")
        let zdot = apply(J, dx)
        let qdot = zdot.slice(axis: 1, 0..<m), pdot = zdot.slice(axis: 1, m..<(2 * m))
        let dHdQ = g.slice(axis: 1, 0..<m), dHdP = g.slice(axis: 1, m..<(2 * m))
        var total: Variable?
        if n > 0 {
            let p = pdot.slice(axis: 1, 0..<n), q = qdot.slice(axis: 1, 0..<n) - dHdP.slice(axis: 1, 0..<n)
            total = p.square().sum() + q.square().sum()
        }
        if n < m && beta != 0 {
            let p = pdot.slice(axis: 1, n..<m) + dHdQ.slice(axis: 1, n..<m), q = qdot.slice(axis: 1, n..<m) - dHdP.slice(axis: 1, n..<m)
            let others = (p.square().sum() + q.square().sum()) * beta
            total = total.map { $0 + others } ?? others
        }
        return (total ?? zdot.sum() * 0) * (1 / Double(max(1, b)))
    }

    // MARK: Checks and cost

    public func outputProblem(on batch: Batch) -> String? {
        if let p = MLPArchitecture.outputProblem(transform, name: "T_psi", on: batch["x"]) { return p }
        // H_φ's inputs are needed only when its activation bounds nothing (tanh bounds every output).
        let h = hamiltonianNetwork.outputBound != nil ? nil
            : batch["x"].map { x in Recording.with(false) { hamiltonianInput(transform(Variable(x))) }.value }
        return MLPArchitecture.outputProblem(hamiltonianNetwork, name: "H_phi", on: h)
    }

    public func trainingCost(rows: Int) -> TrainingCost {
        Self.cost(dimension: dimension, hidden: hidden, layers: layers, cyclic: cyclic, angles: angles, rows: rows)
    }

    /// In units of an HNN's step (parameters × rows, for its forward pass, input gradient and
    /// backward pass): T's Jacobian takes d reverse passes besides the forward pass, and the
    /// backward pass goes through all of them, so T counts d + 1 times its parameters and H_φ
    /// once. Measured: at d = 8, hidden 200, 800 rows, a step takes 8.5 times an HNN's; this
    /// counts 10 times. Each angle adds a reverse pass.
    static func cost(dimension d: Int, hidden: Int, layers: Int, cyclic n: Int, angles k: Int = 0, rows: Int) -> TrainingCost {
        var cost = TrainingCost(dimension: d, hidden: hidden, layers: layers, rows: rows)
        let h = TrainingCost(dimension: max(1, d - n), hidden: hidden, layers: layers, rows: rows).parameters
        cost.parameters = cost.parameters * (d + k + 1) + h
        return cost
    }

    public func evaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>) { fieldEvaluate(x, into: derivative) }
}

extension ModelSpec {
    func appending(_ more: [Entry]) -> ModelSpec { ModelSpec(entries + more) }
}

extension ModelRegistry {
    static let symmetryControlNetwork = Entry(
        name: "scnn",
        summary: "symmetry control network: z = (Q, P) = T_psi(x), H_phi of z without the cyclic Q_i; losses hnn + alpha1 poisson + alpha2 hqp",
        options: mlpOptions + [
            Option("cyclic", .whole(0...(MLPArchitecture.maximumWidth / 2)), default: .whole(0), help: "cyclic pairs (Q_i, P_i), H independent of Q_i; 0 is all d/2"),
            Option("alpha1", .number(0...1e6), default: .number(1e-3), help: "weight of the Poisson loss"),
            Option("alpha2", .number(0...1e6), default: .number(1e-3), help: "weight of the cyclic (HQP) loss"),
            Option("beta", .number(0...1e6), default: .number(0), help: "weight of Hamilton's equations of the non-cyclic pairs in the HQP loss"),
            Option("poisson", .word(SymmetryControlNetwork.PoissonPairs.allCases.map(\.rawValue)), default: .word("all"),
                   help: "the pairs whose Poisson brackets are constrained: all or cyclic"),
            Option("angles", .whole(0...(MLPArchitecture.maximumWidth / 2)), default: .whole(0),
                   help: "the first k cyclic Q_i are angles, Q = atan2(s, c) of two outputs of T (for rotations: L's conjugate); at most cyclic"),
        ] + constraintOptions,
        parameterShapes: { spec in
            let (a, cyclic, _) = try scnnArchitecture(spec)
            return SymmetryControlNetwork.parameterShapes(a, cyclic: cyclic)
        },
        cost: { options, dimension, rows in
            let (hidden, layers) = try mlpSize(options, dimension: dimension, kind: "scnn")
            let (cyclic, _) = try scnnSettings(options, dimension: dimension)
            let angles = try scnnAngles(options, cyclic: cyclic)
            return SymmetryControlNetwork.cost(dimension: dimension, hidden: hidden, layers: layers, cyclic: cyclic, angles: angles, rows: rows)
        },
        build: { options, dimension, seed in
            let (hidden, layers) = try mlpSize(options, dimension: dimension, kind: "scnn")
            let (cyclic, settings) = try scnnSettings(options, dimension: dimension)
            let angles = try scnnAngles(options, cyclic: cyclic)
            return SymmetryControlNetwork(dimension: dimension, hidden: hidden, layers: layers, cyclic: cyclic, angles: angles, settings: settings,
                                          constraints: try constraintTerm(options, dimension: dimension, kind: "scnn"), initializer: .orthogonal, seed: seed)
        },
        decode: { spec in
            let (a, cyclic, settings) = try scnnArchitecture(spec)
            return SymmetryControlNetwork(dimension: a.dimension, hidden: a.hidden, layers: a.layers, cyclic: cyclic, angles: a.outputs - a.dimension,
                                          settings: settings, constraints: try ConstraintTerm(spec: spec, dimension: a.dimension), activation: a.activation, seed: 0)
        })

    /// k from resolved options (absent is 0); more angles than the n cyclic pairs is an error.
    static func scnnAngles(_ options: [String: Value], cyclic: Int) throws -> Int {
        guard case .whole(let k) = options["angles"] ?? .whole(0) else { throw ModelError(message: "an scnn model's angles is a whole number") }
        guard k <= cyclic else {
            throw ModelError(message: "an scnn model with \(cyclic) cyclic pair\(cyclic == 1 ? "" : "s") can have at most \(cyclic) angle\(cyclic == 1 ? "" : "s"); angles: \(k) is more (the angles are the first cyclic Q_i)")
        }
        return k
    }

    /// n (0 read as all d/2) and the settings from resolved options; n above d/2 is an error.
    static func scnnSettings(_ options: [String: Value], dimension: Int) throws -> (cyclic: Int, settings: SymmetryControlNetwork.Settings) {
        guard case .whole(let given)? = options["cyclic"], case .number(let alpha1)? = options["alpha1"], case .number(let alpha2)? = options["alpha2"],
              case .number(let beta)? = options["beta"], case .word(let word)? = options["poisson"],
              let poisson = SymmetryControlNetwork.PoissonPairs(rawValue: word) else {
            throw ModelError(message: "an scnn model needs cyclic, alpha1, alpha2, beta and poisson")
        }
        let pairs = dimension / 2
        guard given <= pairs else {
            throw ModelError(message: "an scnn model of dimension \(dimension) has \(pairs) canonical pair\(pairs == 1 ? "" : "s"); cyclic: \(given) is more (at most \(pairs); 0 is all)")
        }
        return (given == 0 ? pairs : given, .init(alpha1: alpha1, alpha2: alpha2, beta: beta, poisson: poisson))
    }

    /// The MLP part of an scnn spec (T's architecture, d + k outputs), n and the settings, each
    /// checked; a spec without `angles` has k = 0.
    static func scnnArchitecture(_ spec: ModelSpec) throws -> (MLPArchitecture, cyclic: Int, settings: SymmetryControlNetwork.Settings) {
        let own = ["cyclic", "alpha1", "alpha2", "beta", "poisson", "angles"]
        var options: [String: Value] = [:]
        for option in symmetryControlNetwork.options where own.contains(option.name) {
            if option.name == "angles" && spec[option.name] == nil { options[option.name] = .whole(0); continue }
            guard let text = spec[option.name] else { throw ModelError(message: "the scnn spec '\(spec)' has no \(option.name)") }
            let value: Value?
            switch option.kind {
            case .whole(let r): value = Int(text).flatMap { r.contains($0) ? .whole($0) : nil }
            case .number(let r): value = Double(text).flatMap { r.contains($0) ? .number($0) : nil }
            case .word(let w): value = w.contains(text) ? .word(text) : nil
            case .numbers, .invariants: value = nil  // not among `own`: ConstraintTerm(spec:) reads them
            }
            guard let value else { throw ModelError(message: "the scnn spec '\(spec)' has \(option.name)=\(FileError.quoted(text)), out of range") }
            options[option.name] = value
        }
        guard case .whole(let n)? = options["cyclic"], n >= 1 else { throw ModelError(message: "the scnn spec '\(spec)' needs cyclic of at least 1") }
        guard case .whole(let k)? = options["angles"] else { throw ModelError(message: "the scnn spec '\(spec)' has no angles") }
        let a = try MLPArchitecture(ModelSpec(spec.entries.filter { !(own + ConstraintTerm.specKeys).contains($0.key) }), kind: "scnn", outputs: { $0 + k })
        let (cyclic, settings) = try scnnSettings(options, dimension: a.dimension)
        _ = try scnnAngles(options, cyclic: cyclic)
        return (a, cyclic, settings)
    }
}

extension SymmetryControlNetwork {
    /// The parameter names and shapes of T (the architecture `a`, d outputs) and of H_φ
    /// (d − n inputs, one output).
    static func parameterShapes(_ a: MLPArchitecture, cyclic: Int) -> [(name: String, shape: [Int])] {
        let h = MLPArchitecture(dimension: a.dimension - cyclic, hidden: a.hidden, layers: a.layers, outputs: 1, activation: a.activation)
        return a.parameterShapes.map { ("transform." + $0.name, $0.shape) } + h.parameterShapes.map { ("hamiltonian." + $0.name, $0.shape) }
    }
}
