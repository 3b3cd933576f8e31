import Foundation
import Symbolic
import Dynamics
import Learn

// Models in the language: train, resume, evaluate, rollout, model.H, save and read.
extension Evaluation {
    /// `train(hnn, data, hidden: 200, layers: 2, steps: 2000, lr: 1e-3, batch: 0, seed: 0,
    /// checkpoint: "file")` and `resume(model, data, steps: N)`, which continues a model's run
    /// with its optimizer (from `train` or from `read` of a checkpoint).
    func trainModel(_ verb: String, _ positional: [Syntax], _ labelled: [Syntax.Argument], _ at: SourceLocation) throws -> Value {
        var previous: ModelValue?
        var kind = "hnn"
        if verb == "resume" {
            let v = try value(positional[0])
            guard case .model(let m) = v else { throw fail("resume continues a model (from train or read); this is \(v.kindName)", at: positional[0].location) }
            previous = m
        } else {
            guard case .name(let kindName, _) = positional[0], (try? ModelRegistry.entry(kindName)) != nil else {
                throw fail("train's first argument is the model kind: hnn or baseline", at: positional[0].location)
            }
            kind = kindName
        }
        let dataValue = try value(positional[1])
        guard case .dataset(let data, _) = dataValue else { throw fail("\(verb) needs a dataset (from dataset or read), not \(dataValue.kindName)", at: positional[1].location) }
        var hidden = 200, layers = 2, steps = 2000, batch = 0, seed: UInt64 = 0, lr = previous?.optimizer?.learningRate ?? 1e-3
        var plateau: Double?, patience = 100, checkpoint: String?
        let architecture: Set = ["hidden", "layers"]
        for l in labelled {
            if l.label == "checkpoint" {
                guard case .string(let path, _) = l.value else { throw fail("checkpoint is a file name in quotes", at: l.value.location) }
                checkpoint = path
                continue
            }
            if previous != nil && architecture.contains(l.label!) {
                throw fail("resume keeps the model's architecture; '\(l.label!):' applies to train", at: l.value.location)
            }
            // The label first: an unknown option is named as such, whatever its value.
            switch l.label! {
            case "hidden": hidden = try wholeOption(l.value, "hidden", in: 1...4096)
            case "layers": layers = try wholeOption(l.value, "layers", in: 1...32)
            case "steps": steps = try wholeOption(l.value, "steps", in: 1...1_000_000)
            case "batch": batch = try wholeOption(l.value, "batch", in: 0...10_000_000)
            case "seed": seed = UInt64(try wholeOption(l.value, "seed", in: 0...Int.max))
            case "lr": lr = try positiveOption(l.value, "lr")
            case "plateau":
                let v = try numberOption(l.value, "plateau")
                guard v > 0 && v < 1 else { throw fail("'plateau:' is the factor that cuts the rate, a number between 0 and 1 (exclusive), not \(OptionText.number(v))", at: l.value.location) }
                plateau = v
            case "patience": patience = try wholeOption(l.value, "patience", in: 1...1_000_000)
            default:
                var message = "\(verb) has no option '\(l.label!):' (options: hidden, layers, steps, lr, batch, seed, plateau, patience, checkpoint)"
                if let s = ExprBuilder.suggestion(for: l.label!, among: ["hidden", "layers", "steps", "lr", "batch", "seed", "plateau", "patience", "checkpoint"]) { message += "; did you mean '\(s)'?" }
                throw fail(message, at: l.value.location)
            }
        }
        if previous == nil {
            // One step's work grows as parameters x batch rows: refuse what would take minutes.
            let rows = batch <= 0 ? data.count : min(batch, data.count)
            let cost = TrainingCost(dimension: data.dimension, hidden: hidden, layers: layers, rows: rows)
            guard cost.work <= TrainingCost.limit else {
                throw fail("one training step would cost about \(TextPrinter.format(cost.work, significantDigits: 3)) parameter-rows "
                           + "(\(cost.parameters) parameters x \(rows) rows), more than the limit of \(TextPrinter.format(TrainingCost.limit, significantDigits: 3)) "
                           + "(several seconds a step); use fewer hidden units or layers, or a batch: of at most \(max(1, Int(TrainingCost.limit / Double(cost.parameters)))) rows",
                           at: at, width: verb.count)
            }
        }
        if let m = previous { try checkColumns(of: data, against: m, at: positional[1].location) }
        // resume trains copies: the model it was given keeps its values.
        let model: any FieldModel = try previous?.model.copy()
            ?? fieldModel(try ModelRegistry.build(kind, options: ["hidden": .whole(hidden), "layers": .whole(layers)], dimension: data.dimension, seed: seed), at: at)
        let optimizer = previous?.optimizer?.copy() ?? Adam(learningRate: lr)
        optimizer.learningRate = lr
        do {
            let schedule: LearningRateSchedule = plateau.map { .reduceOnPlateau(factor: $0, patience: patience, threshold: 1e-4, minimum: lr * 1e-4) } ?? .constant
            // Progress goes to standard error: in place on a terminal, plain lines otherwise
            // (transcripts and notebooks read standard output only).
            let terminal = isatty(STDERR_FILENO) != 0
            let options = TrainingOptions(steps: steps, batchSize: batch, learningRate: lr, seed: seed, reportEvery: max(1, steps / (terminal ? 100 : 10)),
                                          schedule: schedule, checkpointPath: checkpoint)
            let report = try Learn.train(model, on: DerivativePairs(data), options: options, optimizer: optimizer, schedule: previous?.schedule) { p in
                FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[2K" + p.bar() : p.line + "\n").utf8))
            }
            if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
            return .model(ModelValue(model: model, optimizer: optimizer, schedule: report.schedule, report: report, names: data.names, parameters: data.parameters, system: data.system))
        } catch {
            throw fail("\(error)", at: checkpoint == nil ? positional[1].location : at)
        }
    }

    /// `evaluate(model, data, t: T)`: the error of the predicted dx/dt on both splits, and
    /// Greydanus et al.'s rollout metrics from the test trajectories' first states against the
    /// true system (over the data's time span, or T).
    func evaluateModel(_ m: ModelValue, _ d: Dataset, _ labelled: [Syntax.Argument], _ at: SourceLocation, dataAt: SourceLocation) throws -> Value {
        try checkColumns(of: d, against: m, at: dataAt)
        var lines: [String] = []
        // Same columns from another system (or other parameters) is a legitimate question,
        // how the model does off its training distribution, but it is said.
        if d.system != m.system {
            lines.append("note: the model was trained on data of '\(m.system)', this data is of '\(d.system)'")
        } else if d.parameters != m.parameters {
            let text = { (p: [String: Double]) in p.isEmpty ? "none" : p.sorted { $0.key < $1.key }.map { "\($0.key) = \(TextPrinter.format($0.value, significantDigits: 6))" }.joined(separator: ", ") }
            lines.append("note: the model was trained on '\(m.system)' with parameters \(text(m.parameters)), this data has \(text(d.parameters))")
        }
        for e in GreydanusEvaluation.splitErrors(m.model, on: d) {
            lines.append("\(e.split): mean squared error of dx/dt \(TextPrinter.format(e.meanSquaredError, significantDigits: 3)) over \(e.samples) samples")
        }
        // The first sample of each test trajectory, and the sample times of one trajectory.
        let starts = GreydanusEvaluation.testStarts(d)
        guard !starts.isEmpty else { return .text(lines.joined(separator: "\n")) }
        var horizon = GreydanusEvaluation.span(d)
        for l in labelled {
            guard l.label == "t" else { throw fail("evaluate has one option, t: (the rollout horizon)", at: l.value.location) }
            guard let v = try? expr(l.value, "evaluate", at).evaluate([:]), v > 0, v.isFinite else { throw fail("t must be a positive number", at: l.value.location) }
            horizon = v
        }
        guard horizon > 0 else { return .text(lines.joined(separator: "\n")) }
        guard !GreydanusEvaluation.isTooLong(horizon, for: d) else { throw fail("t is more than 1000 times the data's time span; roll out with rollout(...) instead", at: at, width: 8) }
        switch GreydanusEvaluation.rollouts(m.model, on: d, from: starts, horizon: horizon) {
        case .notCompared(let reason):
            lines.append("rollouts: not compared (\(reason))")
        case .compared(let c):
            let short = { (x: Double) in TextPrinter.format(x, significantDigits: 3) }
            lines.append("test rollouts: \(c.trajectories) trajectories over t in [0, \(short(horizon))] (dopri5, tolerance 1e-9): "
                         + "trajectory MSE \(short(c.trajectoryMSE)), energy MSE \(short(c.energyMSE))")
        case .failed(let message):
            lines.append("rollouts: \(message)")
        }
        return .text(lines.joined(separator: "\n"))
    }

    /// The data must be the state the model was trained on, column for column: a model of
    /// (q, p) fed (p, q) would be scored (evaluate) or trained (resume) on swapped inputs.
    /// The same dimension is not enough; the names, in order, must be the model's.
    func checkColumns(of data: Dataset, against m: ModelValue, at: SourceLocation) throws {
        guard data.dimension == m.model.dimension else { throw fail("the model has dimension \(m.model.dimension), the dataset \(data.dimension)", at: at) }
        guard data.names == m.names else {
            throw fail("the model was trained on (\(m.names.joined(separator: ", "))), the data is (\(data.names.joined(separator: ", ")))", at: at)
        }
    }

    /// `model.H(point)` and `model.H(trajectory)`: the learned Hamiltonian H_θ of an HNN.
    func member(_ base: Syntax, _ name: String, _ arguments: [Syntax.Argument]?, _ at: SourceLocation) throws -> Value {
        let v = try value(base)
        if case .fit(let f) = v { return try fitMember(f, name, arguments, at) }
        guard case .model(let m) = v else {
            throw fail("\(v.kindName.prefix(1).uppercased() + v.kindName.dropFirst()) has no member '.\(name)'", at: at, width: name.count)
        }
        guard name == "H" else { throw fail("a model has one member, .H (the learned Hamiltonian of an HNN)", at: at, width: name.count) }
        let hamiltonian = try learnedHamiltonian(m, at)
        guard let arguments, arguments.count == 1, arguments[0].label == nil else {
            throw fail("call it with a state or a trajectory: model.H([\(m.names.joined(separator: ", "))]) or model.H(rollout(...))", at: at, width: name.count)
        }
        let argument = try value(arguments[0].value)
        switch argument {
        case .list(let items):
            let x: [Double] = try items.map { item in
                guard case .expr(let e) = item, let x = try? e.evaluate([:]) else { throw fail("the state must hold numbers", at: arguments[0].value.location) }
                return x
            }
            guard x.count == m.model.dimension else {
                throw fail("the state has \(x.count) values; the model's is (\(m.names.joined(separator: ", ")))", at: arguments[0].value.location)
            }
            return .expr(.float(hamiltonian(x)))
        case .trajectory(let t):
            guard t.names == m.names else { throw fail("the trajectory's state is (\(t.names.joined(separator: ", "))), the model's (\(m.names.joined(separator: ", ")))", at: arguments[0].value.location) }
            let values = (0..<t.trajectory.count).map { hamiltonian(Array(t.trajectory.state($0))) }
            return .text("H_theta along the trajectory: " + Drift(values).report)
        default:
            throw fail("model.H takes a state [..] or a trajectory, not \(argument.kindName)", at: arguments[0].value.location)
        }
    }

    /// H_θ of an HNN as a function of one state.
    func learnedHamiltonian(_ m: ModelValue, _ at: SourceLocation) throws -> ([Double]) -> Double {
        let h = try learnedHamiltonianModel(m, at)
        return { x in h.hamiltonian(Variable(Tensor(shape: [1, x.count], storage: x))).value.scalar }
    }

    /// The model as a `HamiltonianModel`, or the error that it has no learned H.
    func learnedHamiltonianModel(_ m: ModelValue, _ at: SourceLocation) throws -> any HamiltonianModel {
        guard let h = m.model as? any HamiltonianModel else {
            throw fail("a \(m.model.kind) model predicts dx/dt directly and has no learned H; train(hnn, ...) has one", at: at, width: 1)
        }
        return h
    }

    /// `rollout(model, x0: [...], t: T, step: h, method: rk4)`: the learned field integrated.
    func rollout(_ m: ModelValue, _ labelled: [Syntax.Argument], _ at: SourceLocation) throws -> Value {
        var options: [String: Syntax] = [:]
        for l in labelled { options[l.label!] = l.value }
        guard let x0Syntax = options["x0"], case .list(let items) = try value(x0Syntax) else { throw fail("rollout needs x0: [...]", at: at, width: 7) }
        let x0: [Double] = try items.map { item in
            guard case .expr(let e) = item, let v = try? e.evaluate([:]) else { throw fail("x0 must hold numbers", at: x0Syntax.location) }
            return v
        }
        guard x0.count == m.model.dimension else { throw fail("x0 has \(x0.count) values; the model's state has \(m.model.dimension)", at: x0Syntax.location) }
        let known: Set<String> = ["x0", "t", "step", "method", "every"]
        for l in labelled where !known.contains(l.label!) {
            throw fail("rollout has no option '\(l.label!):' (options: \(known.sorted().joined(separator: ", ")))", at: l.value.location)
        }
        let methodName = try options["method"].map { try wordOption($0, "method", allowed: ["euler", "rk4", "midpoint", "gl4", "gl6"]) } ?? "rk4"
        guard let method = FixedStepMethod(rawValue: methodName) , !method.needsSeparable else {
            throw fail("rollout uses euler, rk4, midpoint, gl4 or gl6 (a learned field is not split into T and V)", at: options["method"]?.location ?? at)
        }
        let duration = try options["t"].map { try positiveOption($0, "t") } ?? 10, step = try options["step"].map { try positiveOption($0, "step") } ?? 0.01
        let steps = try fixedStepCount(duration: duration, step: step, limit: 10_000_000, at: options["step"]?.location ?? options["t"]?.location ?? at)
        let every = try options["every"].map { try wholeOption($0, "every", in: 1...10_000_000) } ?? 1
        try checkTrajectoryMemory(samples: Trajectory.fixedStepSamples(steps: Double(steps), sampleEvery: Double(every)), dimension: x0.count,
                                  hint: "store every k-th step with every: k", at: at)
        do {
            let traj = try FixedStepIntegrator(method, step: step).run(m.model, from: x0, steps: steps, sampleEvery: every)
            return .trajectory(TrajectoryValue(trajectory: traj, names: m.names, parameters: m.parameters, method: "\(m.model.kind) model, \(methodName)"))
        } catch let e as IntegrationError {
            throw fail(e.description, at: at, width: 7)
        }
    }

    /// A registry model as a field model (every kind `train` builds today is one).
    func fieldModel(_ model: any Model, at: SourceLocation) throws -> any FieldModel {
        guard let field = model as? any FieldModel else { throw fail("a \(model.kind) model is not a vector field", at: at) }
        return field
    }
}
