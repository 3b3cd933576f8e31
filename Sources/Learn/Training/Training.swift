import Dynamics
import Foundation
import Symbolic

/// How to train.
public struct TrainingOptions: Sendable {
    public var steps: Int
    /// Samples per step; 0 means the whole training set (full batch).
    public var batchSize: Int
    public var learningRate: Double
    public var seed: UInt64
    /// Clip the global gradient norm (nil: no clipping).
    public var clipNorm: Double?
    public var reportEvery: Int
    public var schedule: LearningRateSchedule
    /// Write a checkpoint (model, optimizer and schedule) here every `reportEvery` steps, at the end, and
    /// when training stops early (then with the last good parameters).
    public var checkpointPath: String?
    /// Training stops as diverging when the loss exceeds this multiple of the lowest loss of the
    /// run (with minibatches, both are moving averages over about 100 steps: one minibatch's
    /// loss is noise). A learning rate far too large grows the loss by many orders of magnitude
    /// within a few steps (a baseline at lr 1e10: from 6 to 1e22 in one); 1e6 leaves room for
    /// the spikes Adam recovers from.
    public var divergenceFactor: Double

    public init(steps: Int, batchSize: Int = 0, learningRate: Double = 1e-3, seed: UInt64 = 0, clipNorm: Double? = nil,
                reportEvery: Int = 100, schedule: LearningRateSchedule = .constant, checkpointPath: String? = nil,
                divergenceFactor: Double = 1e6) {
        self.steps = steps; self.batchSize = batchSize; self.learningRate = learningRate; self.seed = seed
        self.clipNorm = clipNorm; self.reportEvery = reportEvery; self.schedule = schedule; self.checkpointPath = checkpointPath
        self.divergenceFactor = divergenceFactor
    }
}

public struct TrainingReport: Sendable {
    /// (step, the loss on that step's batch, before its update) every `reportEvery` steps and
    /// at the end.
    public var history: [(step: Int, loss: Double)]
    /// The objective over the whole training split (for the HNN and the baseline, the mean
    /// squared error of the predicted ẋ), at the parameters the model ends with (after the last
    /// update, or the ones kept on a stop).
    public var finalTrainingLoss: Double
    /// The objective over the held-out split, when there is one.
    public var testLoss: Double?
    /// The optimizer's step count at the parameters the model ends with.
    public var stepsTaken: Int
    /// Why training stopped early, if it did, and after how many steps the kept parameters are.
    public var stoppedEarly: String?
    /// (step, rate) whenever the schedule changed the learning rate, starting at step 1.
    public var learningRates: [(step: Int, rate: Double)]
    /// Each loss term of the objective on the whole training split, at the parameters the
    /// model ends with.
    public var terms: [String: Double]
    /// The schedule's state at the parameters the model ends with (rolled back with them on a
    /// stop): what a checkpoint saves and a resumed run starts from.
    public var schedule: LearningRateScheduler.State
}

/// Where training is, reported every `reportEvery` steps.
public struct TrainingProgress: Sendable {
    public var step: Int, first: Int, last: Int
    public var loss: Double
    public var stepsPerSecond: Double

    /// `step 400/2000  loss 3.4451e-02  (281 steps/s)`: one line for logs.
    public var line: String { String(format: "step %d/%d  loss %.4e  (%.0f steps/s)", step, last, loss, stepsPerSecond) }

    /// The line with a bar of `width` cells in front, for a terminal.
    public func bar(width: Int = 24) -> String {
        let done = Double(step - first + 1) / Double(max(1, last - first + 1))
        let filled = min(width, Int((done * Double(width)).rounded(.down)))
        return "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + "] " + line
    }
}

/// Why training could not start.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// Trains a model on a dataset's derivative pairs (x, ẋ) of its train split: `train(_:on:objective:…)`
/// with `DerivativePairs(data)`.
public func train(_ model: any Model, on data: Dataset, objective: Objective? = nil, options: TrainingOptions, optimizer: Adam? = nil,
                  schedule: LearningRateScheduler.State? = nil, progress: (TrainingProgress) -> Void = { _ in }) throws -> TrainingReport {
    try train(model, on: DerivativePairs(data), objective: objective, options: options, optimizer: optimizer, schedule: schedule, progress: progress)
}

/// Trains a model on batches of `source` with Adam, minimising `objective` (nil: the model's
/// own, `Model.objective`), reporting progress through `progress`.
///
/// Every step checks the parameters it is about to update: the loss and its gradient must be
/// finite, the model's output must not overflow (`Model.outputProblem`), and the loss must stay
/// within `divergenceFactor` times the lowest loss of the run (with minibatches, both are moving
/// averages of the step losses, so that one noisy minibatch does not count as a blow-up). The
/// parameters after the last step are checked the same way, on the whole training split. When a
/// check fails, training stops and says why, at which step and with which loss, and rolls the
/// model, the optimizer and the schedule back to the last parameters that passed (so a
/// checkpoint and `resume` continue from them). The reported training loss is always that of
/// the parameters the model ends with.
///
/// The learning rate: the schedule's, applied to the optimizer before each step. A fresh
/// optimizer starts at `options.learningRate`; one that has taken steps at its own rate (the
/// rate its last step applied, which a caller may set). `schedule` carries a reduce-on-plateau
/// rule's memory from an earlier run (nil: fresh).
///
/// To resume, pass the optimizer and schedule state of the earlier run (from a checkpoint or a
/// report): steps are numbered on from the optimizer's count, and minibatches are drawn from
/// (seed, step), so 10 + 10 steps give the same parameters as 20 in one go.
public func train(_ model: any Model, on source: some BatchSource, objective: Objective? = nil, options: TrainingOptions, optimizer: Adam? = nil,
                  schedule: LearningRateScheduler.State? = nil, progress: (TrainingProgress) -> Void = { _ in }) throws -> TrainingReport {
    let d = source.dimension
    guard d == model.dimension else { throw TrainingError(message: "the model has dimension \(model.dimension), the data \(d)") }
    try source.validate()
    let objective = objective ?? model.objective
    try objective.check(against: model)
    let θ = model.variables
    let count = source.count
    /// The objective and its terms on a batch, at the current parameters, not recorded.
    func measure(_ batch: Batch) throws -> (loss: Double, terms: [String: Double]) {
        try Recording.with(false) {
            let terms = try model.losses(batch)
            return (try objective.combine(terms).value.scalar, terms.mapValues { $0.value.scalar })
        }
    }
    let optimizer = optimizer ?? Adam(learningRate: options.learningRate)
    // Step numbers continue the optimizer's count; a damaged count must not trap in the sums.
    let (last, overflow) = optimizer.steps.addingReportingOverflow(max(1, options.steps))
    guard optimizer.steps >= 0, !overflow else {
        throw TrainingError(message: "cannot continue a run at step \(optimizer.steps) for \(options.steps) more steps: the step count must stay between 0 and \(Int.max)")
    }
    // A checkpoint file that cannot be written is refused before any training.
    if let path = options.checkpointPath { try AtomicFile.checkDestination(path) }
    let provenance = source.provenance
    var scheduler = LearningRateScheduler(schedule: options.schedule,
                                          state: .init(rate: optimizer.steps > 0 ? optimizer.learningRate : options.learningRate,
                                                       best: schedule?.best ?? .infinity, waited: schedule?.waited ?? 0))
    func saveCheckpoint() throws {
        if let path = options.checkpointPath { try Checkpoint.save(model, optimizer: optimizer, schedule: scheduler.state, provenance: provenance, to: path) }
    }
    let full = source.trainingBatch
    var history: [(Int, Double)] = []
    let short = { (x: Double) in TextPrinter.format(x, significantDigits: 3) }
    // The last parameters that passed every check, with the optimizer's and the schedule's
    // state at that point; until a step passes, the ones training started from.
    var kept = (parameters: θ.map(\.value), optimizer: optimizer.copy(), schedule: scheduler.state, checked: false)
    // Divergence compares the run's level of loss with its lowest level. With the full batch
    // the level is the step's loss, which is exact. A minibatch's loss is one draw of a noisy
    // estimate (with batch 1, losses of healthy steps spread over six orders of magnitude), so
    // there the level is an exponential moving average of the step losses, L̄_k =
    // β L̄_(k−1) + (1 − β) L_k with β = 0.99 (about the last 100 minibatches), started at the
    // first loss. One outlier L moves L̄ by (1 − β) L only, while a blow-up still shows at once:
    // a loss growing by a factor G moves L̄ by about G/100, e.g. 6 → 1e22 in one step gives
    // L̄ ≈ 1e20, far beyond 1e6 times any level before it.
    let minibatches = options.batchSize > 0 && options.batchSize < count
    let smoothing = minibatches ? 0.99 : 0.0
    var level: Double?
    // The lowest level of the run and the step that measured it.
    var best: (loss: Double, step: Int)?
    var stopped: String?
    var rates: [(step: Int, rate: Double)] = []
    let start = Date(), first = optimizer.steps + 1
    /// The level of loss after a step whose loss is `loss`.
    func levelAfter(_ loss: Double) -> Double { level.map { smoothing * $0 + (1 - smoothing) * loss } ?? loss }
    /// Why the level `loss` shows divergence, or nil.
    func divergence(_ loss: Double, averaged: Bool) -> String? {
        guard let best, best.loss > 0, loss > options.divergenceFactor * best.loss else { return nil }
        let what = averaged ? "the loss (its moving average over about 100 minibatches)" : "the loss"
        return "\(what) grew to \(short(loss)), more than \(short(options.divergenceFactor)) times its lowest, \(short(best.loss)) at step \(best.step) "
            + "(diverging: the learning rate is too large)"
    }
    /// Rolls the model, optimizer and schedule back to `kept`, records why, and checkpoints them.
    func stop(_ reason: String) throws {
        for (p, v) in zip(θ, kept.parameters) { p.value = v }
        optimizer.restore(kept.optimizer)
        scheduler.state = kept.schedule
        stopped = reason + (kept.checked ? "; kept the parameters after \(optimizer.steps) steps"
                                         : "; no step passed the checks, so the parameters are the ones it started from")
        try saveCheckpoint()
    }
    for step in first...last {
        try Interrupt.check()
        // θ as the step finds it: a model may update state kept with θ while it computes its
        // losses (a flow's moving averages), and what passes is the state the step started from.
        let before = θ.map(\.value)
        let batch: Batch
        if !minibatches { batch = full } else {
            var rng = SeededGenerator(seed: options.seed ^ (UInt64(step) &* 0x9E37_79B9_7F4A_7C15))
            batch = source.batch((0..<options.batchSize).map { _ in Int(rng.next() % UInt64(count)) })
        }
        // The step records its own graph, whatever the caller's recording switch says.
        let objectiveValue: Variable, grads: [Variable]
        do {
            (objectiveValue, grads) = try Recording.with(true) {
                let objectiveValue = try objective.combine(try model.losses(batch))
                return (objectiveValue, gradient(of: objectiveValue, wrt: θ))
            }
        } catch let problem as NumericalProblem {
            // The model cannot evaluate its loss here (an LNN's singular mass matrix).
            try stop("training stopped at step \(step) of \(last): \(problem.message)")
            break
        }
        let loss = objectiveValue.value.scalar
        let problem: String? = !loss.isFinite ? "the loss is not finite (\(short(loss)))"
            : !grads.allSatisfy({ $0.value.storage.allSatisfy(\.isFinite) }) ? "the gradient is not finite"
            : model.outputProblem(on: batch) ?? divergence(levelAfter(loss), averaged: minibatches)
        if let problem {
            try stop("training stopped at step \(step) of \(last): \(problem)")
            break
        }
        kept = (before, optimizer.copy(), scheduler.state, true)
        level = levelAfter(loss)
        if let level, level < best?.loss ?? .infinity { best = (level, step) }
        optimizer.learningRate = scheduler.rate(at: step, loss: loss)
        if rates.last?.rate != optimizer.learningRate { rates.append((step, optimizer.learningRate)) }
        if let c = options.clipNorm { clipGradients(grads, maximumNorm: c) }
        optimizer.step(θ, grads)
        if step % max(1, options.reportEvery) == 0 || step == last {
            history.append((step, loss))
            let rate = Double(step - first + 1) / max(1e-9, Date().timeIntervalSince(start))
            progress(TrainingProgress(step: step, first: first, last: last, loss: loss, stepsPerSecond: rate))
            try saveCheckpoint()
        }
    }
    // The last update is checked like the others, on the whole training split.
    var final: (loss: Double, terms: [String: Double])
    var finalProblem: String?
    do { final = try measure(full) } catch let problem as NumericalProblem {
        final = (.nan, [:])
        finalProblem = problem.message
    }
    if stopped == nil {
        let problem: String? = finalProblem ?? (!final.loss.isFinite ? "the loss is not finite (\(short(final.loss)))"
            : model.outputProblem(on: full) ?? divergence(final.loss, averaged: false))
        if let problem {
            try stop("training stopped after step \(last), the last: \(problem)")
            final = (try? measure(full)) ?? (.nan, [:])
        }
    }
    // Stopped with parameters at which the loss cannot be evaluated (no step passed): its
    // loss is reported as NaN, with the reason in `stoppedEarly`.
    var testLoss: Double?
    do { testLoss = try source.testBatch.map { try measure($0).loss } } catch let problem as NumericalProblem {
        stopped = (stopped.map { $0 + "; " } ?? "") + "the test loss cannot be evaluated: \(problem.message)"
    }
    return TrainingReport(history: history, finalTrainingLoss: final.loss, testLoss: testLoss, stepsTaken: optimizer.steps, stoppedEarly: stopped,
                          learningRates: rates, terms: final.terms, schedule: scheduler.state)
}
