import Dynamics
import Foundation
import Symbolic

/// Song & Jeong's meta-learned Hamiltonians (papers/004, section 3): model-agnostic
/// meta-learning (Finn et al. 2017) of a field model over tasks drawn from several physical
/// systems, so that a few gradient steps on K points of an unseen system adapt it.
///
/// A **task** is one trajectory: K support points and K other query points (x, ẋ) drawn from it.
/// Its loss is the paper's, summed over points and components,
///
///     L_T(θ) = Σ_(x, ẋ)∈T Σ_c log cosh(f_θ(x) − ẋ)_c.
///
/// The **inner loop** adapts θ to a task by SGD on its support points, θ′ = θ − α∇_θ L_support(θ)
/// (`innerSteps` times); the **outer loop** moves θ by Adam on Σ_i L_query_i(θ′_i) over a meta-batch
/// of tasks. Second order (the default) differentiates through the inner step: with an HNN,
/// f_θ = J∇ₓH_θ, the inner gradient already holds second derivatives of H_θ and the outer one
/// third. First order treats ∇_θ L_support as a constant (∂θ′/∂θ = I).
public enum MetaLearning {
    /// The inner loop's settings.
    public struct Settings: Sendable {
        public var innerSteps: Int
        public var innerLearningRate: Double
        public var secondOrder: Bool
        public init(innerSteps: Int = 1, innerLearningRate: Double = 0.01, secondOrder: Bool = true) {
            self.innerSteps = innerSteps; self.innerLearningRate = innerLearningRate; self.secondOrder = secondOrder
        }
    }

    /// One task: support and query points [K, d] of one trajectory, and where they came from.
    public struct Task {
        public var supportX: Tensor, supportDX: Tensor
        public var queryX: Tensor, queryDX: Tensor
        public var system: String
        public init(supportX: Tensor, supportDX: Tensor, queryX: Tensor, queryDX: Tensor, system: String) {
            self.supportX = supportX; self.supportDX = supportDX; self.queryX = queryX; self.queryDX = queryDX; self.system = system
        }
    }

    /// An inner step larger than this multiple of the parameters' norm (or of 1) is divergence:
    /// no rate that adapts a model moves it a thousand times its own size in one step.
    public static let maximumRelativeStep = 1e3

    /// The paper's task loss L_T(θ) = Σ log cosh(f_θ(x) − ẋ), recorded when recording is on.
    public static func taskLoss(_ model: any FieldModel, x: Tensor, dx: Tensor, at θ: [Variable]) -> Variable {
        (model.predict(x, at: θ, createGraph: Recording.isOn) - Variable(dx)).logCosh().sum()
    }

    /// θ′ after `steps` SGD steps of rate α on L(θ) over (x, ẋ), starting from θ. With
    /// `createGraph` each step stays differentiable in θ (second-order MAML); without, its
    /// gradient is a constant and θ′ depends on θ as θ − const. A step whose loss or gradient
    /// is not finite, or that would move θ by more than `maximumRelativeStep` times its norm,
    /// throws, naming the step: the inner step diverged.
    public static func adapted(_ model: any FieldModel, x: Tensor, dx: Tensor, from θ: [Variable], steps: Int, learningRate α: Double,
                               createGraph: Bool, naming: (first: Int, of: Int, what: String, option: String)? = nil) throws -> [Variable] {
        var current = θ
        for step in 0..<steps {
            let loss = Recording.with(true) { taskLoss(model, x: x, dx: dx, at: current) }
            let g = gradient(of: loss, wrt: current, createGraph: createGraph)
            let finite = loss.value.scalar.isFinite && g.allSatisfy { $0.value.storage.allSatisfy(\.isFinite) }
            let size = current.reduce(0.0) { $0 + $1.value.storage.reduce(0) { $0 + $1 * $1 } }.squareRoot()
            let move = α * g.reduce(0.0) { $0 + $1.value.storage.reduce(0) { $0 + $1 * $1 } }.squareRoot()
            guard finite, move <= maximumRelativeStep * max(size, 1) else {
                let what = finite ? "would move the parameters by \(TextPrinter.format(move / max(size, 1), significantDigits: 3)) times their size" : "has a task loss of \(TextPrinter.format(loss.value.scalar, significantDigits: 4)) or a gradient that is not finite"
                let name = naming ?? (1, steps, "the inner step", "innerlr:")
                throw NumericalProblem(message: "\(name.what) diverged: SGD step \(name.first + step) of \(name.of) \(what): lower \(name.option) (now \(TextPrinter.format(α, significantDigits: 4)))")
            }
            current = Recording.with(true) { zip(current, g).map { $0 - α * $1 } }
        }
        return current
    }

    /// The meta-loss Σ_i L_query_i(θ′_i) over `tasks` and its gradient with respect to the
    /// model's parameters, task by task (each task's graph is freed before the next is built).
    public static func metaGradient(_ model: any FieldModel, tasks: [Task], settings: Settings) throws -> (loss: Double, gradients: [Variable]) {
        let θ = model.variables
        if let (net, S) = fusedNetwork(model, settings: settings) {
            return try fusedMetaGradient(net, symplecticTranspose: S, θ: θ, tasks: tasks, settings: settings)
        }
        var total = 0.0
        var sum = θ.map { Tensor.zeros($0.shape) }
        for task in tasks {
            let θi = try adapted(model, x: task.supportX, dx: task.supportDX, from: θ, steps: settings.innerSteps,
                                 learningRate: settings.innerLearningRate, createGraph: settings.secondOrder)
            let query = Recording.with(true) { taskLoss(model, x: task.queryX, dx: task.queryDX, at: θi) }
            total += query.value.scalar
            for (k, g) in gradient(of: query, wrt: θ).enumerated() { sum[k] = Tensor.zip(sum[k], g.value, .add) }
        }
        return (total, sum.map { Variable($0) })
    }

    /// Bytes held by one task's recorded graph in an outer step (support forward, the inner
    /// steps, the query loss at the adapted parameters): what a step must hold at once, since
    /// tasks run one after another.
    public static func taskGraphBytes(_ model: any FieldModel, task: Task, settings: Settings) throws -> Int {
        let θi = try adapted(model, x: task.supportX, dx: task.supportDX, from: model.variables, steps: settings.innerSteps,
                             learningRate: settings.innerLearningRate, createGraph: settings.secondOrder)
        return Recording.with(true) { taskLoss(model, x: task.queryX, dx: task.queryDX, at: θi) }.graphBytes
    }

    /// One outer step: the meta-gradient over `tasks`, then the optimizer's update of θ.
    /// Returns the meta-loss before the update.
    @discardableResult
    public static func step(_ model: any FieldModel, tasks: [Task], settings: Settings, optimizer: any Optimizer) throws -> Double {
        let (loss, g) = try metaGradient(model, tasks: tasks, settings: settings)
        guard loss.isFinite, g.allSatisfy({ $0.value.storage.allSatisfy(\.isFinite) }) else {
            throw NumericalProblem(message: "the meta-loss or its gradient is not finite (meta-loss \(TextPrinter.format(loss, significantDigits: 4))): lower lr: or innerlr:")
        }
        optimizer.step(model.variables, g)
        return loss
    }
}

/// Draws tasks from datasets of several systems in one phase space (`Dataset.padded` puts
/// smaller systems there): a system uniformly, one of its training trajectories uniformly,
/// then 2K distinct samples of that trajectory (K support, K query).
public struct MetaTaskSampler {
    public let datasets: [Dataset]
    public let K: Int
    /// Per dataset: its training trajectories, each as the indices of its samples.
    let trajectories: [[[Int]]]

    /// Fails when the datasets' phase spaces differ, or a dataset has no training trajectory of
    /// 2K samples, or is not a phase-space trajectory dataset.
    public init(_ datasets: [Dataset], K: Int) throws {
        guard K >= 1 else { throw ModelError(message: "K: must be at least 1 (it is \(K))") }
        guard let first = datasets.first else { throw ModelError(message: "meta-learning needs at least one dataset of tasks") }
        var all: [[[Int]]] = []
        for d in datasets {
            guard !d.isSamples, !d.derivatives.isEmpty else {
                throw ModelError(message: "\(d.system): a task is a trajectory with its derivatives (x, dx); this dataset has none")
            }
            guard d.dimension == first.dimension else {
                let widest = datasets.map { $0.dimension / 2 }.max()!
                throw ModelError(message: "\(first.system) has \(first.dimension / 2) degrees of freedom and \(d.system) \(d.dimension / 2): one network takes one phase space; pad the smaller systems with dataset(..., dof: \(widest))")
            }
            var byTrajectory: [Int: [Int]] = [:]
            for s in 0..<d.count where !d.isTest(s) { byTrajectory[d.trajectoryIDs[s], default: []].append(s) }
            let usable = byTrajectory.keys.sorted().compactMap { byTrajectory[$0]!.count >= 2 * K ? byTrajectory[$0]! : nil }
            guard !usable.isEmpty else {
                let most = byTrajectory.values.map(\.count).max() ?? 0
                throw ModelError(message: "\(d.system): a task takes K = \(K) support and K query points from one trajectory (2K = \(2 * K)); its training trajectories have at most \(most) samples: lower K: or sample more (samples:)")
            }
            all.append(usable)
        }
        self.datasets = datasets; self.K = K; trajectories = all
    }

    /// The phase space's dimension.
    public var dimension: Int { datasets[0].dimension }

    /// One task from dataset `system` (an index), or from a uniformly chosen one.
    public func task(_ rng: inout SeededGenerator, system: Int? = nil) -> MetaLearning.Task {
        let s = system ?? Int(rng.next() % UInt64(datasets.count))
        let d = datasets[s], pool = trajectories[s]
        let samples = pool[Int(rng.next() % UInt64(pool.count))]
        // 2K distinct samples: a partial Fisher–Yates shuffle.
        var order = samples
        for i in 0..<(2 * K) { order.swapAt(i, i + Int(rng.next() % UInt64(order.count - i))) }
        func rows(_ picks: ArraySlice<Int>, _ source: [Double]) -> Tensor {
            Tensor(shape: [picks.count, d.dimension], storage: picks.flatMap { source[($0 * d.dimension)..<(($0 + 1) * d.dimension)] })
        }
        let support = order[0..<K], query = order[K..<(2 * K)]
        return .init(supportX: rows(support, d.states), supportDX: rows(support, d.derivatives),
                     queryX: rows(query, d.states), queryDX: rows(query, d.derivatives), system: d.system)
    }
}

// MARK: Meta-training

extension MetaLearning {
    /// `steps` outer steps, each over `tasksPerStep` tasks drawn afresh from the sampler
    /// (seeded); `progress(step, loss)` every `reportEvery` steps and at the end, with the
    /// meta-loss per task. A step that diverges stops the run with the parameters of the step
    /// before (the update is applied only after the meta-gradient is known finite), as
    /// `train` stops: the history so far, and why it stopped.
    public static func train(_ model: any FieldModel, sampler: MetaTaskSampler, steps: Int, tasksPerStep: Int, settings: Settings,
                             optimizer: any Optimizer, seed: UInt64, reportEvery: Int,
                             progress: (Int, Double) -> Void) -> (history: [(step: Int, loss: Double)], stoppedEarly: String?) {
        var rng = SeededGenerator(seed: seed ^ 0x4D41_4D4C)
        var history: [(step: Int, loss: Double)] = []
        for step in 1...steps {
            let tasks = (0..<tasksPerStep).map { _ in sampler.task(&rng) }
            let loss: Double
            do { loss = try MetaLearning.step(model, tasks: tasks, settings: settings, optimizer: optimizer) / Double(tasksPerStep) } catch {
                return (history, "stopped at outer step \(step) of \(steps) with the parameters of step \(step - 1): \(error)")
            }
            if step % reportEvery == 0 || step == steps { history.append((step, loss)); progress(step, loss) }
        }
        return (history, nil)
    }
}

// MARK: Adaptation and its curve (the paper's section 3.3 and Figure 1)

extension MetaLearning {
    /// One evaluation episode: K support points of one trajectory of the data, and that whole
    /// trajectory (its states in time order, [N][d], and their times) to roll out against.
    public struct Episode {
        public var supportX: Tensor, supportDX: Tensor
        public var states: [[Double]], times: [Double]
        /// The trajectory's id in the data.
        public var trajectory: Int
    }

    /// An episode from a uniformly drawn test trajectory of `data` (train trajectories when it
    /// has no test split): K distinct samples of it as support points.
    public static func episode(_ data: Dataset, K: Int, _ rng: inout SeededGenerator) throws -> Episode {
        guard !data.isSamples, !data.derivatives.isEmpty else { throw ModelError(message: "\(data.system): adaptation needs a trajectory dataset with derivatives") }
        let wantTest = data.testTrajectoryCount > 0
        var byTrajectory: [Int: [Int]] = [:]
        for s in 0..<data.count where data.isTest(s) == wantTest { byTrajectory[data.trajectoryIDs[s], default: []].append(s) }
        let ids = byTrajectory.keys.sorted().filter { byTrajectory[$0]!.count >= max(K, 2) }
        guard !ids.isEmpty else {
            throw ModelError(message: "\(data.system): adaptation takes K = \(K) points of one trajectory; its \(wantTest ? "test" : "train") trajectories have at most \(byTrajectory.values.map(\.count).max() ?? 0) samples: lower K:")
        }
        let id = ids[Int(rng.next() % UInt64(ids.count))]
        let samples = byTrajectory[id]!.sorted { data.times[$0] < data.times[$1] }
        var order = samples
        for i in 0..<K { order.swapAt(i, i + Int(rng.next() % UInt64(order.count - i))) }
        let d = data.dimension
        func rows(_ picks: ArraySlice<Int>, _ source: [Double]) -> Tensor {
            Tensor(shape: [picks.count, d], storage: picks.flatMap { source[($0 * d)..<(($0 + 1) * d)] })
        }
        return Episode(supportX: rows(order[0..<K], data.states), supportDX: rows(order[0..<K], data.derivatives),
                       states: samples.map { Array(data.states[($0 * d)..<(($0 + 1) * d)]) }, times: samples.map { data.times[$0] }, trajectory: id)
    }

    /// One plain SGD step of rate α on the task loss over (x, ẋ), in place: θ ← θ − α∇L(θ)
    /// (the paper's adaptation): step `step` of `steps`, whose rate is the option `option`, as
    /// a divergence names them. Throws as the inner step does when it diverges, leaving θ.
    public static func adaptationStep(_ model: any FieldModel, x: Tensor, dx: Tensor, learningRate α: Double,
                                      step: Int = 1, of steps: Int = 1, option: String = "lr:") throws {
        let θ = model.variables
        let next = try adapted(model, x: x, dx: dx, from: θ.map { Variable($0.value, requiresGradient: true) }, steps: 1, learningRate: α, createGraph: false,
                               naming: (step, steps, "the adaptation", option))
        for (p, v) in zip(θ, next) { p.value = v.value }
    }

    /// The trajectory MSE of the model's RK4 rollout from the episode's first state against its
    /// states, at its times (each sample interval in steps of at most 0.05); nil when the
    /// rollout leaves the finite numbers.
    public static func trajectoryError(_ model: any FieldModel, _ episode: Episode) -> Double? {
        let d = model.dimension
        var x = episode.states[0], total = 0.0
        var k1 = [Double](repeating: 0, count: d), k2 = k1, k3 = k1, k4 = k1, y = k1
        func f(_ s: [Double], _ out: inout [Double]) {
            s.withUnsafeBufferPointer { sp in out.withUnsafeMutableBufferPointer { model.fieldEvaluate(sp.baseAddress!, into: $0.baseAddress!) } }
        }
        for k in 1..<episode.times.count {
            let interval = episode.times[k] - episode.times[k - 1]
            let substeps = max(1, Int((interval / 0.05).rounded(.up)))
            let h = interval / Double(substeps)
            for _ in 0..<substeps {
                f(x, &k1)
                for i in 0..<d { y[i] = x[i] + 0.5 * h * k1[i] }
                f(y, &k2)
                for i in 0..<d { y[i] = x[i] + 0.5 * h * k2[i] }
                f(y, &k3)
                for i in 0..<d { y[i] = x[i] + h * k3[i] }
                f(y, &k4)
                for i in 0..<d { x[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) }
            }
            guard x.allSatisfy({ $0.isFinite && abs($0) < 1e150 }) else { return nil }
            for i in 0..<d { let e = x[i] - episode.states[k][i]; total += e * e }
        }
        return total / Double((episode.times.count - 1) * d)
    }

    /// The adaptation curve of each model on `data` (Figure 1): `repeats` episodes (the same
    /// ones for every model), and for each a copy of the model adapted by SGD steps of rate α on
    /// the episode's K points; after each step in `marks` (sorted, 0 is before any step) the
    /// trajectory MSE of its RK4 rollout. Per model and mark: the mean over the repeats whose
    /// adaptation and rollout stayed finite, and how many did not.
    public static func curve(_ models: [any FieldModel], on data: Dataset, K: Int, marks: [Int], repeats: Int, learningRate α: Double,
                             seed: UInt64) throws -> [(mean: [Double], diverged: [Int])] {
        precondition(!marks.isEmpty && zip(marks, marks.dropFirst()).allSatisfy { $0 < $1 } && marks[0] >= 0)
        var rng = SeededGenerator(seed: seed)
        let episodes = try (0..<repeats).map { _ in try episode(data, K: K, &rng) }
        return try models.map { model in
            var sums = [Double](repeating: 0, count: marks.count), counts = [Int](repeating: 0, count: marks.count)
            for e in episodes {
                let m = model.copy() as any FieldModel
                var done = 0
                // An adaptation that diverges leaves this repeat out from that mark on, as a
                // rollout that leaves the finite numbers does.
                adapting: for (k, mark) in marks.enumerated() {
                    while done < mark {
                        do { try adaptationStep(m, x: e.supportX, dx: e.supportDX, learningRate: α) } catch is NumericalProblem { break adapting }
                        done += 1
                    }
                    if let mse = trajectoryError(m, e) { sums[k] += mse; counts[k] += 1 }
                }
            }
            return (zip(sums, counts).map { $1 > 0 ? $0 / Double($1) : .nan }, counts.map { repeats - $0 })
        }
    }

    /// For scale: the trajectory MSE of staying at the first state (x(t) = x(0)), over the same
    /// episodes as `curve` draws with the same arguments.
    public static func restingError(on data: Dataset, K: Int, repeats: Int, seed: UInt64) throws -> Double {
        var rng = SeededGenerator(seed: seed)
        let episodes = try (0..<repeats).map { _ in try episode(data, K: K, &rng) }
        return episodes.reduce(0.0) { total, e in
            let d = e.states[0].count
            let sum = e.states.dropFirst().reduce(0.0) { acc, x in acc + zip(x, e.states[0]).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
            return total + sum / Double((e.states.count - 1) * d)
        } / Double(repeats)
    }

    /// The steps a curve of `steps` SGD steps is measured at: every step to 10, then every 5th
    /// to 20, then every 10th, and the last: a rollout per mark is the curve's cost.
    public static func curveMarks(steps: Int) -> [Int] {
        let all = Array(0...min(steps, 10)) + stride(from: 15, through: min(steps, 20), by: 5) + stride(from: 30, through: steps, by: 10)
        return all.last == steps ? all : all + [steps]
    }
}
