import Symbolic
import Dynamics
import Learn

/// `evaluate(model, data, t: T)`: the error of the predicted dx/dt on both splits, and
/// Greydanus et al.'s rollout metrics from the test trajectories' first states against the
/// true system (over the data's time span, or T).
enum Evaluate: Verb {
    static let signature = Signature(
        name: "evaluate", family: .learning, usage: "evaluate(model, data, t: T)",
        summary: "the mean squared error of the model's dx/dt on the train and test splits, and Greydanus et al.'s rollout metrics: from each test trajectory's first state, trajectory MSE and energy MSE against the true system over [0, T] (default: the data's span)",
        example: "evaluate(train(baseline, dataset(harmonic, trajectories: 4, samples: 10), hidden: 8, steps: 5), dataset(harmonic, trajectories: 4, samples: 10))",
        positional: [.required("model", "a model (from train or read)"), .required("data", "a dataset (from dataset or read)")],
        options: [.init("t", .positive, defaultText: "the data's time span", "the rollout horizon")])

    static func run(_ call: BoundCall) throws -> Value {
        let m = try call.object(0, ModelValue.self)
        let d = try call.object(1, DatasetValue.self).dataset
        try m.checkColumns(of: d, at: call.positional[1].location, in: call.evaluation)
        var lines: [String] = []
        // Same columns from another system (or other parameters) is a legitimate question,
        // how the model does off its training distribution, but it is said.
        if d.system != m.system {
            lines.append("note: the model was trained on data of '\(m.system)', this data is of '\(d.system)'")
        } else if d.parameters != m.parameters {
            let text = { (p: [String: Double]) in p.isEmpty ? "none" : p.sorted { $0.key < $1.key }.map { "\($0.key) = \(TextPrinter.format($0.value, significantDigits: 6))" }.joined(separator: ", ") }
            lines.append("note: the model was trained on '\(m.system)' with parameters \(text(m.parameters)), this data has \(text(d.parameters))")
        }
        let n = d.dimension
        for (split, rows) in [("train", (0..<d.count).filter { !d.isTest($0) }), ("test", (0..<d.count).filter { d.isTest($0) })] where !rows.isEmpty {
            let x = Tensor(shape: [rows.count, n], storage: rows.flatMap { d.states[($0 * n)..<(($0 + 1) * n)] })
            let y = Tensor(shape: [rows.count, n], storage: rows.flatMap { d.derivatives[($0 * n)..<(($0 + 1) * n)] })
            let mse = (m.model.predict(x, createGraph: false) - Variable(y)).square().mean().value.scalar
            lines.append("\(split): mean squared error of dx/dt \(TextPrinter.format(mse, significantDigits: 3)) over \(rows.count) samples")
        }
        // The first sample of each test trajectory, and the sample times of one trajectory.
        var starts: [[Double]] = [], seen = Set<Int>()
        for k in 0..<d.count where d.isTest(k) && seen.insert(d.trajectoryIDs[k]).inserted { starts.append(Array(d.states[(k * n)..<((k + 1) * n)])) }
        guard !starts.isEmpty else { return .text(lines.joined(separator: "\n")) }
        let perTrajectory = max(2, d.count / max(1, d.trajectoryCount))
        let horizon = try call.number("t") ?? d.times.max() ?? 0
        guard horizon > 0 else { return .text(lines.joined(separator: "\n")) }
        let ratio = horizon / max(1e-300, d.times.max() ?? horizon)
        guard ratio <= 1000 else { throw call.fail("t is more than 1000 times the data's time span; roll out with rollout(...) instead", at: call.location, width: 8) }
        let samples = max(perTrajectory, Int((Double(perTrajectory) * ratio).rounded()))
        let times = (0..<samples).map { horizon * Double($0) / Double(samples - 1) }
        let truth: HamiltonianVectorField
        do {
            let system = try Catalog.system(d.system)
            // The header names the system; its state must be the data's columns, or the
            // rollouts would compare different things (or not fit together at all).
            let stateNames = system.pairs.map(\.q) + system.pairs.map(\.p)
            guard stateNames == d.names else {
                lines.append("rollouts: not compared (the data names the system '\(d.system)', whose state is (\(stateNames.joined(separator: ", "))), "
                             + "but its columns are (\(d.names.joined(separator: ", "))))")
                return .text(lines.joined(separator: "\n"))
            }
            truth = try HamiltonianVectorField(hamiltonian: system.hamiltonian, pairs: system.pairs, parameters: d.parameters, native: true)
        } catch {
            lines.append("rollouts: not compared (the true system '\(d.system)' cannot be rebuilt by that name: \(error))")
            return .text(lines.joined(separator: "\n"))
        }
        do {
            let c = try RolloutComparison.run(model: m.model, truth: truth, initialStates: starts, times: times)
            let short = { (x: Double) in TextPrinter.format(x, significantDigits: 3) }
            lines.append("test rollouts: \(c.trajectories) trajectories over t in [0, \(short(horizon))] (dopri5, tolerance 1e-9): "
                         + "trajectory MSE \(short(c.trajectoryMSE)), energy MSE \(short(c.energyMSE))")
        } catch {
            lines.append("rollouts: \(error)")
        }
        return .text(lines.joined(separator: "\n"))
    }
}
