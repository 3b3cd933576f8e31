import Symbolic
import Dynamics

/// `dataset(SYSTEM, trajectories:, samples:, t:, seed:, test:, noise:, sampler:)`: the
/// paper's recipe for the system, with any of its numbers overridden.
enum DatasetVerb: Verb {
    static let signature = Signature(
        name: "dataset", family: .data, usage: "dataset(SYSTEM, trajectories: N, samples: S, t: T, seed: K, test: 0.2, noise: 0, sampler: scnn)",
        summary: "states, exact time derivatives, times and trajectory ids for learning, split into train and test by trajectory; defaults follow the system's paper (SCNN appendix B, Greydanus et al.)",
        example: "dataset(kepler3d, trajectories: 3, samples: 5, seed: 1)",
        positional: [.required("SYSTEM", "a catalog system name, as in dataset(twobody, trajectories: 10)")],
        options: [
            .init("trajectories", .whole(1...1_000_000), defaultText: "the recipe's", "trajectories to simulate"),
            .init("samples", .whole(2...10_000_000), defaultText: "the recipe's", "samples per trajectory"),
            .init("t", .number, defaultText: "the recipe's", "the duration of each trajectory"),
            .init("seed", .whole(0...Int.max), default: 0, "the random seed of the initial states, split and noise"),
            .init("test", .number, defaultText: "the recipe's", "the fraction of trajectories held out for testing"),
            .init("noise", .number, defaultText: "the recipe's", "the standard deviation of Gaussian noise on the states"),
            .init("sampler", .custom("a sampler or recipe name: scnn, greydanus, orbits, sphere, box, songjeong, bondesan"), defaultText: "the system's paper", "how initial states are drawn"),
            .init("radius", .number, default: 3, "the box sampler's half-width"),
        ])

    static func run(_ call: BoundCall) throws -> Value {
        let systemSyntax = call.positional[0]
        var catalogName: String, options: [String: Int] = [:]
        switch systemSyntax {
        case .name(let n, _): catalogName = n
        case .call(let n, let args, _):
            catalogName = n
            for a in args {
                guard let label = a.label, case .number(let text, _) = a.value, let v = Int(text) else {
                    throw call.fail("system options are labelled integers, as in oscillators(n: 4)", at: a.value.location)
                }
                options[label] = v
            }
        default: throw call.fail("dataset needs a catalog system name first, as in dataset(twobody, trajectories: 10)", at: systemSyntax.location)
        }
        let system: HamiltonianSystem
        do { system = try Catalog.system(catalogName, options: options) } catch {
            throw call.fail("\(error)", at: systemSyntax.location)
        }
        if let (target, _) = Catalog.aliases[catalogName] { catalogName = target }
        var recipe = InitialConditions.recipe(for: catalogName)
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
        let seed = UInt64(try call.whole("seed")!), radius = try call.number("radius")!
        do {
            let data = try Dataset.generate(.init(system: system, catalogName: catalogName, recipe: recipe, seed: seed, radius: radius))
            return .object(DatasetValue(dataset: data, source: "\(recipe.source), sampler \(recipe.sampler)"))
        } catch {
            throw call.fail("\(error)", at: systemSyntax.location)
        }
    }
}
