import Foundation
import Symbolic
import Dynamics
import Learn

/// Song & Jeong's meta-learned Hamiltonians (papers/004): `metatrain` learns an initialisation
/// over tasks from several systems, `adapt` takes a few gradient steps on K points of another
/// system, and `curve` measures how fast each model adapts (the paper's Figure 1).
enum MetaTrain: Verb {
    static let signature = Signature(
        name: "metatrain", family: .learning,
        usage: "metatrain(hnn, [d1, d2, ...], hidden: 64, inner: 1, innerlr: 0.01, K: 50, tasks: 10, steps: 1000, lr: 1e-3, order: second, seed: 0)",
        summary: "meta-trains a field model by MAML (Song & Jeong; Finn et al.) over tasks drawn from the datasets, one per system in one phase space (pad smaller systems with dataset(..., dof: N)): a task is K support and K query points of one training trajectory; the inner loop takes SGD steps of rate innerlr on the support points' log-cosh loss of dx/dt, the outer loop Adam on the query points' loss at the adapted parameters, differentiated through the inner steps (order: first treats their gradients as constants; inner: 0 is plain multi-task training)",
        example: "metatrain(hnn, [dataset(harmonic, trajectories: 4, samples: 20, dof: 2), dataset(doublependulum, trajectories: 4, samples: 20)], hidden: 8, K: 5, tasks: 2, steps: 3)",
        positional: [.required("KIND", "a field model's kind (hnn or baseline)"), .required("datasets", "a list of datasets, one per system, all in one phase space")],
        options: [
            .init("hidden", .whole(1...4096), default: 64, "hidden units per layer"),
            .init("layers", .whole(1...16), default: 2, "hidden layers"),
            .init("inner", .whole(0...100), default: 1, "inner SGD steps per task (0: plain multi-task training on the query points)"),
            .init("innerlr", .positive, default: 0.01, "the inner steps' rate alpha (adapt and curve use it too)"),
            .init("K", .whole(1...100_000), default: 50, "support points per task, and as many query points"),
            .init("tasks", .whole(1...10_000), default: 10, "tasks per outer step (the meta-batch)"),
            .init("steps", .whole(1...1_000_000), default: 1000, "outer steps"),
            .init("lr", .positive, default: 1e-3, "Adam's rate for the outer steps"),
            .init("order", .word(["second", "first"]), defaultText: "second", "second: differentiate through the inner steps (third derivatives of H); first: treat their gradients as constants"),
            .init("seed", .whole(0...Int.max), default: 0, "the seed of the initial weights and of the task draws"),
        ])

    static func run(_ call: BoundCall) throws -> Value {
        guard case .name(let kind, let kindAt) = call.positional[0] else {
            throw call.fail("metatrain's first argument is a field model's kind: hnn or baseline", at: call.positional[0].location)
        }
        guard kind == "hnn" || kind == "baseline" else {
            throw call.fail("metatrain adapts a field model of dx/dt: hnn or baseline, not \(kind)", at: kindAt, width: kind.count)
        }
        let datasets = try MetaVerbs.datasets(call, 1)
        let K = try call.whole("K")!, inner = try call.whole("inner")!, seed = UInt64(try call.whole("seed")!)
        let settings = MetaLearning.Settings(innerSteps: inner, innerLearningRate: try call.number("innerlr")!, secondOrder: try call.word("order") ?? "second" == "second")
        let sampler: MetaTaskSampler
        do { sampler = try MetaTaskSampler(datasets, K: K) } catch {
            // Too few points for K is K's fault; the rest is the list's.
            let atK = call.has("K") && "\(error)".contains("a task takes K")
            throw call.fail("\(error)", at: atK ? call.location(of: "K") : call.positional[1].location)
        }
        let model: any Model
        do {
            model = try ModelRegistry.build(kind, options: ["hidden": .whole(try call.whole("hidden")!), "layers": .whole(try call.whole("layers")!)], data: datasets[0], seed: seed)
        } catch { throw call.fail("\(error)", at: kindAt, width: kind.count) }
        let field = model as! any FieldModel
        let steps = try call.whole("steps")!, tasks = try call.whole("tasks")!
        let optimizer = Adam(learningRate: try call.number("lr")!)
        let (history, stop) = MetaLearning.train(field, sampler: sampler, steps: steps, tasksPerStep: tasks, settings: settings, optimizer: optimizer,
                                                 seed: seed, reportEvery: max(1, steps / 10)) { step, loss in
            let line = "outer step \(step)/\(steps)  meta-loss per task \(String(format: "%.4e", loss))"
            if let live = LiveOutput.progress { live(line) } else { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        let systems = datasets.map(\.system).joined(separator: ", ")
        let how = inner == 0 ? "multi-task training (no inner step)" : "MAML, \(settings.secondOrder ? "second" : "first") order, \(inner) inner step\(inner == 1 ? "" : "s") of rate \(OptionText.number(settings.innerLearningRate))"
        var value = ModelValue(model: model, optimizer: optimizer, schedule: nil, report: nil, names: datasets[0].names, parameters: [:], system: "the tasks of \(systems)")
        value.origin = "\(how); \(steps) outer steps of \(tasks) tasks of K = \(K)"
            + (history.last.map { "; meta-loss per task \(TextPrinter.format($0.loss, significantDigits: 3)) at step \($0.step)" } ?? "")
            + (stop.map { "; \($0)" } ?? "")
        value.metaRate = settings.innerLearningRate
        return .object(value)
    }
}

/// `adapt(meta, data, K: 50, steps: 15)`: a copy of the model after SGD steps on K points of one
/// trajectory of the data; every verb then works on it.
enum Adapt: Verb {
    static let signature = Signature(
        name: "adapt", family: .learning, usage: "adapt(meta, data, K: 50, steps: 15, lr: 0.01, seed: 0)",
        summary: "a copy of a model after SGD steps of the log-cosh loss of dx/dt on K points of one trajectory of the data (a test trajectory, drawn by the seed): the paper's adaptation to an unseen system; the rate is the meta-model's innerlr unless lr: is given (a checkpoint does not keep innerlr: after read, give lr:)",
        example: "adapt(metatrain(hnn, [dataset(harmonic, trajectories: 4, samples: 20, dof: 2)], hidden: 8, K: 5, tasks: 2, steps: 3), dataset(doublependulum, trajectories: 4, samples: 20), K: 5, steps: 2)",
        positional: [.required("model", "a model (from metatrain, train or read)"), .required("data", "a dataset (from dataset or read)")],
        options: [
            .init("K", .whole(1...100_000), default: 50, "points of the trajectory to adapt on"),
            .init("steps", .whole(0...100_000), default: 15, "SGD steps"),
            .init("lr", .positive, defaultText: "the meta-model's innerlr, or 0.01", "the SGD rate"),
            .init("seed", .whole(0...Int.max), default: 0, "which trajectory and points"),
        ])

    static func run(_ call: BoundCall) throws -> Value {
        let m = try call.object(0, ModelValue.self)
        let data = try call.dataset(1)
        let field = try MetaVerbs.field(m, data, call)
        let K = try call.whole("K")!, steps = try call.whole("steps")!
        let rate = try call.number("lr") ?? m.metaRate ?? 0.01
        var rng = SeededGenerator(seed: UInt64(try call.whole("seed")!))
        let adapted = field.copy() as any FieldModel
        do {
            let e = try MetaLearning.episode(data, K: K, &rng)
            for s in 0..<steps { try MetaLearning.adaptationStep(adapted, x: e.supportX, dx: e.supportDX, learningRate: rate, step: s + 1, of: steps) }
            var value = ModelValue(model: adapted, optimizer: nil, schedule: nil, report: nil, names: data.names, parameters: data.parameters, system: data.system)
            value.origin = "adapted by \(steps) SGD step\(steps == 1 ? "" : "s") of rate \(OptionText.number(rate)) on K = \(K) points of trajectory \(e.trajectory + 1)"
            value.metaRate = m.metaRate
            return .object(value)
        } catch { throw call.fail("\(error)", at: call.positional[1].location) }
    }
}

/// `curve(meta, data, K: 50, steps: 100, repeats: 100, file:)`: the adaptation curve beside a
/// randomly initialised model of the same architecture and any other models given.
enum Curve: Verb {
    static let signature = Signature(
        name: "curve", family: .learning, usage: "curve(meta, data, against: [m2, ...], K: 50, steps: 100, repeats: 100, seed: 0, file: \"curve.png\")",
        summary: "the paper's Figure 1: for repeats drawn test trajectories of the data, a copy of each model is adapted by SGD on K points of it (rate: the meta-model's innerlr, or lr:), and after each of steps 0-10, 15, 20 and every 10th its RK4 rollout from the trajectory's first state is compared with the trajectory (mean squared error); the mean over repeats per step for the model, the models against: [...] (a multi-task model), and a randomly initialised model of the same architecture; a table at chosen steps and, with file:, a PNG of the curves",
        example: "curve(metatrain(hnn, [dataset(harmonic, trajectories: 4, samples: 20, dof: 2)], hidden: 8, K: 5, tasks: 2, steps: 3), dataset(doublependulum, trajectories: 4, samples: 20), K: 5, steps: 2, repeats: 2)",
        positional: [.required("model", "a model (from metatrain, train or read)"), .required("data", "a dataset (from dataset or read)")],
        options: [
            .init("against", .custom("a list of models"), "models to adapt beside it (a multi-task model from metatrain(..., inner: 0))"),
            .init("K", .whole(1...100_000), default: 50, "points of each trajectory to adapt on"),
            .init("steps", .whole(0...10_000), default: 100, "SGD steps"),
            .init("repeats", .whole(1...100_000), default: 100, "draws of a trajectory (with its K points) averaged over"),
            .init("lr", .positive, defaultText: "the meta-model's innerlr, or 0.01", "the SGD rate"),
            .init("seed", .whole(0...Int.max), default: 0, "the trajectories, points and the random model's weights"),
            .init("file", .file, "a PNG of the curves"),
        ])

    static func run(_ call: BoundCall) throws -> Value {
        let m = try call.object(0, ModelValue.self)
        let data = try call.dataset(1)
        let field = try MetaVerbs.field(m, data, call)
        var named: [(String, any FieldModel)] = [(call.positional[0].isName ? call.positional[0].nameText : "model", field)]
        if let against = call.option("against") {
            let items: [Value]
            switch try call.evaluation.value(against) { case .list(let v): items = v; case let v: items = [v] }
            let names: [String] = { if case .list(let syntax, _) = against { return syntax.map { $0.isName ? $0.nameText : "model" } }; return [against.isName ? against.nameText : "model"] }()
            for (k, item) in items.enumerated() {
                guard let other = item.object(ModelValue.self) else { throw call.fail("against: takes models; item \(k + 1) is \(item.kindName)", at: against.location) }
                let name = k < names.count ? names[k] : "model \(k + 2)"
                named.append((name, try MetaVerbs.field(other, data, call, at: against.location, what: "against: \(name)")))
            }
        }
        let seed = UInt64(try call.whole("seed")!)
        let random: any Model
        do { random = try ModelRegistry.build(field.kind, options: ["hidden": .whole(field.spec["hidden"].flatMap { Int($0) } ?? 64), "layers": .whole(field.spec["layers"].flatMap { Int($0) } ?? 2)], data: data, seed: seed ^ 0x5241_4E44) } catch {
            throw call.fail("\(error)")
        }
        named.append(("random init", random as! any FieldModel))
        let K = try call.whole("K")!, steps = try call.whole("steps")!, repeats = try call.whole("repeats")!
        let rate = try call.number("lr") ?? m.metaRate ?? 0.01
        let curves: [(mean: [Double], diverged: [Int])], measured = MetaLearning.curveMarks(steps: steps)
        do { curves = try MetaLearning.curve(named.map(\.1), on: data, K: K, marks: measured, repeats: repeats, learningRate: rate, seed: seed) } catch {
            throw call.fail("\(error)", at: call.positional[1].location)
        }
        let shown = [0, 1, 2, 5, 10, 15, 20, 50, 100, 200, 500, 1000].filter { $0 <= steps }
        let marks = shown + (shown.last == steps ? [] : [steps])
        let short = { (x: Double) in x.isNaN ? "-" : TextPrinter.format(x, significantDigits: 3) }
        var rows = [["step"] + named.map(\.0)]
        for s in marks {
            let k = measured.firstIndex(of: s)!
            rows.append([String(s)] + curves.map { short($0.mean[k]) })
        }
        var lines: [String] = []
        let pool = data.testTrajectoryCount > 0 ? "test" : "train"
        lines.append("trajectory MSE of the RK4 rollout after SGD steps (rate \(OptionText.number(rate)), K = \(K)), mean over \(repeats) draw\(repeats == 1 ? "" : "s") of a \(pool) trajectory of \(data.system) with its K points")
        if let still = try? MetaLearning.restingError(on: data, K: K, repeats: repeats, seed: seed) {
            lines.append("for scale: staying at the first state, x(t) = x(0), has trajectory MSE \(short(still)) on these trajectories")
        }
        for (k, c) in curves.enumerated() where c.diverged.contains(where: { $0 > 0 }) {
            lines.append("\(named[k].0): adaptations that diverged or rollouts that left the finite numbers were left out of the mean (at most \(c.diverged.max()!) of \(repeats) at a step)")
        }
        if let file = try call.file("file") {
            let series = zip(named, curves).map { n, c in Plot.Series(title: n.0, points: zip(measured, c.mean).compactMap { $1.isFinite && $1 > 0 ? (Double($0), $1) : nil }, style: "linespoints") }
            do { try Plot.write(series, to: file, title: "adaptation to \(data.system) (K = \(K), mean of \(repeats))", xlabel: "gradient steps", ylabel: "trajectory MSE", logY: true) } catch {
                throw call.fail("\(error)", at: call.location(of: "file"))
            }
            lines.append("wrote \(file)")
        }
        return .table(TextTable(header: rows[0], rows: Array(rows.dropFirst()), below: lines))
    }
}

enum MetaVerbs {
    /// Positional argument k as a list of datasets (or one).
    static func datasets(_ call: BoundCall, _ k: Int) throws -> [Dataset] {
        switch try call.value(k) {
        case .list(let items):
            return try items.enumerated().map { i, item in
                guard let d = item.object(DatasetValue.self) else { throw call.fail("item \(i + 1) of the list is \(item.kindName), not a dataset", at: call.positional[k].location) }
                return d.dataset
            }
        case .object(let d as DatasetValue): return [d.dataset]
        case let other: throw call.fail("\(call.name) needs a list of datasets here, but this is \(other.kindName)", at: call.positional[k].location)
        }
    }

    /// The model as a field model of the data's phase space; errors at `at` (the model's
    /// argument by default) name it as `what`.
    static func field(_ m: ModelValue, _ data: Dataset, _ call: BoundCall, at: SourceLocation? = nil, what: String = "the model") throws -> any FieldModel {
        guard let field = m.model as? any FieldModel else {
            throw call.fail("\(what) is a \(m.model.kind) model, which has no dx/dt to adapt; adapt and curve take field models (hnn, baseline)", at: at ?? call.positional[0].location)
        }
        guard data.phaseSpaceDimension == field.dimension else {
            let hint = data.phaseSpaceDimension < field.dimension ? ": pad the data with dataset(..., dof: \(field.dimension / 2))" : ""
            throw call.fail("\(what)'s phase space has dimension \(field.dimension), the data's \(data.phaseSpaceDimension)\(hint)", at: at ?? call.positional[1].location)
        }
        return field
    }
}
