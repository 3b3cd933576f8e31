import Symbolic
import Dynamics
import Learn

/// A trained model with what it was trained on.
struct ModelValue: SampledMembers, SavableValue {
    var model: any Model
    /// The optimizer of its run, so `resume` continues it.
    var optimizer: Adam?
    /// The schedule's state of its run (a plateau rule's memory), so `resume` continues it.
    var schedule: LearningRateScheduler.State?
    /// The last training run (nil for a model read from a checkpoint).
    var report: TrainingReport?
    var names: [String]
    var parameters: [String: Double]
    var system: String
    /// The checkpoint it was read from.
    var source: String?
    /// How meta-learning made it (`metatrain`, `adapt`), for its display; nil otherwise.
    var origin: String? = nil
    /// The inner rate a meta-trained model was trained with: what `adapt` and `curve` use.
    var metaRate: Double? = nil

    var kindName: String { "a model" }

    var display: String {
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 3) }
        if let origin { return "\(model.kind) model of \(system): \(model.architectureDescription), \(origin)" + (source.map { "; read from \($0)" } ?? "") }
        var s = "\(model.kind) model of \(system): \(model.architectureDescription), \(optimizer?.steps ?? report?.stepsTaken ?? 0) steps"
        if let r = report {
            s += "; train loss \(short(r.finalTrainingLoss))"
            // A model of several loss terms (an SCNN's hnn, poisson, hqp) shows each, unweighted.
            if r.terms.count > 1 {
                s += " (" + model.lossNames.compactMap { n in r.terms[n].map { "\(n) \(short($0))" } }.joined(separator: ", ") + ")"
            }
            if let t = r.testLoss { s += ", test loss \(short(t))" }
            // The first entry is the starting rate; the rest are a schedule's cuts.
            let cuts = r.learningRates.dropFirst()
            if let last = cuts.last { s += "; lr cut to \(short(last.rate)) at step\(cuts.count > 1 ? "s" : "") \(cuts.map { String($0.step) }.joined(separator: ", "))" }
            if let stop = r.stoppedEarly { s += "; \(stop)" }
        }
        if let source { s += "; read from \(source)" }
        return s
    }

    /// `flow(x)`: the latent state z = T(x) = (q̂, p̂) of a flow at a state.
    func call(_ arguments: [Syntax.Argument], at: SourceLocation, in evaluation: Evaluation) throws -> Value {
        guard let flow = model as? any CanonicalMapModel else {
            throw evaluation.fail("a \(model.kind) model is not a map of states; call a flow as m([\(names.joined(separator: ", "))]), or use its members", at: at)
        }
        let x = try state(arguments, "m", at: at, in: evaluation)
        return .list(flow.forward(Tensor(shape: [1, x.count], storage: x)).storage.map { .expr(.float($0)) })
    }

    /// The one state [..] of a call's arguments, of the model's dimension.
    func state(_ arguments: [Syntax.Argument]?, _ name: String, at: SourceLocation, in evaluation: Evaluation) throws -> [Double] {
        guard let arguments, arguments.count == 1, arguments[0].label == nil else {
            throw evaluation.fail("call it with one state: \(name)([\(names.joined(separator: ", "))])", at: at, width: name.count)
        }
        let syntax = arguments[0].value
        let x = try evaluation.numbers(syntax, "the state")
        guard x.count == model.dimension else {
            throw evaluation.fail("the state has \(x.count) values; the model's is (\(names.joined(separator: ", ")))", at: syntax.location)
        }
        guard x.allSatisfy(\.isFinite) else { throw evaluation.fail("the state holds a value that is not finite", at: syntax.location) }
        return x
    }

    /// `model.H(point)` and `model.H(trajectory)`: the learned Hamiltonian H_θ; for a model with
    /// latent coordinates, `model.P1(point)` and `model.P1(trajectory)` likewise; a flow's
    /// `model.inverse(z)` is the state x = T⁻¹(z).
    func member(_ name: String, _ arguments: [Syntax.Argument]?, at: SourceLocation, in evaluation: Evaluation) throws -> Value {
        if name == "inverse", let flow = model as? any CanonicalMapModel {
            let z = try state(arguments, "inverse", at: at, in: evaluation)
            return .list(flow.inverse(Tensor(shape: [1, z.count], storage: z)).storage.map { .expr(.float($0)) })
        }
        if name == "omega", let oscillators = model as? any OscillatorModel {
            guard arguments == nil else { throw evaluation.fail(".omega is not called: it is the list of learned frequencies", at: at, width: name.count) }
            return .list(oscillators.omega.sorted().map { .expr(.float($0)) })
        }
        let (label, function) = try stateFunction(name, at: at, in: evaluation)
        guard let arguments, arguments.count == 1, arguments[0].label == nil else {
            throw evaluation.fail("call it with a state or a trajectory: model.\(name)([\(names.joined(separator: ", "))]) or model.\(name)(rollout(...))", at: at, width: name.count)
        }
        let argumentSyntax = arguments[0].value
        let argument = try evaluation.value(argumentSyntax)
        switch argument {
        case .list:
            let x = try evaluation.numbers(argument, at: argumentSyntax.location, "the state")
            guard x.count == model.dimension else {
                throw evaluation.fail("the state has \(x.count) values; the model's is (\(names.joined(separator: ", ")))", at: argumentSyntax.location)
            }
            return .expr(.float(function(x)))
        case .object(let o as TrajectoryValue):
            guard o.names == names else { throw evaluation.fail("the trajectory's state is (\(o.names.joined(separator: ", "))), the model's (\(names.joined(separator: ", ")))", at: argumentSyntax.location) }
            let values = (0..<o.trajectory.count).map { function(Array(o.trajectory.state($0))) }
            return .text("\(label) along the trajectory: " + Drift(values).report)
        default:
            throw evaluation.fail("model.\(name) takes a state [..] or a trajectory, not \(argument.kindName)", at: argumentSyntax.location)
        }
    }

    /// The member `name` as a function of one state, and what reports call it: H (H_theta), or a
    /// latent coordinate of a model that has them (P1, Q1, ...).
    func stateFunction(_ name: String, at: SourceLocation, in evaluation: Evaluation) throws -> (String, ([Double]) -> Double) {
        if name == "E", let lnn = model as? any LagrangianModel { return ("E_theta", lnn.learnedEnergy) }
        if name == "H", model is any LagrangianModel {
            throw evaluation.fail("an lnn has a learned Lagrangian, not H; its energy E_theta = qdot . dL/dqdot - L is model.E", at: at, width: name.count)
        }
        if name == "H" { return ("H_theta", try learnedHamiltonian(at, in: evaluation)) }
        if let latent = model as? any LatentModel, let k = latent.latentNames.firstIndex(of: name) {
            return (name, { x in latent.latent(x)[k] })
        }
        if let latent = model as? any LatentModel {
            let own = (model is any HamiltonianModel ? ".H and its" : "its") + " latent coordinates " + latent.latentNames.map { "." + $0 }.joined(separator: ", ")
                + (model is any OscillatorModel ? ", and .omega (the learned frequencies, sorted)" : "")
            throw evaluation.fail("a \(model.kind) model has \(own)" + (model is any CanonicalMapModel ? ", and .inverse(z)" : ""), at: at, width: name.count)
        }
        if model is any LagrangianModel {
            throw evaluation.fail("an lnn has one member, .E (its learned energy E_theta = qdot . dL/dqdot - L, at a state (q, p) of the data)", at: at, width: name.count)
        }
        throw evaluation.fail("a model has one member, .H (the learned Hamiltonian of an HNN)", at: at, width: name.count)
    }

    /// The model as a vector field (what rollouts and the dx/dt errors need), or the error that
    /// it is a map: a flow has no dx/dt.
    func field(_ at: SourceLocation, in evaluation: Evaluation) throws -> any FieldModel {
        guard let f = model as? any FieldModel else {
            throw evaluation.fail("a \(model.kind) model is a canonical map of states, not a vector field: it has no dx/dt to roll out or to compare", at: at)
        }
        return f
    }

    /// H_θ of a model that has one as a function of one state.
    func learnedHamiltonian(_ at: SourceLocation, in evaluation: Evaluation) throws -> ([Double]) -> Double {
        let h = try hamiltonianModel(at, in: evaluation)
        return { x in h.hamiltonian(x) }
    }

    /// The model as a `HamiltonianModel`, or the error that it has no learned H.
    func hamiltonianModel(_ at: SourceLocation, in evaluation: Evaluation) throws -> any HamiltonianModel {
        guard let h = model as? any HamiltonianModel else {
            let kinds = ModelRegistry.kinds { $0 is any HamiltonianModel }.map { "train(\($0), ...)" }.joined(separator: " or ")
            let what = model is any FieldModel ? "predicts dx/dt directly" : "is a canonical map of states"
            throw evaluation.fail("a \(model.kind) model \(what) and has no learned H; \(kinds) has one", at: at)
        }
        return h
    }

    /// `model.H` (named H_theta) or a latent coordinate `model.P1` at every sample of `data`,
    /// as a fit target.
    func samples(of name: String, on data: Dataset, at: SourceLocation, dataAt: SourceLocation, in evaluation: Evaluation) throws -> (values: [Double], name: String)? {
        let latent = model as? any LatentModel
        let column = latent?.latentNames.firstIndex(of: name)
        guard name == "H" || column != nil else { return nil }
        if name == "H" { _ = try hamiltonianModel(at, in: evaluation) }  // refuses a model without H
        guard names == data.names else { throw evaluation.fail("the model's state is (\(names.joined(separator: ", "))), the data's (\(data.names.joined(separator: ", ")))", at: dataAt) }
        let x = Tensor(shape: [data.count, data.dimension], storage: data.states)
        if let latent, let column {
            let z = latent.latentValues(x), width = latent.latentNames.count
            return ((0..<data.count).map { z.storage[$0 * width + column] }, name)
        }
        return (try hamiltonianModel(at, in: evaluation).hamiltonian(Variable(x)).value.storage, "H_theta")
    }

    func save(to path: String) throws -> String {
        try Checkpoint.save(model, optimizer: optimizer, schedule: schedule, provenance: .init(system: system, names: names, parameters: parameters), to: path)
        return "wrote the \(model.kind) model and its optimizer state to \(path)"
    }

    /// What differs between the data the model was trained on and `data` of the same columns,
    /// or nil: another system, or other parameters. It is a legitimate question how a model
    /// does off its training distribution, but it is said.
    func note(on data: Dataset) -> String? {
        if data.system != system { return "the model was trained on data of '\(system)', this data is of '\(data.system)'" }
        guard data.parameters != parameters else { return nil }
        let text = { (p: [String: Double]) in p.isEmpty ? "none" : p.sorted { $0.key < $1.key }.map { "\($0.key) = \(TextPrinter.format($0.value, significantDigits: 6))" }.joined(separator: ", ") }
        return "the model was trained on '\(system)' with parameters \(text(parameters)), this data has \(text(data.parameters))"
    }

    /// The data must be the state the model was trained on, column for column: a model of
    /// (q, p) fed (p, q) would be scored (evaluate) or trained (resume) on swapped inputs.
    /// The same dimension is not enough; the names, in order, must be the model's.
    /// The call's `x0: [...]`, a state of this model's dimension (else an error at it).
    func initialState(_ call: BoundCall) throws -> [Double] {
        guard let syntax = call.option("x0"), case .list = try call.evaluation.value(syntax) else { throw call.fail("\(call.name) needs x0: [...]") }
        let x0 = try call.evaluation.numbers(try call.evaluation.value(syntax), at: syntax.location, "x0")
        guard x0.count == model.dimension else { throw call.fail("x0 has \(x0.count) values; the model's state has \(model.dimension)", at: syntax.location) }
        return x0
    }

    func checkColumns(of data: Dataset, at: SourceLocation, in evaluation: Evaluation) throws {
        guard data.phaseSpaceDimension == model.dimension else {
            throw evaluation.fail("the model has dimension \(model.dimension), the dataset \(data.phaseSpaceDimension)" + (data.isSamples ? " (\(data.dimension) coordinates and their momenta)" : ""), at: at)
        }
        // Configuration samples of a phase-space model name its q's.
        guard data.names == names || (data.isSamples && names.count == 2 * data.dimension && Array(names.prefix(data.dimension)) == data.names) else {
            throw evaluation.fail("the model was trained on (\(names.joined(separator: ", "))), the data is (\(data.names.joined(separator: ", ")))", at: at)
        }
    }
}
