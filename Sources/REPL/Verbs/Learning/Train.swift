import Foundation
import Symbolic
import Dynamics
import Learn

/// `train(hnn, data, hidden: 200, layers: 2, steps: 2000, lr: 1e-3, batch: 0, seed: 0,
/// checkpoint: "file")`: a new model trained on a dataset's train split.
enum Train: Verb {
    static let signature = Signature(
        name: "train", family: .learning, usage: "train(hnn, data, hidden: 200, layers: 2, steps: 2000, lr: 1e-3, batch: 0, seed: 0, checkpoint: \"m.ckpt\")",
        summary: "trains an HNN (ẋ = Ω∇H_θ) or a baseline MLP (predicts ẋ) on a dataset's train split with Adam; batch 0 is full batch; plateau: 0.5, patience: 100 cut the rate when the loss stalls; checkpoint: writes model and optimizer as it goes. A loss or gradient that is not finite, an output that can overflow or a loss above 1e6 times the run's lowest (divergence) stops it with the last parameters that passed; the train loss shown is that of the parameters kept. An HNN's learned Hamiltonian is model.H([q, p]) or model.H(trajectory)",
        example: "train(hnn, dataset(harmonic, trajectories: 4, samples: 10), hidden: 16, steps: 20, lr: 0.01)",
        positional: [.required("KIND", "the model kind: hnn or baseline"), .required("data", "a dataset (from dataset or read)")],
        options: [
            .init("hidden", .whole(1...4096), default: 200, "units per hidden layer"),
            .init("layers", .whole(1...32), default: 2, "hidden layers"),
        ] + TrainingRun.options)

    static func run(_ call: BoundCall) throws -> Value {
        guard case .name(let kindName, _) = call.positional[0], let kind = DynamicsModel.Kind(rawValue: kindName) else {
            throw call.fail("train's first argument is the model kind: hnn or baseline", at: call.positional[0].location)
        }
        let data = try call.object(1, DatasetValue.self).dataset
        let run = try TrainingRun(call, rate: nil)
        let hidden = try call.whole("hidden")!, layers = try call.whole("layers")!
        // One step's work grows as parameters x batch rows: refuse what would take minutes.
        let rows = run.batch <= 0 ? data.count : min(run.batch, data.count)
        let cost = TrainingCost(dimension: data.dimension, hidden: hidden, layers: layers, rows: rows)
        guard cost.work <= TrainingCost.limit else {
            throw call.fail("one training step would cost about \(TextPrinter.format(cost.work, significantDigits: 3)) parameter-rows "
                            + "(\(cost.parameters) parameters x \(rows) rows), more than the limit of \(TextPrinter.format(TrainingCost.limit, significantDigits: 3)) "
                            + "(several seconds a step); use fewer hidden units or layers, or a batch: of at most \(max(1, Int(TrainingCost.limit / Double(cost.parameters)))) rows")
        }
        let model = DynamicsModel(kind: kind, dimension: data.dimension, hidden: hidden, layers: layers, initializer: .orthogonal, seed: run.seed)
        return try run.train(model, optimizer: Adam(learningRate: run.rate), on: data, call)
    }
}
