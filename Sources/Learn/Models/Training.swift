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
    /// Write a checkpoint (model and optimizer) here every `reportEvery` steps, at the end, and
    /// when training stops early (then with the last good parameters).
    public var checkpointPath: String?

    public init(steps: Int, batchSize: Int = 0, learningRate: Double = 1e-3, seed: UInt64 = 0, clipNorm: Double? = nil,
                reportEvery: Int = 100, schedule: LearningRateSchedule = .constant, checkpointPath: String? = nil) {
        self.steps = steps; self.batchSize = batchSize; self.learningRate = learningRate; self.seed = seed
        self.clipNorm = clipNorm; self.reportEvery = reportEvery; self.schedule = schedule; self.checkpointPath = checkpointPath
    }
}

public struct TrainingReport: Sendable {
    /// (step, training loss) every `reportEvery` steps and at the end.
    public var history: [(step: Int, loss: Double)]
    public var finalTrainingLoss: Double
    public var testLoss: Double?
    public var stepsTaken: Int
    /// Why training stopped early, if it did (the parameters are the last good ones).
    public var stoppedEarly: String?
    /// (step, rate) whenever the schedule changed the learning rate, starting at step 1.
    public var learningRates: [(step: Int, rate: Double)]
}

/// Applies a schedule step by step.
struct ScheduleState {
    let schedule: LearningRateSchedule
    var rate: Double
    var best = Double.infinity
    var waited = 0

    /// The rate for `step`, given the loss measured at that step.
    mutating func rate(at step: Int, loss: Double) -> Double {
        switch schedule {
        case .constant: break
        case .piecewise(let pieces):
            if let piece = pieces.last(where: { $0.0 <= step }) { rate = piece.1 }
        case .reduceOnPlateau(let factor, let patience, let threshold, let minimum):
            if loss < best * (1 - threshold) { best = loss; waited = 0 } else {
                waited += 1
                if waited >= patience { rate = max(minimum, rate * factor); waited = 0 }
            }
        }
        return rate
    }
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

/// Trains a model on a dataset's train split with Adam, reporting progress through `progress`.
/// A non-finite loss or gradient stops training with the message, restoring the parameters of
/// the last good step.
///
/// To resume, pass the optimizer of the earlier run (from a checkpoint): steps are numbered on
/// from its count, and minibatches are drawn from (seed, step), so 10 + 10 steps give the same
/// parameters as 20 in one go.
public func train(_ model: DynamicsModel, on data: Dataset, options: TrainingOptions, optimizer: Adam? = nil,
                  progress: (TrainingProgress) -> Void = { _ in }) throws -> TrainingReport {
    let d = data.dimension
    guard d == model.dimension else { throw TrainingError(message: "the model has dimension \(model.dimension), the data \(d)") }
    let trainRows = (0..<data.count).filter { !data.isTest($0) }, testRows = (0..<data.count).filter { data.isTest($0) }
    guard !trainRows.isEmpty else { throw TrainingError(message: "the dataset has no training samples") }
    if let bad = data.states.firstIndex(where: { !$0.isFinite }) ?? data.derivatives.firstIndex(where: { !$0.isFinite }) {
        throw TrainingError(message: "the dataset has a non-finite value in row \(bad / d + 1)")
    }
    func batch(_ rows: [Int]) -> (Tensor, Tensor) {
        var x = [Double](), y = [Double]()
        x.reserveCapacity(rows.count * d); y.reserveCapacity(rows.count * d)
        for r in rows { x += data.states[(r * d)..<((r + 1) * d)]; y += data.derivatives[(r * d)..<((r + 1) * d)] }
        return (Tensor(shape: [rows.count, d], storage: x), Tensor(shape: [rows.count, d], storage: y))
    }
    let optimizer = optimizer ?? Adam(learningRate: options.learningRate)
    let provenance = Checkpoint.Provenance(system: data.system, names: data.names, parameters: data.parameters)
    func saveCheckpoint() throws {
        if let path = options.checkpointPath { try Checkpoint.save(model, optimizer: optimizer, provenance: provenance, to: path) }
    }
    let full = batch(trainRows)
    var history: [(Int, Double)] = []
    var lastGood = model.parameters.map(\.value)
    var stopped: String?
    var loss = Double.nan
    var taken = optimizer.steps
    var scheduler = ScheduleState(schedule: options.schedule, rate: optimizer.steps > 0 ? optimizer.learningRate : options.learningRate,
                                  best: optimizer.plateauBest, waited: optimizer.plateauWaited)
    var rates: [(step: Int, rate: Double)] = []
    let start = Date(), first = optimizer.steps + 1, last = optimizer.steps + max(1, options.steps)
    for step in first...last {
        try Interrupt.check()
        let (x, y): (Tensor, Tensor)
        if options.batchSize <= 0 || options.batchSize >= trainRows.count { (x, y) = full } else {
            var rng = SeededGenerator(seed: options.seed ^ (UInt64(step) &* 0x9E37_79B9_7F4A_7C15))
            (x, y) = batch((0..<options.batchSize).map { _ in trainRows[Int(rng.next() % UInt64(trainRows.count))] })
        }
        let objective = model.loss(x, y)
        loss = objective.value.scalar
        let grads = gradient(of: objective, wrt: model.parameters)
        let finite = loss.isFinite && grads.allSatisfy { $0.value.storage.allSatisfy(\.isFinite) }
        guard finite else {
            for (p, v) in zip(model.parameters, lastGood) { p.value = v }
            stopped = "training stopped at step \(step): the \(loss.isFinite ? "gradient" : "loss") is not finite; the parameters of step \(step - 1) are kept"
            try saveCheckpoint()
            break
        }
        lastGood = model.parameters.map(\.value)
        optimizer.learningRate = scheduler.rate(at: step, loss: loss)
        (optimizer.plateauBest, optimizer.plateauWaited) = (scheduler.best, scheduler.waited)
        if rates.last?.rate != optimizer.learningRate { rates.append((step, optimizer.learningRate)) }
        if let c = options.clipNorm { clipGradients(grads, maximumNorm: c) }
        optimizer.step(model.parameters, grads)
        taken = step
        if step % max(1, options.reportEvery) == 0 || step == last {
            history.append((step, loss))
            let rate = Double(step - first + 1) / max(1e-9, Date().timeIntervalSince(start))
            progress(TrainingProgress(step: step, first: first, last: last, loss: loss, stepsPerSecond: rate))
            try saveCheckpoint()
        }
    }
    var testLoss: Double?
    if !testRows.isEmpty {
        let (x, y) = batch(testRows)
        testLoss = Recording.with(false) { (model.predict(x, createGraph: false) - Variable(y)).square().mean().value.scalar }
    }
    return TrainingReport(history: history, finalTrainingLoss: loss, testLoss: testLoss, stepsTaken: taken, stoppedEarly: stopped,
                          learningRates: rates)
}
