import Symbolic

/// Samples of trajectories for learning: states x, their exact time derivatives ẋ = Ω∇H
/// (evaluated at the noise-free states), times and trajectory ids, with a train/test split by
/// trajectory (never inside one). Row-major: sample k is `states[k*d ..< (k+1)*d]`.
public struct Dataset: Sendable {
    public var system: String
    public var names: [String]
    public var parameters: [String: Double]
    public var sampler: String
    public var seed: UInt64
    public var noise: Double
    public var states: [Double]
    public var derivatives: [Double]
    public var times: [Double]
    public var trajectoryIDs: [Int]
    /// Whether each trajectory is in the test set, by trajectory id.
    public var isTestTrajectory: [Bool]
    /// What reading it from a file noticed and the user should know (an older file without a
    /// row count, renumbered trajectory ids); empty for generated data.
    public var notes: [String] = []
    /// The Hamiltonian as text, for a system that is not in the catalog (typed in the session):
    /// what `evaluate` rebuilds the true system from. nil for catalog systems, which are rebuilt
    /// by name.
    public var hamiltonian: String? = nil
    /// A class label per row (the digits' 0–9), for data that has them; nil otherwise.
    public var labels: [Int]? = nil
    /// Where data from outside Noether came from and under what licence (a file's `source:`).
    public var source: String? = nil

    public var dimension: Int { names.count }
    /// Configuration samples (`sampler: samples`): rows are points q of configuration space,
    /// with no momenta, times or derivatives; each row is its own "trajectory", so the split is
    /// by row. What a density model (an nct by maximum likelihood) trains on.
    public var isSamples: Bool { sampler == Self.samplesSampler }
    public static let samplesSampler = "samples"
    /// The dimension of the phase space the rows live in: 2n for n-coordinate samples, whose
    /// momenta a model supplies; the state's dimension otherwise.
    public var phaseSpaceDimension: Int { isSamples ? 2 * dimension : dimension }
    /// The rows as phase-space states [count, phaseSpaceDimension]: configuration samples with
    /// zero momenta (the configuration's latent coordinates Q are then exact, and P = 0).
    public var phaseSpaceStates: [Double] {
        guard isSamples else { return states }
        let d = dimension
        return (0..<count).flatMap { states[($0 * d)..<($0 * d + d)] + repeatElement(0, count: d) }
    }
    public var count: Int { times.count }
    public var trajectoryCount: Int { isTestTrajectory.count }
    public var testTrajectoryCount: Int { isTestTrajectory.filter { $0 }.count }
    public func isTest(_ sample: Int) -> Bool { isTestTrajectory[trajectoryIDs[sample]] }

    /// The most rows (samples over all trajectories) a generated dataset may hold: 5e6. A row
    /// stores the state, its derivative, a time and an id, (2d + 2) × 8 bytes: 0.7 GB for
    /// d = 8. `generate` and the REPL's `dataset` refuse more.
    public static let maximumRows = 5_000_000

    public struct Specification: Sendable {
        public var system: HamiltonianSystem
        /// The catalog name without options ("oscillators" for oscillators(n: 3, seed: 0)).
        public var catalogName: String
        public var recipe: InitialConditions.Recipe
        public var seed: UInt64
        /// The sphere's radius for the Neumann model's `sphere` sampler.
        public var radius: Double
        /// Several radii: `recipe.trajectories` trajectories at each, in this order (Bondesan &
        /// Lamacraft train on r = 3, 5, 7 and test on 2…8). Overrides `radius`.
        public var radii: [Double]? = nil
        /// The `box` sampler's bounds: every coordinate uniform in [low, high].
        public var box: (low: Double, high: Double) = (-1, 1)
        /// Given initial states, one a trajectory, instead of a sampler.
        public var initialStates: [[Double]]?
        /// Keep only initial states whose energy H(x0) lies in this range (by rejection).
        public var energyRange: ClosedRange<Double>?
        /// Record the Hamiltonian's text in the data (a system not in the catalog).
        public var recordsHamiltonian = false
        /// Store each sample's momenta projected on the tangent space of its sphere |q| = const,
        /// p − (q·p) q/|q|², with the derivative of that projection: the Neumann model as a
        /// particle constrained to the sphere. Its H = ¼ Σ J_ij² + ½ Σ a_i q_i² fixes q and J
        /// but not the radial momentum q·p, which drifts (d(q·p)/dt = −Σ a_i q_i²) along every
        /// trajectory of the unconstrained flow in ℝ²ⁿ; the integrals depend on q and J only.
        public var tangentMomenta = false

        public init(system: HamiltonianSystem, catalogName: String, recipe: InitialConditions.Recipe, seed: UInt64, radius: Double = 3) {
            self.system = system; self.catalogName = catalogName; self.recipe = recipe; self.seed = seed; self.radius = radius
        }
    }

    /// How many draws the energy filter makes for one initial state before it gives up.
    public static let energyFilterDraws = 100_000

    /// Generates a dataset: initial states from the recipe's sampler, trajectories by rk8pd at
    /// rtol = atol = 1e-10 sampled at `samples` equally spaced times over [0, duration], exact
    /// derivatives from the compiled field, then Gaussian noise of the recipe's σ on the states.
    /// The same seed gives the same numbers.
    public static func generate(_ spec: Specification) throws -> Dataset {
        var recipe = spec.recipe
        let perRadius = recipe.trajectories
        if let radii = spec.radii { recipe.trajectories *= radii.count }
        if let given = spec.initialStates { recipe.trajectories = given.count }
        guard recipe.trajectories <= maximumRows / max(1, recipe.samples) else {
            throw CatalogError(message: "a dataset of \(recipe.trajectories) trajectories x \(recipe.samples) samples is too large (at most \(maximumRows) rows)")
        }
        guard recipe.trajectories > 0, recipe.samples > 1, recipe.duration > 0, (0...1).contains(recipe.testFraction) else {
            throw CatalogError(message: "a dataset needs at least 1 trajectory, 2 samples, a positive duration and a test fraction in [0, 1]")
        }
        let values = spec.system.parameterValues(overriding: recipe.parameters)
        let field = try HamiltonianVectorField(hamiltonian: spec.system.hamiltonian, pairs: spec.system.pairs, parameters: values, native: true)
        let d = field.dimension
        var rng = SeededGenerator(seed: spec.seed)
        let times = (0..<recipe.samples).map { recipe.duration * Double($0) / Double(recipe.samples - 1) }
        let integrator = AdaptiveIntegrator(.rk8pd, relativeTolerance: 1e-10, absoluteTolerance: 1e-10)
        if let given = spec.initialStates, let bad = given.firstIndex(where: { $0.count != d }) {
            throw CatalogError(message: "initial state \(bad + 1) has \(given[bad].count) values; the state is (\(field.stateNames.joined(separator: ", "))): \(d) values")
        }
        var data = Dataset(system: spec.system.name, names: field.stateNames, parameters: values, sampler: recipe.sampler + (spec.tangentMomenta ? "-tangent" : ""),
                           seed: spec.seed, noise: recipe.noise, states: [], derivatives: [], times: [], trajectoryIDs: [], isTestTrajectory: [])
        if spec.recordsHamiltonian { data.hamiltonian = TextPrinter(floatDigits: 17).print(spec.system.hamiltonian) }
        data.states.reserveCapacity(recipe.trajectories * recipe.samples * d)
        var derivative = [Double](repeating: 0, count: d)
        for id in 0..<recipe.trajectories {
            try Interrupt.check()
            var at = spec
            if let radii = spec.radii, spec.initialStates == nil { at.radius = radii[min(radii.count - 1, id / max(1, perRadius))] }
            let x0 = try initialState(id, at, recipe, dimension: d, &rng) { field.energy($0) }
            let trajectory = try integrator.run(field, from: x0, times: times)
            for k in 0..<trajectory.count {
                var x = Array(trajectory.state(k))
                x.withUnsafeBufferPointer { xs in derivative.withUnsafeMutableBufferPointer { field.evaluate(xs.baseAddress!, into: $0.baseAddress!) } }
                if spec.tangentMomenta { Self.projectMomenta(&x, &derivative) }
                data.states += recipe.noise > 0 ? x.map { $0 + rng.normal(standardDeviation: recipe.noise) } : x
                data.derivatives += derivative
                data.times.append(trajectory.times[k])
                data.trajectoryIDs.append(id)
            }
        }
        // Test trajectories: a seeded random subset of the requested size.
        let testCount = Int((Double(recipe.trajectories) * recipe.testFraction).rounded())
        var order = Array(0..<recipe.trajectories)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        data.isTestTrajectory = [Bool](repeating: false, count: recipe.trajectories)
        for id in order.prefix(testCount) { data.isTestTrajectory[id] = true }
        return data
    }

    /// (q, p) ↦ (q, p − s q/ρ) with s = q·p, ρ = |q|², and its time derivative by the chain rule:
    /// ṗ − (ṡ q + s q̇)/ρ + s q ρ̇/ρ², ṡ = q̇·p + q·ṗ, ρ̇ = 2 q·q̇.
    static func projectMomenta(_ x: inout [Double], _ dx: inout [Double]) {
        let n = x.count / 2
        var rho = 0.0, s = 0.0, sDot = 0.0, rhoDot = 0.0
        for i in 0..<n {
            rho += x[i] * x[i]; s += x[i] * x[n + i]
            sDot += dx[i] * x[n + i] + x[i] * dx[n + i]; rhoDot += 2 * x[i] * dx[i]
        }
        guard rho > 0 else { return }
        for i in 0..<n {
            dx[n + i] += -(sDot * x[i] + s * dx[i]) / rho + s * x[i] * rhoDot / (rho * rho)
            x[n + i] -= s * x[i] / rho
        }
    }

    /// Trajectory `id`'s initial state: the given one, or a draw of the recipe's sampler (in
    /// the spec's box), redrawn until its energy is in the spec's range.
    static func initialState(_ id: Int, _ spec: Specification, _ recipe: InitialConditions.Recipe, dimension d: Int, _ rng: inout SeededGenerator,
                             energy: ([Double]) -> Double) throws -> [Double] {
        if let given = spec.initialStates { return given[id] }
        for _ in 0..<(spec.energyRange == nil ? 1 : energyFilterDraws) {
            let x0 = try InitialConditions.sample(spec.catalogName, sampler: recipe.sampler, dimension: d, &rng, radius: spec.radius, box: spec.box, energy: energy)
            guard let range = spec.energyRange else { return x0 }
            if range.contains(energy(x0)) { return x0 }
        }
        let range = spec.energyRange!
        throw CatalogError(message: "no initial state with energy in [\(TextPrinter.format(range.lowerBound, significantDigits: 6)), \(TextPrinter.format(range.upperBound, significantDigits: 6))] in \(energyFilterDraws) draws of the \(recipe.sampler) sampler; widen the range or the box")
    }

    /// Data with no rows that carries a Hamiltonian: what a model trained on H alone (a
    /// variational nct) needs, the system, its coordinates and parameter values.
    public static func hamiltonian(_ h: Expr, system: String, names: [String], parameters: [String: Double]) -> Dataset {
        var data = Dataset(system: system, names: names, parameters: parameters, sampler: "none (the Hamiltonian alone)", seed: 0, noise: 0,
                           states: [], derivatives: [], times: [], trajectoryIDs: [], isTestTrajectory: [])
        data.hamiltonian = TextPrinter(floatDigits: 17).print(h)
        return data
    }

    /// Configuration samples: rows of `values` (row-major, `names.count` each), test rows marked,
    /// optional labels.
    public static func samples(system: String, names: [String], values: [Double], isTest: [Bool], labels: [Int]? = nil, source: String? = nil,
                               parameters: [String: Double] = [:]) -> Dataset {
        precondition(!names.isEmpty && values.count == names.count * isTest.count && (labels?.count ?? isTest.count) == isTest.count)
        var data = Dataset(system: system, names: names, parameters: parameters, sampler: samplesSampler, seed: 0, noise: 0, states: values, derivatives: [],
                           times: Array(repeating: 0, count: isTest.count), trajectoryIDs: Array(0..<isTest.count), isTestTrajectory: isTest)
        data.labels = labels
        data.source = source
        return data
    }

    /// The system the data came from: the Hamiltonian it carries (a system typed in the
    /// session, over the pairs its columns name: q's first, then p's), or else the catalog's
    /// system of its name (parameters kept as symbols).
    public func sourceSystem() throws -> HamiltonianSystem {
        guard let text = hamiltonian else { return try Catalog.system(described: system) }
        let n = dimension / 2
        return HamiltonianSystem(custom: try Expr.parse(text), pairs: (0..<n).map { CanonicalPair(names[$0], names[n + $0]) }, name: system)
    }

    /// The data's H as a compiled field at the data's parameter values: the system it came from
    /// (`sourceSystem`), checked against its columns.
    public func compiledField() throws -> HamiltonianVectorField {
        let system = try sourceSystem()
        if let mismatch = columnMismatch(with: system) { throw CatalogError(message: mismatch) }
        return try HamiltonianVectorField(hamiltonian: system.hamiltonian, pairs: system.pairs,
                                          parameters: system.parameterValues(overriding: parameters), native: true)
    }

    /// Why `source`'s state is not the data's columns (so that nothing compares different
    /// things), or nil when it is.
    public func columnMismatch(with source: HamiltonianSystem) -> String? {
        let stateNames = source.pairs.map(\.q) + source.pairs.map(\.p)
        guard stateNames != names else { return nil }
        return "the data names the system '\(system)', whose state is (\(stateNames.joined(separator: ", "))), but its columns are (\(names.joined(separator: ", ")))"
    }
}
