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
                               createGraph: Bool) throws -> [Variable] {
        var current = θ
        for step in 0..<steps {
            let loss = Recording.with(true) { taskLoss(model, x: x, dx: dx, at: current) }
            let g = gradient(of: loss, wrt: current, createGraph: createGraph)
            let finite = loss.value.scalar.isFinite && g.allSatisfy { $0.value.storage.allSatisfy(\.isFinite) }
            let size = current.reduce(0.0) { $0 + $1.value.storage.reduce(0) { $0 + $1 * $1 } }.squareRoot()
            let move = α * g.reduce(0.0) { $0 + $1.value.storage.reduce(0) { $0 + $1 * $1 } }.squareRoot()
            guard finite, move <= maximumRelativeStep * max(size, 1) else {
                let what = finite ? "would move the parameters by \(TextPrinter.format(move / max(size, 1), significantDigits: 3)) times their size" : "has a task loss of \(TextPrinter.format(loss.value.scalar, significantDigits: 4)) or a gradient that is not finite"
                throw NumericalProblem(message: "the inner step diverged: adaptation step \(step + 1) of \(steps) \(what): lower innerlr: (now \(TextPrinter.format(α, significantDigits: 4)))")
            }
            current = Recording.with(true) { zip(current, g).map { $0 - α * $1 } }
        }
        return current
    }

    /// The meta-loss Σ_i L_query_i(θ′_i) over `tasks` and its gradient with respect to the
    /// model's parameters, task by task (each task's graph is freed before the next is built).
    public static func metaGradient(_ model: any FieldModel, tasks: [Task], settings: Settings) throws -> (loss: Double, gradients: [Variable]) {
        let θ = model.variables
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
            guard !d.isSamples, d.dimension % 2 == 0, !d.derivatives.isEmpty else {
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
