import Symbolic
import Dynamics
import Learn

/// `latent(m, data)`: a model's latent coordinates at every row of the data, as a table.
enum Latent: Verb {
    static let signature = Signature(
        name: "latent", family: .learning, usage: "latent(model, data)",
        summary: "a model's latent coordinates (an SCNN's Q_i and P_i) at every row of a dataset: a table with a summary of each column, which save writes as CSV",
        example: "latent(train(scnn, dataset(harmonic, trajectories: 4, samples: 10), hidden: 8, steps: 5), dataset(harmonic, trajectories: 4, samples: 10))",
        positional: [.required("model", "a model with latent coordinates (train(scnn, ...))"), .required("data", "a dataset (from dataset or read)")])

    static func run(_ call: BoundCall) throws -> Value {
        let m = try call.object(0, ModelValue.self)
        let data = try call.dataset(1, samples: m.model is any PointTransformationModel)
        try m.checkColumns(of: data, at: call.positional[1].location, in: call.evaluation)
        guard let latent = m.model as? any LatentModel else {
            let kinds = ModelRegistry.kinds { $0 is any LatentModel }.map { "train(\($0), ...)" }.joined(separator: " or ")
            throw call.fail("a \(m.model.kind) model has no latent coordinates; \(kinds) has", at: call.positional[0].location)
        }
        let z = latent.latentValues(Tensor(shape: [data.count, data.phaseSpaceDimension], storage: data.phaseSpaceStates))
        return .object(TableValue(title: "latent coordinates of the \(m.model.kind) model on \(data.system)", names: latent.latentNames,
                                  values: z.storage, data: data))
    }
}
