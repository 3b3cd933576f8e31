import Dynamics
import Symbolic

/// Greydanus et al.'s evaluation of a learned field on a dataset (section 4 of their paper):
///
/// - per split, the mean squared error of the predicted ẋ, mean over rows and components of
///   (f_θ(x) − ẋ)²;
/// - from the first state of each test trajectory, the rollout of the learned field against the
///   true system's over [0, T] (`RolloutComparison`: trajectory MSE and energy MSE), where T is
///   the data's time span unless given, sampled at as many times per unit as the data's
///   trajectories are (at least their sample count), and the true system is rebuilt from the
///   catalog by the data's system name and parameters.
///
/// One call per model on the same data gives the rows of a comparison table (the SCNN paper's
/// Table 1 layout).
public struct GreydanusEvaluation: Sendable {
    /// The error of the predicted ẋ on one split.
    public struct SplitError: Sendable, Equatable {
        /// "train" or "test".
        public var split: String
        public var meanSquaredError: Double
        public var samples: Int
    }

    /// What became of the rollout comparison.
    public enum Rollouts: Sendable {
        /// Compared over [0, horizon].
        case compared(RolloutComparison)
        /// Not compared, and why (the true system cannot be rebuilt, or its state is not the
        /// data's columns).
        case notCompared(String)
        /// An integration failed: its message.
        case failed(String)
    }

    /// The splits that have samples, train first.
    public var splits: [SplitError]
    /// nil when there are no test trajectories or the horizon is 0.
    public var rollouts: Rollouts?
    /// The rollouts' T.
    public var horizon: Double

    /// Rollouts longer than this multiple of the data's time span are refused (a rollout of a
    /// few thousand spans is a job for a trajectory, not an evaluation).
    public static let maximumHorizonRatio = 1000.0

    /// The mean squared error of the predicted ẋ on each split that has samples.
    public static func splitErrors(_ model: any FieldModel, on data: Dataset) -> [SplitError] {
        let n = data.dimension
        var out: [SplitError] = []
        for (split, rows) in [("train", (0..<data.count).filter { !data.isTest($0) }), ("test", (0..<data.count).filter { data.isTest($0) })] where !rows.isEmpty {
            let x = Tensor(shape: [rows.count, n], storage: rows.flatMap { data.states[($0 * n)..<(($0 + 1) * n)] })
            let y = Tensor(shape: [rows.count, n], storage: rows.flatMap { data.derivatives[($0 * n)..<(($0 + 1) * n)] })
            let mse = (model.predict(x, createGraph: false) - Variable(y)).square().mean().value.scalar
            out.append(SplitError(split: split, meanSquaredError: mse, samples: rows.count))
        }
        return out
    }

    /// The first state of each test trajectory, in row order.
    public static func testStarts(_ data: Dataset) -> [[Double]] {
        let n = data.dimension
        var starts: [[Double]] = [], seen = Set<Int>()
        for k in 0..<data.count where data.isTest(k) && seen.insert(data.trajectoryIDs[k]).inserted {
            starts.append(Array(data.states[(k * n)..<((k + 1) * n)]))
        }
        return starts
    }

    /// The data's time span: the rollouts' default horizon.
    public static func span(_ data: Dataset) -> Double { data.times.max() ?? 0 }

    /// Whether `horizon` is beyond `maximumHorizonRatio` times the data's span.
    public static func isTooLong(_ horizon: Double, for data: Dataset) -> Bool {
        horizon / max(1e-300, data.times.max() ?? horizon) > maximumHorizonRatio
    }

    /// The sample times of the rollouts over [0, horizon]: as many per trajectory span as the
    /// data has samples per trajectory (at least 2), scaled with the horizon.
    public static func times(_ data: Dataset, horizon: Double) -> [Double] {
        let perTrajectory = max(2, data.count / max(1, data.trajectoryCount))
        let ratio = horizon / max(1e-300, data.times.max() ?? horizon)
        let samples = max(perTrajectory, Int((Double(perTrajectory) * ratio).rounded()))
        return (0..<samples).map { horizon * Double($0) / Double(samples - 1) }
    }

    /// The rollout comparison from `starts` over [0, horizon] against the true system of the
    /// data, rebuilt from the catalog; with `known` invariants (expressions of the data's
    /// names and parameters), their deviations along the rollouts too.
    public static func rollouts(_ model: any FieldModel, on data: Dataset, from starts: [[Double]], horizon: Double, known: [Expr] = []) -> Rollouts {
        rollouts(on: data, known: known) { truth, invariants in
            try RolloutComparison.run(model: model, truth: truth, initialStates: starts, times: times(data, horizon: horizon), invariants: invariants)
        }
    }

    /// The rollout comparison of a step map, iterated from `starts` over [0, horizon] (whole
    /// steps), sampled as densely as a field's would be.
    public static func rollouts(_ map: any MapModel, on data: Dataset, from starts: [[Double]], horizon: Double, known: [Expr] = []) -> Rollouts {
        rollouts(on: data, known: known) { truth, invariants in
            try RolloutComparison.run(map: map, truth: truth, initialStates: starts, horizon: horizon, samples: times(data, horizon: horizon).count, invariants: invariants)
        }
    }

    /// The true system of the data and the known invariants, handed to `compare`.
    static func rollouts(on data: Dataset, known: [Expr],
                         _ compare: (HamiltonianVectorField, (([Double]) -> [Double])?) throws -> RolloutComparison) -> Rollouts {
        let truth: HamiltonianVectorField
        do {
            // A system typed in the session carries its H; a catalog one is rebuilt by name.
            let system = try data.sourceSystem()
            if let mismatch = data.columnMismatch(with: system) { return .notCompared(mismatch) }
            truth = try HamiltonianVectorField(hamiltonian: system.hamiltonian, pairs: system.pairs, parameters: data.parameters, native: true)
        } catch {
            return .notCompared("the true system '\(data.system)' cannot be rebuilt by that name: \(error)")
        }
        var invariants: (([Double]) -> [Double])?
        if !known.isEmpty {
            let evaluator: SampleEvaluator
            do { evaluator = try SampleEvaluator(known, variables: data.names, parameters: data.parameters) } catch {
                return .notCompared("the known invariants cannot be evaluated on the data's state: \(error)")
            }
            invariants = { x in evaluator.values(rows: x, count: 1).map { $0[0] } }
        }
        do {
            return .compared(try compare(truth, invariants))
        } catch {
            return .failed("\(error)")
        }
    }

    /// The whole evaluation of `model` on `data`, with rollouts over [0, horizon] (nil: the
    /// data's span). Throws when the horizon is not positive and finite, or too long.
    public static func evaluate(_ model: any FieldModel, on data: Dataset, horizon: Double? = nil, known: [Expr] = []) throws -> GreydanusEvaluation {
        if let horizon, !(horizon > 0 && horizon.isFinite) { throw RolloutHorizonError(message: "the rollout horizon must be a positive number") }
        let t = horizon ?? span(data)
        if isTooLong(t, for: data) { throw RolloutHorizonError(message: "the rollout horizon is more than 1000 times the data's time span") }
        var result = GreydanusEvaluation(splits: splitErrors(model, on: data), rollouts: nil, horizon: t)
        let starts = testStarts(data)
        if !starts.isEmpty && t > 0 { result.rollouts = rollouts(model, on: data, from: starts, horizon: t, known: known) }
        return result
    }

    /// The evaluation of a step map (a SympNet): no ẋ to compare (`splits` is empty), and its
    /// rollouts by iterating it over [0, horizon] (nil: the data's span).
    public static func evaluate(_ map: any MapModel, on data: Dataset, horizon: Double? = nil, known: [Expr] = []) throws -> GreydanusEvaluation {
        if let horizon, !(horizon > 0 && horizon.isFinite) { throw RolloutHorizonError(message: "the rollout horizon must be a positive number") }
        let t = horizon ?? span(data)
        if isTooLong(t, for: data) { throw RolloutHorizonError(message: "the rollout horizon is more than 1000 times the data's time span") }
        var result = GreydanusEvaluation(splits: [], rollouts: nil, horizon: t)
        let starts = testStarts(data)
        if !starts.isEmpty && t > 0 { result.rollouts = rollouts(map, on: data, from: starts, horizon: t, known: known) }
        return result
    }
}

/// Why the rollouts of an evaluation cannot be made over the horizon asked for.
public struct RolloutHorizonError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
