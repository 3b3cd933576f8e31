import Symbolic
import Dynamics
import Learn

/// `compare([m1, m2, ...], data, t: T)`: Greydanus et al.'s metrics of several models on the
/// same data as one table, a row per model (the layout of the SCNN paper's Table 1: test loss,
/// trajectory MSE, energy MSE, and with `known: [Px, Py, L]` a column per known invariant: its
/// mean squared deviation along the rollouts).
enum Compare: Verb {
    static let signature = Signature(
        name: "compare", family: .learning, usage: "compare([m1, m2, ...], data, t: T, known: [Px, Py, L])",
        summary: "a table of models on the same data, a row each: the mean squared error of dx/dt on the test split (train when there is none), and from each test trajectory's first state the rollout's trajectory MSE and energy MSE against the true system over [0, T] (default: the data's span); with known: [...], a column per known invariant: its mean squared deviation along the rollouts",
        example: "compare([train(hnn, dataset(harmonic, trajectories: 4, samples: 10), hidden: 8, steps: 5), train(baseline, dataset(harmonic, trajectories: 4, samples: 10), hidden: 8, steps: 5)], dataset(harmonic, trajectories: 4, samples: 10))",
        positional: [.required("models", "a list of models (from train or read)"), .required("data", "a dataset (from dataset or read)")],
        options: [.init("t", .positive, defaultText: "the data's time span", "the rollout horizon"), KnownInvariants.option])

    static func run(_ call: BoundCall) throws -> Value {
        let listSyntax = call.positional[0]
        // The models, each named as written in the list (m1), or by its place.
        var models: [(name: String, value: ModelValue)] = []
        switch try call.value(0) {
        case .object(let m as ModelValue):
            models = [(listSyntax.isName ? listSyntax.nameText : "model", m)]
        case .list(let items):
            let names: [String] = { if case .list(let syntax, _) = listSyntax { return syntax.enumerated().map { $1.isName ? $1.nameText : "model \($0 + 1)" } }; return items.indices.map { "model \($0 + 1)" } }()
            for (k, item) in items.enumerated() {
                guard let m = item.object(ModelValue.self) else {
                    throw call.fail("compare takes a list of models; item \(k + 1) is \(item.kindName)", at: listSyntax.location)
                }
                models.append((names[k], m))
            }
        case let other:
            throw call.fail("compare needs a list of models (from train or read) here, but this is \(other.kindName)", at: listSyntax.location)
        }
        guard !models.isEmpty else { throw call.fail("compare needs at least one model", at: listSyntax.location) }
        let data = try call.dataset(1)
        for m in models { try m.value.checkColumns(of: data, at: call.positional[1].location, in: call.evaluation) }
        let horizon = try call.number("t")
        let known = try KnownInvariants.read(call, data: data)
        let invariantCount = known?.expressions.count ?? 0
        if let horizon, GreydanusEvaluation.isTooLong(horizon, for: data) {
            throw call.fail("t is more than 1000 times the data's time span; roll out with rollout(...) instead", at: call.location(of: "t"))
        }
        let short = { (x: Double) in TextPrinter.format(x, significantDigits: 3) }
        var rows: [[String]] = [], notes: [String] = [], rollout: RolloutComparison?
        var splitName = "test"
        for (name, m) in models {
            if let note = m.note(on: data) { notes.append("\(name): \(note)") }
            let e: GreydanusEvaluation
            do {
                if let map = m.model as? any MapModel {
                    e = try GreydanusEvaluation.evaluate(map, on: data, horizon: horizon, known: known?.expressions ?? [])
                    notes.append("\(name): a step map of h = \(short(map.stepSize)) has no dx/dt; its rollouts iterate it")
                } else {
                    let field = try m.field(listSyntax.location, in: call.evaluation)
                    e = try GreydanusEvaluation.evaluate(field, on: data, horizon: horizon, known: known?.expressions ?? [])
                }
            } catch let e as Diagnostic { throw e } catch { throw call.fail("\(error)") }
            let split = e.splits.last { $0.split == "test" } ?? e.splits.first
            splitName = split?.split ?? splitName
            var row = ["\(name) (\(m.model.kind))", split.map { short($0.meanSquaredError) } ?? "-"]
            switch e.rollouts {
            case .compared(let c)?:
                row += [short(c.trajectoryMSE), short(c.energyMSE)] + c.invariantMSE.map(short)
                rollout = c
            case .notCompared(let why)?:
                row += ["-", "-"] + Array(repeating: "-", count: invariantCount)
                notes.append("\(name): rollouts not compared (\(why))")
            case .failed(let why)?:
                row += ["-", "-"] + Array(repeating: "-", count: invariantCount)
                notes.append("\(name): rollouts: \(why)")
            case nil:
                row += ["-", "-"] + Array(repeating: "-", count: invariantCount)
            }
            rows.append(row)
        }
        let header = ["model", "\(splitName) dx/dt MSE", "trajectory MSE", "energy MSE"] + (known?.labels.map { "\($0) dev" } ?? [])
        var lines: [String] = []
        if let c = rollout {
            lines.append("rollouts: \(c.trajectories) test trajectories over t in [0, \(short(c.horizon))] (dopri5, tolerance 1e-9)"
                         + (known == nil ? "" : "; 'dev': mean squared deviation of a known invariant along the rollouts from its true value"))
        } else if notes.isEmpty {
            lines.append("rollouts: none (the data has no test trajectories, or its time span is 0)")
        }
        return .table(TextTable(header: header, rows: rows, below: lines + notes))
    }
}
