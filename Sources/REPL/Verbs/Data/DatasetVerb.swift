import Symbolic
import Dynamics

/// `dataset(SYSTEM, trajectories:, samples:, t:, seed:, test:, noise:, sampler:)`: the
/// paper's recipe for the system, with any of its numbers overridden; or `dataset(H, ...)` for
/// any Hamiltonian over the session's canonical pairs (a system the catalog lacks).
enum DatasetVerb: Verb {
    static let signature = Signature(
        name: "dataset", family: .data, usage: "dataset(SYSTEM, trajectories: N, samples: S, t: T, seed: K, test: 0.2, noise: 0, sampler: scnn)   or   dataset(H, box: [-1, 1], energy: [lo, hi])",
        summary: "states, exact time derivatives, times and trajectory ids for learning, split into train and test by trajectory; defaults follow the system's paper (SCNN appendix B, Greydanus et al.); any expression over the session's canonical pairs instead of a catalog name makes a dataset of that H (states uniform in a box, or x0: given)",
        example: "dataset(kepler3d, trajectories: 3, samples: 5, seed: 1)",
        positional: [.required("SYSTEM", "a catalog system name, as in dataset(twobody, trajectories: 10), or a Hamiltonian over the session's canonical pairs")],
        options: [
            .init("trajectories", .whole(1...1_000_000), defaultText: "the recipe's", "trajectories to simulate"),
            .init("samples", .whole(2...10_000_000), defaultText: "the recipe's", "samples per trajectory"),
            .init("t", .number, defaultText: "the recipe's", "the duration of each trajectory"),
            .init("seed", .whole(0...Int.max), default: 0, "the random seed of the initial states, split and noise"),
            .init("test", .number, defaultText: "the recipe's", "the fraction of trajectories held out for testing"),
            .init("noise", .number, defaultText: "the recipe's", "the standard deviation of Gaussian noise on the states"),
            .init("sampler", .custom("a sampler or recipe name: scnn, greydanus, orbits, sphere, box, songjeong, bondesan"), defaultText: "the system's paper", "how initial states are drawn"),
            .init("tangent", .custom("true or false"), defaultText: "false", "Neumann: store the momenta projected on the sphere's tangent space, p - (q.p) q/|q|^2 (the particle constrained to the sphere; H lets q.p drift)"),
            .init("radius", .custom("a number > 0, or a list of them"), default: 3, "the sphere sampler's radius (Neumann); a list [3, 5, 7] makes 'trajectories:' trajectories at each radius"),
            .init("box", .numbers, defaultText: "[-1, 1]", "[low, high]: every coordinate of the initial states uniform in it (the box sampler)"),
            .init("energy", .numbers, "[low, high]: keep initial states whose energy is in it (redrawn until one is)"),
            .init("x0", .custom("a list of initial states, as in [[1, 0], [0, 1]]"), "given initial states, one a trajectory, instead of a sampler"),
            .init("dof", .whole(1...64), defaultText: "the system's", "pad the phase space to this many degrees of freedom with coordinates qpad1.., ppad1.. that stay 0 (for meta-learning over systems of different sizes)"),
        ])

    static func run(_ call: BoundCall) throws -> Value {
        let systemSyntax = call.positional[0]
        var (system, catalogName, recipe) = try source(call)
        // A named paper recipe first, then the numbers given override it.
        if let s = call.option("sampler") {
            guard case .name(let sampler, _) = s else { throw call.fail("sampler is a name such as scnn, songjeong or bondesan", at: s.location) }
            do { recipe = try InitialConditions.recipe(for: catalogName, sampler: sampler) } catch { throw call.fail("\(error)", at: s.location) }
        }
        // In the order written, so the first bad value is the one reported.
        try call.checkGivenOptions()
        for l in call.labelled {
            switch l.label! {
            case "trajectories": recipe.trajectories = try call.whole("trajectories")!
            case "samples": recipe.samples = try call.whole("samples")!
            case "t": recipe.duration = try call.number("t")!
            case "test": recipe.testFraction = try call.number("test")!
            case "noise": recipe.noise = try call.number("noise")!
            default: break
            }
        }
        let seed = UInt64(try call.whole("seed")!)
        var radius = 3.0, radii: [Double]?
        if let r = call.option("radius") {
            if case .list = try call.evaluation.value(r) {
                let list = try call.evaluation.numbers(r, "radius")
                guard !list.isEmpty, list.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw call.fail("'radius:' radii are numbers > 0", at: r.location) }
                radii = list
            } else {
                radius = try call.evaluation.positiveOption(r, "radius")
            }
            guard catalogName == "neumann" else { throw call.fail("'radius:' is the Neumann model's sphere; \(catalogName) has none", at: r.location) }
        }
        var spec = Dataset.Specification(system: system, catalogName: catalogName, recipe: recipe, seed: seed, radius: radius)
        spec.radii = radii
        if let s = call.option("tangent") {
            guard case .bool(let b) = try call.evaluation.value(s) else { throw call.fail("'tangent:' is true or false", at: s.location) }
            guard catalogName == "neumann" || !b else { throw call.fail("'tangent:' projects the Neumann model's momenta on its sphere; \(catalogName) has none", at: s.location) }
            spec.tangentMomenta = b
        }
        spec.recordsHamiltonian = catalogName == customName
        if let bounds = try range("box", call) {
            spec.box = (bounds.lowerBound, bounds.upperBound)
            spec.recipe.sampler = "box"
        }
        spec.energyRange = try range("energy", call)
        if let s = call.option("x0") {
            guard !call.has("trajectories") else { throw call.fail("'trajectories:' and 'x0:' both say how many trajectories; x0 gives one a state", at: s.location) }
            // Given states are not drawn, so a sampler's settings would be ignored: refused.
            if let other = ["sampler", "box", "energy", "radius"].first(where: call.has) {
                throw call.fail("'\(other):' says how initial states are drawn; x0 gives them", at: call.location(of: other))
            }
            guard case .list(let items) = try call.evaluation.value(s), !items.isEmpty else { throw call.fail("x0 is a list of initial states, as in x0: [[1, 0], [0, 1]]", at: s.location) }
            spec.initialStates = try items.map { try call.evaluation.numbers($0, at: s.location, "each initial state") }
            spec.recipe.sampler = "given"
        }
        recipe = spec.recipe
        do {
            var data = try Dataset.generate(spec)
            if let dof = try call.whole("dof") {
                do { data = try data.padded(toDegreesOfFreedom: dof) } catch { throw call.fail("\(error)", at: call.location(of: "dof")) }
            }
            return .object(DatasetValue(dataset: data, source: "\(recipe.source), sampler \(recipe.sampler)"))
        } catch let d as Diagnostic {
            throw d
        } catch {
            throw call.fail("\(error)", at: systemSyntax.location)
        }
    }

    /// The system's name in a dataset of the session's own H.
    static let customName = "custom"

    /// The system, its catalog name and its recipe: a catalog system by name (with options, as
    /// in oscillators(n: 4)), or the session's own H (any expression over its canonical pairs),
    /// sampled in a box unless told otherwise.
    static func source(_ call: BoundCall) throws -> (HamiltonianSystem, String, InitialConditions.Recipe) {
        let systemSyntax = call.positional[0]
        var catalogName: String, options: [String: Int] = [:]
        switch systemSyntax {
        case .name(let n, _) where Catalog.names.contains(n) || call.session.definitions[n] == nil: catalogName = n
        case .call(let n, let args, _) where Catalog.names.contains(n):
            catalogName = n
            for a in args {
                guard let label = a.label, case .number(let text, _) = a.value, let v = Int(text) else {
                    throw call.fail("system options are labelled integers, as in oscillators(n: 4)", at: a.value.location)
                }
                options[label] = v
            }
        default:
            return try custom(call)
        }
        let system: HamiltonianSystem
        do { system = try Catalog.system(catalogName, options: options) } catch {
            throw call.fail("\(error)", at: systemSyntax.location)
        }
        if let (target, _) = Catalog.aliases[catalogName] { catalogName = target }
        return (system, catalogName, InitialConditions.recipe(for: catalogName))
    }

    /// A dataset of the session's H over its canonical pairs. Symbols of H other than the
    /// coordinates take the loaded system's parameter values; any other is an error.
    static func custom(_ call: BoundCall) throws -> (HamiltonianSystem, String, InitialConditions.Recipe) {
        let (h, parameters) = try sessionHamiltonian(call, argument: 0) { "dataset(subs(H, \($0): 1), ...)" }
        var recipe = InitialConditions.recipe(for: customName)
        recipe.parameters = parameters
        recipe.source = "the session's H"
        return (HamiltonianSystem(custom: h, pairs: call.session.pairs, name: customName), customName, recipe)
    }

    /// Argument `index` as an H over the session's canonical pairs, with the values of the
    /// parameters it uses (the loaded system's). A symbol that is neither a coordinate nor such a
    /// parameter is an error, with `example(symbol)` showing how to substitute it.
    static func sessionHamiltonian(_ call: BoundCall, argument index: Int, example: (String) -> String) throws -> (Expr, [String: Double]) {
        let h = try call.expression(index)
        try call.evaluation.needPairs(call.location, call.name)
        let stateNames = call.session.pairs.map(\.q) + call.session.pairs.map(\.p)
        let symbols = Set(h.freeSymbols).subtracting(stateNames)
        let known = call.session.system?.parameterValues() ?? [:]
        if let missing = symbols.subtracting(known.keys).sorted().first {
            throw call.fail("H has a symbol '\(Diagnostic.escaped(missing))' that is neither a coordinate (\(stateNames.joined(separator: ", "))) nor a parameter with a value: substitute one, as in \(example(missing))", at: call.positional[index].location)
        }
        return (h, known.filter { symbols.contains($0.key) })
    }

    /// A `[low, high]` option (box:, energy:), or nil when absent.
    static func range(_ label: String, _ call: BoundCall) throws -> ClosedRange<Double>? {
        guard let bounds = try call.numbers(label) else { return nil }
        guard bounds.count == 2, bounds[0] < bounds[1] else {
            throw call.fail("'\(label):' is [low, high] with low < high", at: call.location(of: label))
        }
        return bounds[0]...bounds[1]
    }
}
