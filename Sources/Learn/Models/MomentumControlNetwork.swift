import Dynamics

/// The SCNN's P-only mode (`scnnp`): learned conserved momenta P_1…P_n = P_ψ(x) in involution,
/// with no conjugate Q_i, beside a learned Hamiltonian H_θ(x) of the state.
///
/// Why: an SCNN needs T = (Q, P) canonical, so every cyclic P_i needs a conjugate Q_i that is a
/// single-valued coordinate on the data. The conjugate of an angular momentum is an angle, and
/// on near-circular Kepler orbits the conjugate of the radial action is the anomaly of an orbit
/// of vanishing eccentricity: neither exists as a smooth function around the data (issue 19's
/// obstruction; `angles:` lifts the first only where the data keeps away from the angle's
/// centre). Conservation and involution are statements about the P_i alone, {P_i, H} = 0 and
/// {P_i, P_j} = 0, so this mode learns just those and never needs a Q_i.
///
/// - P_ψ: an MLP d → hidden → … → n (tanh, linear output with bias).
/// - H_θ: an MLP d → hidden → … → 1; the field is Hamilton's, ẋ = Ω∇ₓH_θ, as in an HNN.
///
/// Loss terms, each a mean over the batch of a sum over components, with ∇P_i per sample
/// (n reverse passes, recorded) and f = Ω∇H_θ the model's field:
///
///   `hnn`      Σ_i (f_i − ẋ_i)²                            Hamilton's equations (SCNN eq. 6)
///   `poisson`  Σ_{i<j} {P_i, P_j}²                          involution (the P-rows of eq. 7)
///   `hqp`      Σ_i (∇P_i · ẋ)² + {P_i, H_θ}²                conserved along the data and along
///                                                           the model's own field (eq. 8's Ṗ)
///   `frame`    ‖G − I‖²_F, G_ij = mean_b ∇P_i · ∇P_j         non-degeneracy
///
/// and the objective is hnn + α1 (poisson + frame) + α2 hqp. Without `frame`, constants are
/// conserved and in involution: it asks for gradients of unit size on average and pairwise
/// orthogonal on average, which any invertible linear mixing of independent invariants can
/// meet, so it does not bias which invariants are learned. It does not force pointwise
/// independence: P_2 = H² beside P_1 = H has a regular G (`discover` reports such pairs by
/// their correlation). The `{P_i, H_θ}` part couples the networks: H_θ learns to commute with
/// what P_ψ finds, which is SCNN-constraint with learned constraints.
public final class MomentumControlNetwork: HamiltonianModel, LatentModel {
    public let momenta: MLP
    public let hamiltonianNetwork: MLP
    public let dimension: Int
    public let cyclic: Int
    public let alpha1: Double, alpha2: Double

    public init(dimension: Int, hidden: Int, layers: Int, cyclic: Int, alpha1: Double = 1, alpha2: Double = 1, activation: Activation = .tanh,
                initializer: Initializer = .xavier, seed: UInt64) {
        precondition(dimension % 2 == 0 && dimension > 0 && hidden > 0 && layers > 0 && (1...(dimension / 2)).contains(cyclic))
        Tensor.configureThreads
        self.dimension = dimension
        self.cyclic = cyclic
        self.alpha1 = alpha1
        self.alpha2 = alpha2
        let inner = Array(repeating: hidden, count: layers)
        momenta = MLP(sizes: [dimension] + inner + [cyclic], activation: activation, initializer: initializer, seed: seed)
        // Two seeds from one, as the SCNN does.
        hamiltonianNetwork = MLP(sizes: [dimension] + inner + [1], activation: activation, initializer: initializer, seed: seed &+ 0x9E37_79B9_7F4A_7C15)
    }

    public var kind: String { "scnnp" }
    var hidden: Int { momenta.sizes[1] }
    var layers: Int { momenta.sizes.count - 2 }

    public var architecture: MLPArchitecture {
        MLPArchitecture(dimension: dimension, hidden: hidden, layers: layers, outputs: cyclic, activation: momenta.activation)
    }

    public var spec: ModelSpec {
        architecture.spec.appending([.init("cyclic", String(cyclic)), .init("alpha1", String(alpha1)), .init("alpha2", String(alpha2))])
    }

    public var architectureDescription: String { "P \(momenta.description), H \(hamiltonianNetwork.description)" }

    /// `momenta.layer1.weight`, …, then `hamiltonian.layer1.weight`, …
    public var parameters: [(name: String, value: Variable)] {
        Array(zip(momenta.parameterNames.map { "momenta." + $0 }, momenta.parameters))
            + Array(zip(hamiltonianNetwork.parameterNames.map { "hamiltonian." + $0 }, hamiltonianNetwork.parameters))
    }

    public var lossNames: [String] { ["hnn", "poisson", "hqp", "frame"] }

    /// hnn + α1 (poisson + frame) + α2 hqp.
    public var objective: Objective { Objective([("hnn", 1), ("poisson", alpha1), ("hqp", alpha2), ("frame", alpha1)]) }

    public var latentNames: [String] { (1...cyclic).map { "P\($0)" } }
    public var conservedNames: [String] { latentNames }

    public func copy() -> MomentumControlNetwork {
        let other = MomentumControlNetwork(dimension: dimension, hidden: hidden, layers: layers, cyclic: cyclic, alpha1: alpha1, alpha2: alpha2,
                                           activation: momenta.activation, seed: 0)
        for (p, q) in zip(other.variables, variables) { p.value = q.value }
        return other
    }

    func split(_ θ: [Variable]?) -> (momenta: [Variable], hamiltonian: [Variable]) {
        guard let θ else { return (momenta.parameters, hamiltonianNetwork.parameters) }
        let k = momenta.parameters.count
        return (Array(θ[..<k]), Array(θ[k...]))
    }

    public func latent(_ x: Tensor, at parameters: [Variable]?) -> Variable {
        momenta(Variable(x), parameters: split(parameters).momenta)
    }

    public func hamiltonian(_ x: Variable, at parameters: [Variable]?) -> Variable {
        hamiltonianNetwork(x, parameters: split(parameters).hamiltonian)
    }

    public func predict(_ x: Tensor, at parameters: [Variable]?, createGraph: Bool) -> Variable {
        Recording.with(createGraph) {
            SymmetryControlNetwork.symplectic(hamiltonianNetwork.inputGradient(Variable(x), parameters: split(parameters).hamiltonian))
        }
    }

    /// ∇P_i for every sample, [rows, n, d], by n reverse passes; differentiable in ψ′ when
    /// recording is on.
    func momentumGradients(_ x: Tensor, at ψ: [Variable]) -> Variable {
        let createGraph = Recording.isOn, rows = x.shape[0]
        let input = Variable(x, requiresGradient: true)
        let P = Recording.with(true) { momenta(input, parameters: ψ) }
        return Derivatives.rows(count: cyclic, batch: rows, width: dimension, createGraph: createGraph) { k in
            gradient(of: Recording.with(true) { P.slice(axis: 1, k).sum() }, wrt: [input], createGraph: createGraph)[0]
        }
    }

    public func losses(_ batch: Batch, at parameters: [Variable]?) throws -> [String: Variable] {
        let θ = split(try parameters.map { try resolve($0) })
        let x = try batch.tensor("x", for: kind), dx = Variable(try batch.tensor("dx", for: kind))
        let G = momentumGradients(x, at: θ.momenta)
        let f = predict(x, at: parameters, createGraph: Recording.isOn)
        return ["hnn": (f - dx).square().sum() * (1 / Double(max(1, x.shape[0]))),
                "poisson": Self.involutionLoss(G), "hqp": Self.conservationLoss(G, dx: dx, field: f), "frame": Self.frameLoss(G)]
    }

    // MARK: The loss terms, on given gradients (so tests can feed analytic ones)

    /// mean_b Σ_{i<j} {P_i, P_j}², {P_i, P_j} = ∇P_i · Ω∇P_j, for ∇P [b, n, d].
    public static func involutionLoss(_ G: Variable) -> Variable {
        let b = G.shape[0], n = G.shape[1]
        let turned = SymmetryControlNetwork.symplectic(G)
        var total: Variable?
        for i in 0..<max(0, n - 1) {
            let brackets = (G.slice(axis: 1, i) * turned.slice(axis: 1, (i + 1)..<n)).summed(to: [b, n - i - 1, 1])
            let term = brackets.square().sum()
            total = total.map { $0 + term } ?? term
        }
        return (total ?? G.sum() * 0) * (1 / Double(max(1, b)))
    }

    /// mean_b Σ_i (∇P_i · ẋ)² + (∇P_i · f)²: Ṗ_i along the data and {P_i, H_θ} along f = Ω∇H_θ.
    public static func conservationLoss(_ G: Variable, dx: Variable, field f: Variable) -> Variable {
        let b = G.shape[0]
        return (SymmetryControlNetwork.apply(G, dx).square().sum() + SymmetryControlNetwork.apply(G, f).square().sum()) * (1 / Double(max(1, b)))
    }

    /// ‖G − I‖²_F for the batch Gram matrix G_ij = mean_b ∇P_i · ∇P_j.
    public static func frameLoss(_ G: Variable) -> Variable {
        let b = G.shape[0], n = G.shape[1]
        var total: Variable?
        for i in 0..<n {
            var unit = Tensor.zeros([1, n, 1])
            unit.storage[i] = 1
            let row = (G.slice(axis: 1, i) * G).summed(to: [1, n, 1]) * (1 / Double(max(1, b)))
            let term = (row - Variable(unit)).square().sum()
            total = total.map { $0 + term } ?? term
        }
        return total!
    }

    // MARK: Checks and cost

    public func outputProblem(on batch: Batch) -> String? {
        MLPArchitecture.outputProblem(momenta, name: "P_psi", on: batch["x"])
            ?? MLPArchitecture.outputProblem(hamiltonianNetwork, name: "H_theta", on: batch["x"])
    }

    public func trainingCost(rows: Int) -> TrainingCost { Self.cost(dimension: dimension, hidden: hidden, layers: layers, cyclic: cyclic, rows: rows) }

    /// P_ψ counts n + 1 times its parameters (the forward pass and n reverse passes, each
    /// differentiated again), H_θ once, as an HNN.
    static func cost(dimension d: Int, hidden: Int, layers: Int, cyclic n: Int, rows: Int) -> TrainingCost {
        var cost = TrainingCost(dimension: d, hidden: hidden, layers: layers, rows: rows)
        cost.parameters = cost.parameters * (n + 1) + TrainingCost(dimension: d, hidden: hidden, layers: layers, rows: rows).parameters
        return cost
    }

    public func evaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>) { fieldEvaluate(x, into: derivative) }
}

extension ModelRegistry {
    static let momentumControlNetwork = Entry(
        name: "scnnp",
        summary: "SCNN in P-only mode: conserved momenta P_psi(x) in involution, no conjugate Q_i (for angles around the data), beside an H_theta(x); losses hnn + alpha1 (poisson + frame) + alpha2 hqp",
        options: mlpOptions + [
            Option("cyclic", .whole(0...(MLPArchitecture.maximumWidth / 2)), default: .whole(0), help: "conserved momenta P_i to learn; 0 is all d/2"),
            Option("alpha1", .number(0...1e6), default: .number(1), help: "weight of the involution and frame losses"),
            Option("alpha2", .number(0...1e6), default: .number(1), help: "weight of the conservation (HQP) loss"),
        ],
        parameterShapes: { spec in
            let (a, _, _) = try scnnpArchitecture(spec)
            let h = MLPArchitecture(dimension: a.dimension, hidden: a.hidden, layers: a.layers, outputs: 1, activation: a.activation)
            return a.parameterShapes.map { ("momenta." + $0.name, $0.shape) } + h.parameterShapes.map { ("hamiltonian." + $0.name, $0.shape) }
        },
        cost: { options, dimension, rows in
            let (hidden, layers) = try mlpSize(options, dimension: dimension, kind: "scnnp")
            let (cyclic, _) = try scnnpSettings(options, dimension: dimension)
            return MomentumControlNetwork.cost(dimension: dimension, hidden: hidden, layers: layers, cyclic: cyclic, rows: rows)
        },
        build: { options, dimension, seed in
            let (hidden, layers) = try mlpSize(options, dimension: dimension, kind: "scnnp")
            let (cyclic, alphas) = try scnnpSettings(options, dimension: dimension)
            return MomentumControlNetwork(dimension: dimension, hidden: hidden, layers: layers, cyclic: cyclic, alpha1: alphas.0, alpha2: alphas.1,
                                          initializer: .orthogonal, seed: seed)
        },
        decode: { spec in
            let (a, cyclic, alphas) = try scnnpArchitecture(spec)
            return MomentumControlNetwork(dimension: a.dimension, hidden: a.hidden, layers: a.layers, cyclic: cyclic, alpha1: alphas.0, alpha2: alphas.1,
                                          activation: a.activation, seed: 0)
        })

    /// n (0 read as all d/2; above d/2 an error: at most d/2 functions are independent and in
    /// involution) and (α1, α2) from resolved options.
    static func scnnpSettings(_ options: [String: Value], dimension: Int) throws -> (cyclic: Int, alphas: (Double, Double)) {
        guard case .whole(let given)? = options["cyclic"], case .number(let alpha1)? = options["alpha1"], case .number(let alpha2)? = options["alpha2"] else {
            throw ModelError(message: "an scnnp model needs cyclic, alpha1 and alpha2")
        }
        let pairs = dimension / 2
        guard given <= pairs else {
            throw ModelError(message: "an scnnp model of dimension \(dimension) has at most \(pairs) independent momenta in involution; cyclic: \(given) is more (0 is all)")
        }
        return (given == 0 ? pairs : given, (alpha1, alpha2))
    }

    /// The P-network's architecture (n outputs), n and (α1, α2) from a spec, each checked.
    static func scnnpArchitecture(_ spec: ModelSpec) throws -> (MLPArchitecture, cyclic: Int, alphas: (Double, Double)) {
        let own = ["cyclic", "alpha1", "alpha2"]
        var numbers: [String: Double] = [:]
        for key in own.dropFirst() {
            guard let text = spec[key], let v = Double(text), (0...1e6).contains(v) else {
                throw ModelError(message: "the scnnp spec '\(spec)' has no \(key) from 0 to 1e6")
            }
            numbers[key] = v
        }
        guard let n = spec["cyclic"].flatMap({ Int($0) }), n >= 1 else { throw ModelError(message: "the scnnp spec '\(spec)' needs a whole cyclic of at least 1") }
        let a = try MLPArchitecture(ModelSpec(spec.entries.filter { !own.contains($0.key) }), kind: "scnnp", outputs: { _ in n })
        guard n <= a.dimension / 2 else { throw ModelError(message: "the scnnp spec '\(spec)' has cyclic=\(n), more than \(a.dimension / 2)") }
        return (a, n, (numbers["alpha1"]!, numbers["alpha2"]!))
    }
}
