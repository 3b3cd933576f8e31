import Symbolic
import Dynamics
import Learn

/// `sample(m, n: 1000, seed: 0)`: configurations drawn from a point-transformation model (an
/// nct), q = F(Q) with Q from its latent Gaussian, as configuration samples.
enum Sample: Verb {
    static let signature = Signature(
        name: "sample", family: .learning, usage: "sample(model, n: 1000, seed: 0)",
        summary: "draws n configurations from an nct's density: Q_k ~ N(0, 1/(beta w_k^2)), seeded, mapped to q = F(Q); the result is configuration samples (every fifth in the test split), which latent, plot, save and train(nct, ...) take. Momenta are not drawn: a fit by likelihood draws them N(0, 1/beta), as for unit masses",
        example: "sample(train(nct, read(\"data/digits.csv\"), layers: 2, hidden: 8, steps: 3, batch: 32), n: 5, seed: 0)",
        positional: [.required("model", "an nct (from train or read)")],
        options: [.init("n", .whole(1...1_000_000), default: 1000, "how many configurations"),
                  .init("seed", .whole(0...Int.max), default: 0, "the generator's seed")])

    static func run(_ call: BoundCall) throws -> Value {
        let m = try call.object(0, ModelValue.self)
        guard let model = m.model as? any PointTransformationModel else {
            let kinds = ModelRegistry.kinds { $0 is any PointTransformationModel }.map { "train(\($0), ...)" }.joined(separator: " or ")
            throw call.fail("a \(m.model.kind) model has no density to sample; \(kinds) has", at: call.positional[0].location)
        }
        let count = try call.whole("n")!, seed = UInt64(try call.whole("seed")!)
        let n = model.dimension / 2
        guard count.multipliedReportingOverflow(by: n).partialValue <= 50_000_000 else {
            throw call.fail("\(count) samples of \(n) coordinates is more than 5e7 numbers; draw fewer", at: call.location(of: "n"))
        }
        // The configuration names: all of a samples model's, the q's of a phase-space one.
        let names = m.names.count == n ? m.names : Array(m.names.prefix(n))
        let q = model.sampleConfigurations(count, seed: seed)
        let data = Dataset.samples(system: m.system, names: names, values: q.storage, isTest: (0..<count).map { $0 % 5 == 4 }, parameters: m.parameters)
        return .object(DatasetValue(dataset: data, source: "\(count) samples of the \(m.model.kind) model, seed \(seed)"))
    }
}
