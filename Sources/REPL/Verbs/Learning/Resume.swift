import Symbolic
import Dynamics
import Learn

/// `resume(model, data, steps: N)`: continues a model's run with its optimizer (from `train`
/// or from `read` of a checkpoint), on copies: the model it was given keeps its values.
enum Resume: Verb {
    static let signature = Signature(
        name: "resume", family: .learning, usage: "resume(model, data, steps: 1000)",
        summary: "continues a model's training (from train or read) with its optimizer state; with the same batch: and seed: as the first run, the result equals one longer run to the last bit",
        example: "resume(train(hnn, dataset(harmonic, trajectories: 4, samples: 10), hidden: 8, steps: 5), dataset(harmonic, trajectories: 4, samples: 10), steps: 5)",
        positional: [.required("model", "a model (from train or read)"), .required("data", "a dataset (from dataset or read)")],
        options: TrainingRun.options,
        refusedLabels: Dictionary(uniqueKeysWithValues: Train.modelOptions.map { ($0.label, "resume keeps the model's architecture; '\($0.label):' applies to train") }))

    static func run(_ call: BoundCall) throws -> Value {
        let previous = try call.object(0, ModelValue.self)
        // A variational model (nct) resumes on a Hamiltonian as it trained: resume(m, H, ...).
        let data: Dataset
        let fitsData = (previous.model as? any DensityModel)?.fitsData ?? false
        if previous.model is any VariationalModel, case .expr = try call.evaluation.value(call.positional[1]) {
            guard !fitsData else { throw call.fail("this \(previous.model.kind) was fitted by likelihood to data; resume it on data, as resume(m, data, ...)", at: call.positional[1].location) }
            data = try Train.hamiltonianData(call)
        } else {
            // Configuration samples go only to a model fitted to samples.
            data = try call.dataset(1, samples: fitsData)
        }
        let run = try TrainingRun(call, rate: previous.optimizer?.learningRate)
        try previous.checkColumns(of: data, at: call.positional[1].location, in: call.evaluation)
        return try run.train(previous.model.copy(), optimizer: previous.optimizer?.copy() ?? Adam(learningRate: run.rate), schedule: previous.schedule, on: data, call)
    }
}
