/// Learning-rate schedules of the papers.
public enum LearningRateSchedule: Sendable {
    case constant
    /// (step, rate) pairs in increasing step order: from each step on, that rate.
    case piecewise([(Int, Double)])
    /// Multiply by `factor` when the loss has not improved by `threshold` (relative) for `patience` steps.
    case reduceOnPlateau(factor: Double, patience: Int, threshold: Double, minimum: Double)
}

/// A schedule with its own state, separate from the optimizer (as JAX's optax schedules and
/// PyTorch's schedulers are): the rate it sets, and a reduce-on-plateau rule's memory (the best
/// loss so far and the steps since it improved). The trainer asks it for each step's rate and
/// applies that to the optimizer, so while training the rate lives here; checkpoints save the
/// state, and a stop rolls it back with the model and the optimizer.
public struct LearningRateScheduler: Sendable {
    /// What a schedule remembers between steps (and between runs, through checkpoints).
    public struct State: Sendable, Equatable {
        /// The rate of the last step.
        public var rate: Double
        /// Reduce-on-plateau: the lowest loss so far (∞ before the first step).
        public var best: Double
        /// Reduce-on-plateau: steps since the loss last improved on `best`.
        public var waited: Int
        public init(rate: Double, best: Double = .infinity, waited: Int = 0) { self.rate = rate; self.best = best; self.waited = waited }
    }

    public let schedule: LearningRateSchedule
    public var state: State

    public init(schedule: LearningRateSchedule, state: State) { self.schedule = schedule; self.state = state }

    /// The rate for `step`, given the loss measured at that step:
    /// - constant: the rate stays;
    /// - piecewise: the rate of the last piece starting at or before `step`;
    /// - reduce on plateau: when loss < best·(1 − threshold) the loss is the new best;
    ///   otherwise after `patience` such steps the rate becomes max(minimum, rate·factor).
    public mutating func rate(at step: Int, loss: Double) -> Double {
        switch schedule {
        case .constant: break
        case .piecewise(let pieces):
            if let piece = pieces.last(where: { $0.0 <= step }) { state.rate = piece.1 }
        case .reduceOnPlateau(let factor, let patience, let threshold, let minimum):
            if loss < state.best * (1 - threshold) { state.best = loss; state.waited = 0 } else {
                state.waited += 1
                if state.waited >= patience { state.rate = max(minimum, state.rate * factor); state.waited = 0 }
            }
        }
        return state.rate
    }
}
