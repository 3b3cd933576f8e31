import Symbolic
import Dynamics
import Learn

/// `evaluate(model, data, t: T)`: the error of the predicted dx/dt on both splits, and
/// Greydanus et al.'s rollout metrics from the test trajectories' first states against the
/// true system (over the data's time span, or T); with `known: [Px, Py, L]`, each known
/// invariant's mean squared deviation along the rollouts (the SCNN paper's Table 1 layout).
enum Evaluate: Verb {
    static let signature = Signature(
        name: "evaluate", family: .learning, usage: "evaluate(model, data, t: T, known: [Px, Py, L])",
        summary: "the mean squared error of the model's dx/dt on the train and test splits, and Greydanus et al.'s rollout metrics: from each test trajectory's first state, trajectory MSE and energy MSE against the true system over [0, T] (default: the data's span); with known: [...], each known invariant's mean squared deviation along the rollouts",
        example: "evaluate(train(baseline, dataset(harmonic, trajectories: 4, samples: 10), hidden: 8, steps: 5), dataset(harmonic, trajectories: 4, samples: 10))",
        positional: [.required("model", "a model (from train or read)"), .required("data", "a dataset (from dataset or read)")],
        options: [.init("t", .positive, defaultText: "the data's time span", "the rollout horizon"), KnownInvariants.option,
                  .init("frequency", .custom("an expression of the data's coordinates"), "a flow's: a closed-form frequency (Kepler: (-2*H)^(3/2)/k), its mean over each trajectory printed beside the trajectory's measured dphi_k/dt"),
                  .init("actions", .custom("a number, or a list of them (one per plane)"), "a flow's: a latent torus I_k (one value for every plane, or one each); prints H on its image under the inverse map and dK/dphi_k there (appendix D.1's loss)")])

    /// `evaluate(nct, H)`: the variational free energy on the model's test latent samples, with
    /// its standard error, and the learned frequencies of a model that has them.
    static func variational(_ model: any VariationalModel, _ m: ModelValue, _ call: BoundCall) throws -> Value {
        for label in ["t", "known", "frequency", "actions"] where call.has(label) {
            throw call.fail("'\(label):' is not for a variational model; evaluate(nct, H) gives its free energy", at: call.location(of: label))
        }
        let data = try Train.hamiltonianData(call)
        try m.checkColumns(of: data, at: call.positional[1].location, in: call.evaluation)
        let f: (value: Double, standardError: Double, samples: Int)
        do { f = try model.freeEnergy(on: data) } catch { throw call.fail("\(error)", at: call.positional[1].location) }
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 6) }
        var lines = ["variational free energy F_var = E[ln p(Q, P) + beta H(q, p)]/beta at beta = \(TextPrinter.format(model.beta, significantDigits: 6)), over \(f.samples) seeded latent samples: \(short(f.value)) (standard error \(TextPrinter.format(f.standardError, significantDigits: 2))); it bounds F = -ln Z/beta from above"]
        if let oscillators = model as? any OscillatorModel {
            lines.append("learned frequencies, sorted: " + oscillators.omega.sorted().map(short).joined(separator: ", "))
        }
        return .text(lines.joined(separator: "\n"))
    }

    /// `evaluate(nct, data)`: the negative log-likelihood of the data's rows per split.
    static func likelihood(_ model: any DensityModel, _ m: ModelValue, _ call: BoundCall) throws -> Value {
        for label in ["t", "known", "frequency", "actions"] where call.has(label) {
            throw call.fail("'\(label):' is not for a density model; evaluate(nct, data) gives the data's negative log-likelihood", at: call.location(of: label))
        }
        let data = try call.dataset(1, samples: true)
        try m.checkColumns(of: data, at: call.positional[1].location, in: call.evaluation)
        let splits: [(split: String, value: Double, standardError: Double, rows: Int)]
        do { splits = try model.negativeLogLikelihood(on: data) } catch { throw call.fail("\(error)", at: call.positional[1].location) }
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 6) }
        var lines = splits.map { s in
            "\(s.split): negative log-likelihood \(short(s.value)) nats per row (standard error \(TextPrinter.format(s.standardError, significantDigits: 2)), \(s.rows) rows)"
        }
        if data.isSamples {
            lines.append("(in phase space: each configuration with momenta drawn from N(0, 1/beta), and the model's dequantization noise if it has one, seeded per row)")
        }
        if let oscillators = model as? any OscillatorModel {
            lines.append("learned frequencies, sorted: " + oscillators.omega.sorted().map(short).joined(separator: ", "))
        }
        return .text(lines.joined(separator: "\n"))
    }

    static func run(_ call: BoundCall) throws -> Value {
        let m = try call.object(0, ModelValue.self)
        if let variational = m.model as? any VariationalModel, case .expr = try call.evaluation.value(call.positional[1]) {
            return try Self.variational(variational, m, call)
        }
        if let density = m.model as? any DensityModel { return try Self.likelihood(density, m, call) }
        let d = try call.dataset(1)
        try m.checkColumns(of: d, at: call.positional[1].location, in: call.evaluation)
        let known = try KnownInvariants.read(call, data: d)
        var lines: [String] = []
        if let note = m.note(on: d) { lines.append("note: " + note) }
        if let flow = m.model as? any CanonicalMapModel {
            for label in ["t", "known"] where call.has(label) {
                throw call.fail("'\(label):' is for rollouts of a vector field; a flow is evaluated by eq. 14 on the data's trajectories", at: call.location(of: label))
            }
            return .text((lines + [try FlowEvaluation.report(flow, on: d, call)]).joined(separator: "\n"))
        }
        if d.sampler.hasSuffix("-tangent") {
            lines.append("note: this data's momenta are projected on the sphere (tangent: true); its dx/dt is that of the constrained motion, not of H's field, which the rollouts integrate")
        }
        for label in ["frequency", "actions"] where call.has(label) {
            throw call.fail("'\(label):' is for a flow's action-angle coordinates; a \(m.model.kind) model has none", at: call.location(of: label))
        }
        var metrics: [(String, Double)] = []
        for e in GreydanusEvaluation.splitErrors(try m.field(call.positional[0].location, in: call.evaluation), on: d) {
            lines.append("\(e.split): mean squared error of dx/dt \(TextPrinter.format(e.meanSquaredError, significantDigits: 3)) over \(e.samples) samples")
            metrics.append(("\(e.split)_mse", e.meanSquaredError))
        }
        // From the first sample of each test trajectory, over the data's span or t.
        let starts = GreydanusEvaluation.testStarts(d)
        guard !starts.isEmpty else { return .object(EvaluationValue(lines: lines, metrics: metrics)) }
        let horizon = try call.number("t") ?? GreydanusEvaluation.span(d)
        guard horizon > 0 else { return .object(EvaluationValue(lines: lines, metrics: metrics)) }
        guard !GreydanusEvaluation.isTooLong(horizon, for: d) else {
            throw call.fail("t is more than 1000 times the data's time span; roll out with rollout(...) instead", at: call.location, width: 8)
        }
        switch GreydanusEvaluation.rollouts(try m.field(call.positional[0].location, in: call.evaluation), on: d, from: starts, horizon: horizon, known: known?.expressions ?? []) {
        case .notCompared(let reason):
            lines.append("rollouts: not compared (\(reason))")
        case .compared(let c):
            let short = { (x: Double) in TextPrinter.format(x, significantDigits: 3) }
            lines.append("test rollouts: \(c.trajectories) trajectories over t in [0, \(short(horizon))] (dopri5, tolerance 1e-9): "
                         + "trajectory MSE \(short(c.trajectoryMSE)), energy MSE \(short(c.energyMSE))")
            metrics += [("trajectory_mse", c.trajectoryMSE), ("energy_mse", c.energyMSE)]
            if let known {
                lines.append("known invariants, mean squared deviation along the rollouts: "
                             + zip(known.labels, c.invariantMSE).map { "\($0) \(short($1))" }.joined(separator: ", "))
                metrics += zip(known.labels, c.invariantMSE).map { ("\($0)_dev", $1) }
            }
        case .failed(let message):
            lines.append("rollouts: \(message)")
        }
        return .object(EvaluationValue(lines: lines, metrics: metrics))
    }
}

/// What `evaluate` reports on a vector-field model: its lines as printed, and the numbers as
/// members (`evaluate(m, d).trajectory_mse`) for `record` and arithmetic.
struct EvaluationValue: ObjectValue {
    var lines: [String]
    /// train_mse, test_mse, trajectory_mse, energy_mse and, with known: [...], each known
    /// invariant's deviation (L_dev), as far as they were measured.
    var metrics: [(String, Double)]

    var kindName: String { "an evaluation" }
    var display: String { lines.joined(separator: "\n") }

    func member(_ name: String, _ arguments: [Syntax.Argument]?, at location: SourceLocation, in evaluation: Evaluation) throws -> Value {
        guard let value = metrics.first(where: { $0.0 == name })?.1 else {
            let known = metrics.map { "." + $0.0 }.joined(separator: ", ")
            throw evaluation.fail("this evaluation has no '.\(name)'" + (known.isEmpty ? "" : "; it has \(known)"), at: location, width: name.count)
        }
        guard arguments == nil else { throw evaluation.fail(".\(name) is a number, not called", at: location, width: name.count) }
        return .expr(.float(value))
    }
}
