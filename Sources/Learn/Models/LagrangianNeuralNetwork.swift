import Dynamics
import Symbolic

/// A Lagrangian neural network (Cranmer et al. 2020; the tutorial's section 6): an MLP
/// L_θ(q, q̇), softplus by default as in their code, whose dynamics are the Euler–Lagrange
/// equations solved for the accelerations, per sample,
///
///     q̈ = A⁻¹ (∇_q L − B q̇),   A = ∇_q̇∇_q̇ᵀ L (n × n),   B_ij = ∂²L/∂q̇_i∂q_j.
///
/// ∇ₓL and the n rows ∂(∂L/∂q̇_i)/∂x of the Hessian come from reverse mode over the batch
/// (`Derivatives.hessianRows`), kept in the graph, and the solve is a recorded operation
/// (`Variable.solve`), so the loss differentiates to θ through all of it (third derivatives of
/// L_θ appear). Its one loss term is the mean over rows and components of |q̈_θ − q̈| (`l1`, the
/// REPL's default) or of (q̈_θ − q̈)² (`mse`).
///
/// **Initialisation.** The REPL starts L_θ convex (`useConvexInitialization`), so that the
/// learned mass matrix is positive definite at every state; with Gaussian or orthogonal weights
/// it often changes sign between training states, and training stalls at the singular wall in
/// between (measured in notebooks-full/lnn-robustness.txt).
///
/// **The guard.** A learned A can become singular (L_θ flat in a direction of q̇). Before a
/// solve in training, A's reciprocal condition number is computed at every row; below
/// `minimumReciprocalCondition` the step throws a `NumericalProblem` naming the row and state,
/// and the trainer stops with the last parameters that passed: never NaN parameters.
///
/// **State coordinates.** The Lagrangian lives on (q, q̇). Noether's datasets are (q, p) with
/// the system's H, so a model trained on them carries the data's H as its *kinematics*
/// (`LegendreKinematics`): the state's velocities are q̇ = ∂H/∂p, and the training target is
/// q̈ = d/dt ∂H/∂p = H_pq q̇ + H_pp ṗ from the data's (ẋ). As a `FieldModel` on the data's (q, p)
/// it predicts ẋ = (q̇, ṗ) with ṗ = H_pp⁻¹ (q̈_θ − H_pq q̇): the Euler–Lagrange dynamics in the
/// data's coordinates, so rollouts, `compare` and drift treat it like every other field model.
/// Without kinematics (`kinematics: nil`) the state is (q, q̇) itself and ẋ = (q̇, q̈_θ).
///
/// Its own conserved energy is E_θ = q̇·∇_q̇L_θ − L_θ (`learnedEnergy`), with p_θ = ∇_q̇L_θ.
public final class LagrangianNeuralNetwork: LagrangianModel {
    public let network: MLP
    public let dimension: Int
    public let kinematics: LegendreKinematics?
    /// The loss of q̈: `mse`, or `l1` (the mean absolute error, which Cranmer et al.'s
    /// hyper-parameter search chose: a row where the learned mass matrix is nearly singular
    /// predicts a huge q̈, and its squared error would dominate every gradient).
    public let loss: Loss
    var degreesOfFreedom: Int { dimension / 2 }

    public enum Loss: String, Sendable, CaseIterable { case l1, mse }

    /// Below this 1/(max_b ‖A_b‖₁ ‖A⁻¹‖₁) at a row, training refuses the step (≈ 10 of 16
    /// digits lost in the solve, or q̈ there 10¹⁰ times what the batch's curvature suggests).
    public static let minimumReciprocalCondition = 1e-10

    public init(dimension: Int, hidden: Int, layers: Int, activation: Activation = .softplus, kinematics: LegendreKinematics? = nil,
                loss: Loss = .mse, initializer: Initializer = .xavier, seed: UInt64) {
        precondition(dimension % 2 == 0 && dimension > 0 && hidden > 0 && layers > 0)
        precondition(kinematics.map { $0.coordinates.count == dimension } ?? true, "kinematics of another dimension")
        Tensor.configureThreads
        self.dimension = dimension
        self.kinematics = kinematics
        self.loss = loss
        network = MLP(sizes: [dimension] + Array(repeating: hidden, count: layers) + [1], activation: activation, initializer: initializer, seed: seed)
    }

    /// Cranmer et al.'s initialisation for an LNN (their paper's appendix, found by searching for
    /// weights whose initial q̈ over normal inputs is itself about normal): Gaussian weights of
    /// standard deviation σ_i = s_i/√n for n hidden units and layers numbered i = 1, 2, … from the
    /// input, s = 2.2 for the first, 0.58 i for the hidden-to-hidden ones and n for the output;
    /// zero biases. q̈ does not change when
    /// L is scaled, so the large output layer only sets the size of the gradients.
    public func useCranmerInitialization(seed: UInt64) {
        var rng = SeededGenerator(seed: seed ^ 0x4C4E_4E49_4E49_5431)
        let weights = network.weights, n = Double(network.sizes[1])
        for (k, w) in weights.enumerated() {
            let scale = k == 0 ? 2.2 : k == weights.count - 1 ? n : 0.58 * Double(k + 1)
            let sigma = scale / n.squareRoot()
            w.value = Tensor(shape: w.shape, storage: w.value.storage.map { _ in sigma * rng.normal() })
        }
        for b in network.biases { b.value = Tensor.zeros(b.shape) }
    }

    /// Cranmer et al.'s scales with the weights after the first layer made non-negative: L_θ
    /// is then a convex function of (q, q̇) at the start (softplus is convex and increasing, and
    /// non-negative combinations of convex functions are convex), so ∂²L/∂q̇² is positive
    /// definite at every state. A mass matrix that changes sign between training states must pass
    /// through singular ones, where q̈ = A⁻¹(...) blows up; starting positive keeps training away
    /// from that wall (training may then bend L as the data need).
    public func useConvexInitialization(seed: UInt64) {
        useCranmerInitialization(seed: seed)
        for w in network.weights.dropFirst() { w.value = w.value.map { Swift.abs($0) } }
    }

    public var kind: String { "lnn" }
    public var architecture: MLPArchitecture {
        MLPArchitecture(dimension: dimension, hidden: network.sizes[1], layers: network.sizes.count - 2, outputs: 1, activation: network.activation)
    }
    public var spec: ModelSpec { architecture.spec.appending((loss == .mse ? [] : [.init("loss", loss.rawValue)]) + (kinematics?.specEntries ?? [])) }
    /// `4 -> 200 -> 200 -> 1 (softplus) L(q, qdot)`, and where q̇ comes from.
    public var architectureDescription: String {
        network.description + " L(q, qdot)" + (kinematics == nil ? "" : ", qdot = dH/dp of the data's H")
    }
    public var parameters: [(name: String, value: Variable)] { Array(zip(network.parameterNames, network.parameters)) }
    public var lossNames: [String] { [loss.rawValue] }

    public func copy() -> LagrangianNeuralNetwork {
        let a = architecture
        let other = LagrangianNeuralNetwork(dimension: dimension, hidden: a.hidden, layers: a.layers, activation: a.activation, kinematics: kinematics, loss: loss, seed: 0)
        for (p, q) in zip(other.network.parameters, network.parameters) { p.value = q.value }
        return other
    }

    // MARK: The Euler–Lagrange equations

    /// q̈_θ′ at states s = (q, q̇) [rows, 2n], with A = ∂²L/∂q̇² [rows, n, n] at each row.
    /// With `createGraph`, q̈ is differentiable in θ′.
    public func accelerations(_ s: Tensor, at parameters: [Variable]? = nil, createGraph: Bool) -> (value: Variable, mass: Tensor) {
        let n = degreesOfFreedom, rows = s.shape[0]
        // A prediction needs no graph to θ: constants keep the recorded passes small.
        let θ = parameters ?? (createGraph ? network.parameters : network.parameters.map(\.detached))
        let input = Variable(s, requiresGradient: true)
        let (g, hessian) = network.hessianRows(input, parameters: θ, rows: n..<(2 * n), createGraph: createGraph)
        let mass = hessian.value.slice(axis: 2, n..<(2 * n))
        let qdd = Recording.with(createGraph) { () -> Variable in
            let A = hessian.slice(axis: 2, n..<(2 * n)), B = hessian.slice(axis: 2, 0..<n)
            let qdot = Variable(s.slice(axis: 1, n..<(2 * n)).reshaped([rows, 1, n]))
            let rhs = g.slice(axis: 1, 0..<n) - (B * qdot).summed(to: [rows, n, 1]).reshaped([rows, n])
            return Variable.solve(A, rhs)
        }
        return (qdd, mass)
    }

    /// E_θ = q̇·∇_q̇L_θ − L_θ at states s = (q, q̇) [rows, 2n] → [rows].
    public func energy(_ s: Tensor) -> [Double] {
        let n = degreesOfFreedom, rows = s.shape[0]
        let input = Variable(s, requiresGradient: true)
        let θ = network.parameters.map(\.detached)
        let L = Recording.with(true) { network(input, parameters: θ) }
        let g = gradient(of: L.sum(), wrt: [input])[0].value
        return (0..<rows).map { r in
            (0..<n).reduce(-L.value.storage[r]) { $0 + s.storage[r * 2 * n + n + $1] * g.storage[r * 2 * n + n + $1] }
        }
    }

    /// The learned energy E_θ at data states x (the data's coordinates).
    public func learnedEnergy(_ x: [Double]) -> Double {
        energy(velocityState(Tensor(shape: [1, x.count], storage: x))).first!
    }

    /// The learned mass matrix ∂²L/∂q̇² at a data state x, row-major n × n.
    public func massMatrix(at x: [Double]) -> [Double] {
        accelerations(velocityState(Tensor(shape: [1, x.count], storage: x)), createGraph: false).mass.storage
    }

    /// (q, q̇) for data states x [rows, d]: through the kinematics, or x itself.
    func velocityState(_ x: Tensor) -> Tensor {
        guard let kinematics else { return x }
        let n = degreesOfFreedom
        return Tensor.concatenate([x.slice(axis: 1, 0..<n), kinematics.evaluate(x).velocity], axis: 1)
    }

    /// Why the learned mass matrices are (near) singular at some row, or nil: a row whose
    /// smallest direction is below `minimumReciprocalCondition` times the largest ‖A‖ of the batch.
    func massProblem(_ mass: Tensor, states s: Tensor) -> String? {
        // A row that is not finite is named first (the batch's scale is NaN then).
        let size = mass.shape[1] * mass.shape[1]
        let nonFinite = (0..<mass.shape[0]).first { r in !mass.storage[(r * size)..<((r + 1) * size)].allSatisfy(\.isFinite) }
        let rc = nonFinite.map { r in (0..<mass.shape[0]).map { $0 == r ? Double.nan : 1 } }
            ?? BatchedLinearSystem.reciprocalCondition(mass, scale: BatchedLinearSystem.largestNorm(mass))
        guard let row = rc.indices.first(where: { !(rc[$0] >= Self.minimumReciprocalCondition) }) else { return nil }
        let d = dimension
        let state = (0..<d).map { TextPrinter.format(s.storage[row * d + $0], significantDigits: 4) }.joined(separator: ", ")
        let what = rc[row].isNaN ? "is not finite" : "is singular (1/condition = \(TextPrinter.format(rc[row], significantDigits: 3)) against the batch's largest, below \(TextPrinter.format(Self.minimumReciprocalCondition, significantDigits: 3)))"
        return "the learned mass matrix d2L/dqdot2 \(what) at row \(row + 1) of the batch, (q, qdot) = (\(state)): the Euler-Lagrange equations cannot be solved for qddot there"
    }

    // MARK: Model

    public func predict(_ x: Tensor, at parameters: [Variable]?, createGraph: Bool) -> Variable {
        let n = degreesOfFreedom
        let s = velocityState(x)
        let qdd = accelerations(s, at: parameters, createGraph: createGraph).value
        return Recording.with(createGraph) {
            let velocity = Variable(s.slice(axis: 1, n..<(2 * n)))
            guard let kinematics else { return Variable.concatenate([velocity, qdd], axis: 1) }
            let k = kinematics.evaluate(x)
            // ṗ = H_pp⁻¹ (q̈ − H_pq q̇).
            let drift = Tensor.batchedProduct(k.mixed, k.velocity)
            let pdot = Variable.solve(Variable(k.hessian), qdd - Variable(drift))
            return Variable.concatenate([velocity, pdot], axis: 1)
        }
    }

    public func losses(_ batch: Batch, at parameters: [Variable]?) throws -> [String: Variable] {
        let θ = try parameters.map { try resolve($0) }
        let x = try batch.tensor("x", for: kind), dx = try batch.tensor("dx", for: kind)
        let s = velocityState(x), target = accelerationTargets(x, dx)
        let (qdd, mass) = accelerations(s, at: θ, createGraph: Recording.isOn)
        if let problem = massProblem(mass, states: s) { throw NumericalProblem(message: problem) }
        let error = qdd - Variable(target)
        return [loss.rawValue: loss == .mse ? error.square().mean() : error.abs().mean()]
    }

    /// The data's q̈ at states x with derivatives ẋ = (q̇, ṗ) [rows, 2n]: through the kinematics
    /// q̈ = d/dt ∂H/∂p = H_pq q̇ + H_pp ṗ, or ẋ's second half when the state is (q, q̇) itself.
    func accelerationTargets(_ x: Tensor, _ dx: Tensor) -> Tensor {
        let n = degreesOfFreedom
        guard let kinematics else { return dx.slice(axis: 1, n..<(2 * n)) }
        let k = kinematics.evaluate(x)
        return Tensor.zip(Tensor.batchedProduct(k.mixed, dx.slice(axis: 1, 0..<n)), Tensor.batchedProduct(k.hessian, dx.slice(axis: 1, n..<(2 * n))), .add)
    }

    public func outputProblem(on batch: Batch) -> String? {
        MLPArchitecture.outputProblem(network, name: "L_theta", on: batch["x"].map(velocityState))
    }

    /// Forward, ∇ₓL, n Hessian rows and the backward pass over all of them: about 2n + 3 passes.
    public func trainingCost(rows: Int) -> TrainingCost {
        architecture.cost(rows: rows.multipliedReportingOverflow(by: degreesOfFreedom + 1).overflow ? Int.max : rows * (degreesOfFreedom + 1))
    }

    public func evaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>) { fieldEvaluate(x, into: derivative) }
}

/// The map between a dataset's (q, p) and an LNN's (q, q̇) that the data's H defines:
/// q̇ = ∂H/∂p, with the blocks H_pp = ∂²H/∂p∂p and H_pq = ∂²H/∂p∂q (rows i: ∂(∂H/∂p_i)), which
/// convert ṗ to q̈ and back. H must be regular in p (H_pp invertible) where it is used.
public struct LegendreKinematics: @unchecked Sendable {
    /// H with the data's parameter values in it.
    public let hamiltonian: Expr
    /// The state's names, q's then p's.
    public let coordinates: [String]
    let evaluator: SampleEvaluator

    public init(hamiltonian: Expr, coordinates: [String]) throws {
        precondition(coordinates.count % 2 == 0 && !coordinates.isEmpty)
        let n = coordinates.count / 2
        let q = Array(coordinates.prefix(n)), p = Array(coordinates.suffix(n))
        let velocity = p.map { hamiltonian.diff($0) }
        let hessian = velocity.flatMap { v in p.map { v.diff($0) } }
        let mixed = velocity.flatMap { v in q.map { v.diff($0) } }
        if hessian.allSatisfy({ $0.isZero || Simplifier.isProvenZero($0) }) {
            throw ModelError(message: "H does not depend on the momenta beyond linearly (d2H/dp2 = 0): qdot = dH/dp cannot be inverted for p, so there is no Lagrangian in (q, qdot)")
        }
        if let unknown = SampleEvaluator.unknownSymbol(in: [hamiltonian], variables: coordinates, parameters: [:]) {
            throw ModelError(message: "H names '\(unknown)', which is neither a coordinate nor a parameter with a value")
        }
        self.hamiltonian = hamiltonian
        self.coordinates = coordinates
        evaluator = try SampleEvaluator(velocity + hessian + mixed, variables: coordinates)
    }

    /// At states x [rows, 2n]: q̇ = ∂H/∂p [rows, n], H_pp and H_pq [rows, n, n].
    public func evaluate(_ x: Tensor) -> (velocity: Tensor, hessian: Tensor, mixed: Tensor) {
        let rows = x.shape[0], n = coordinates.count / 2
        let v = evaluator.values(rows: x.storage, count: rows)
        func gather(_ offset: Int, _ count: Int) -> [Double] {
            var out = [Double](repeating: 0, count: rows * count)
            for r in 0..<rows { for k in 0..<count { out[r * count + k] = v[offset + k][r] } }
            return out
        }
        return (Tensor(shape: [rows, n], storage: gather(0, n)), Tensor(shape: [rows, n, n], storage: gather(n, n * n)),
                Tensor(shape: [rows, n, n], storage: gather(n + n * n, n * n)))
    }

    /// The first row of x [rows, 2n] where H_pp is (near) singular, with its 1/condition, or nil.
    public func singularRow(_ x: Tensor) -> (row: Int, reciprocalCondition: Double)? {
        let rc = BatchedLinearSystem.reciprocalCondition(evaluate(x).hessian)
        return rc.indices.first { !(rc[$0] >= 1e-12) }.map { ($0, rc[$0]) }
    }

    /// `hamiltonian=H coordinates=q1,…,p1,…` (the text without spaces).
    var specEntries: [ModelSpec.Entry] {
        [.init("hamiltonian", TextPrinter(floatDigits: 17).print(hamiltonian).filter { $0 != " " }), .init("coordinates", coordinates.joined(separator: ","))]
    }

    static let specKeys = ["hamiltonian", "coordinates"]

    /// The kinematics a spec describes, or nil when it has none.
    init?(spec: ModelSpec, dimension: Int) throws {
        guard let text = spec["hamiltonian"] else {
            if spec["coordinates"] != nil { throw ModelError(message: "the lnn spec '\(spec)' has coordinates but no hamiltonian") }
            return nil
        }
        guard let coordinates = spec["coordinates"]?.split(separator: ",").map(String.init), coordinates.count == dimension, Set(coordinates).count == dimension else {
            throw ModelError(message: "the lnn spec '\(spec)' has a hamiltonian without the \(dimension) distinct coordinates it is of")
        }
        let h: Expr
        do { h = try Expr.parse(text) } catch { throw ModelError(message: "the lnn spec's hamiltonian '\(FileError.quoted(text))' does not read as an expression: \(error)") }
        try self.init(hamiltonian: h, coordinates: coordinates)
    }
}

/// A model's loss cannot be evaluated at the current parameters for a numerical reason (an
/// LNN's singular mass matrix): the trainer stops, keeping the last parameters that passed.
public struct NumericalProblem: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

extension Tensor {
    /// y_b = M_b v_b for M [rows, n, n] and v [rows, n].
    static func batchedProduct(_ M: Tensor, _ v: Tensor) -> Tensor {
        let rows = M.shape[0], n = M.shape[1]
        var out = [Double](repeating: 0, count: rows * n)
        for r in 0..<rows {
            for i in 0..<n {
                var s = 0.0
                for j in 0..<n { s += M.storage[r * n * n + i * n + j] * v.storage[r * n + j] }
                out[r * n + i] = s
            }
        }
        return Tensor(shape: [rows, n], storage: out)
    }
}

extension ModelRegistry {
    static let lagrangianNeuralNetwork = Entry(
        name: "lnn",
        summary: "Lagrangian neural network (Cranmer et al.): an MLP L_theta(q, qdot), qddot from the Euler-Lagrange equations per sample (a guarded solve with d2L/dqdot2); on (q, p) data, qdot = dH/dp by the data's H",
        options: mlpOptions + [
            Option("activation", .word(["softplus", "tanh"]), default: .word("softplus"), help: "the hidden layers' activation (softplus, as Cranmer et al.)"),
            Option("loss", .word(LagrangianNeuralNetwork.Loss.allCases.map(\.rawValue)), default: .word("l1"), help: "the error of qddot: l1 (mean absolute error, the more robust: notebooks-full/lnn-robustness.txt) or mse"),
            Option("init", .word(["convex", "cranmer", "orthogonal"]), default: .word("convex"), help: "initial weights: Cranmer et al.'s scaled Gaussians (sigma 2.2/sqrt(n) for the first layer, 0.58 i/sqrt(n) for the hidden-to-hidden layer i, sqrt(n) for the output), the same with the later layers' weights non-negative so that L starts convex (a positive mass matrix everywhere), or orthogonal"),
        ],
        parameterShapes: { spec in try lnnArchitecture(spec).parameterShapes },
        cost: { options, dimension, rows in
            let (hidden, layers) = try mlpSize(options, dimension: dimension, kind: "lnn")
            let n = dimension / 2
            return TrainingCost(dimension: dimension, hidden: hidden, layers: layers, rows: rows.multipliedReportingOverflow(by: n + 1).overflow ? Int.max : rows * (n + 1))
        },
        build: { options, dimension, seed in try lnn(options, dimension: dimension, kinematics: nil, seed: seed) },
        decode: { spec in
            let a = try lnnArchitecture(spec)
            guard let loss = LagrangianNeuralNetwork.Loss(rawValue: spec["loss"] ?? "mse") else {
                throw ModelError(message: "the lnn spec '\(spec)' has an unknown loss (mse, l1)")
            }
            return LagrangianNeuralNetwork(dimension: a.dimension, hidden: a.hidden, layers: a.layers, activation: a.activation,
                                           kinematics: try LegendreKinematics(spec: spec, dimension: a.dimension), loss: loss, seed: 0)
        },
        buildOnData: { options, data, seed in
            guard !data.isSamples else { throw ModelError(message: "an lnn learns dynamics: it needs trajectories with their time derivatives, not configuration samples") }
            let system = try data.sourceSystem()
            if let mismatch = data.columnMismatch(with: system) { throw ModelError(message: mismatch) }
            let values = system.parameterValues(overriding: data.parameters)
            let h = values.isEmpty ? system.hamiltonian : system.hamiltonian.substitute(Dictionary(uniqueKeysWithValues: values.map { (Expr.symbol($0.key), Expr.float($0.value)) }))
            let kinematics = try LegendreKinematics(hamiltonian: h, coordinates: data.names)
            let x = Tensor(shape: [data.count, data.dimension], storage: data.states)
            if data.count > 0, let (row, rc) = kinematics.singularRow(x) {
                throw ModelError(message: "the data's H is not regular in p at row \(row + 1) (d2H/dp2 has 1/condition \(TextPrinter.format(rc, significantDigits: 3))): qdot = dH/dp cannot be inverted for p there, so its states have no (q, qdot) form")
            }
            return try lnn(options, dimension: data.dimension, kinematics: kinematics, seed: seed)
        })

    static func lnn(_ options: [String: Value], dimension: Int, kinematics: LegendreKinematics?, seed: UInt64) throws -> LagrangianNeuralNetwork {
        let (hidden, layers) = try mlpSize(options, dimension: dimension, kind: "lnn")
        guard case .word(let name)? = options["activation"], let activation = Activation(rawValue: name), case .word(let initialization)? = options["init"],
              case .word(let lossName)? = options["loss"], let loss = LagrangianNeuralNetwork.Loss(rawValue: lossName) else {
            throw ModelError(message: "an lnn needs an activation, a loss and an init")
        }
        let model = LagrangianNeuralNetwork(dimension: dimension, hidden: hidden, layers: layers, activation: activation, kinematics: kinematics,
                                            loss: loss, initializer: .orthogonal, seed: seed)
        if initialization == "convex" && activation != .softplus {
            throw ModelError(message: "init: convex makes L convex only with softplus (a convex, increasing activation); with activation: \(name) use init: cranmer or orthogonal")
        }
        if initialization == "cranmer" { model.useCranmerInitialization(seed: seed) }
        if initialization == "convex" { model.useConvexInitialization(seed: seed) }
        return model
    }

    /// An lnn spec's MLP part (its kinematics aside).
    static func lnnArchitecture(_ spec: ModelSpec) throws -> MLPArchitecture {
        try MLPArchitecture(ModelSpec(spec.entries.filter { !(LegendreKinematics.specKeys + ["loss"]).contains($0.key) }), kind: "lnn", outputs: { _ in 1 })
    }
}
