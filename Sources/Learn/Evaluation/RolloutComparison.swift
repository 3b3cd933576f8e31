import Dynamics
import Symbolic

/// Greydanus et al.'s rollout metrics: from each held-out initial state, integrate the learned
/// field and the true one over the same times and compare the coordinates (trajectory MSE) and
/// the true energy along both (energy MSE: the true energy of the model's trajectory against the
/// true energy, which is constant along the true trajectory). Given known invariants I_k, also
/// their deviation: the mean over trajectories and sample times of (I_k(x_pred(t)) −
/// I_k(x_true(t)))², on the same grid as the trajectory MSE (the SCNN paper's conserved-quantity
/// rows of Fig. 3 and Tables 3–4).
public struct RolloutComparison: Sendable {
    public var trajectoryMSE: Double
    public var energyMSE: Double
    public var trajectories: Int
    public var horizon: Double
    /// Mean over trajectories of the largest relative energy error along the model's rollout.
    public var worstRelativeEnergyError: Double
    /// Per known invariant, in the order given: its mean squared deviation along the rollouts
    /// (empty when none was given).
    public var invariantMSE: [Double] = []

    /// All rollouts are integrated together, as one system of trajectories × d states, so the
    /// model sees one batch per evaluation. Both use dopri5 at rtol = atol = `tolerance`
    /// (Greydanus et al. used SciPy's RK45 at rtol 1e-9).
    public static func run(model: any FieldModel, truth: HamiltonianVectorField, initialStates: [[Double]], times: [Double],
                           tolerance: Double = 1e-9, invariants: (([Double]) -> [Double])? = nil) throws -> RolloutComparison {
        try run(model: model, truth: truth, energy: { truth.energy($0) }, initialStates: initialStates, times: times, tolerance: tolerance,
                invariants: invariants)
    }

    /// The comparison against any true field with its energy E(x); `invariants` gives the known
    /// invariants' values at a state.
    public static func run(model: any FieldModel, truth: any VectorField, energy: ([Double]) -> Double, initialStates: [[Double]],
                           times: [Double], tolerance: Double = 1e-9, invariants: (([Double]) -> [Double])? = nil) throws -> RolloutComparison {
        try check(dimension: model.dimension, truth: truth, initialStates: initialStates)
        let integrator = AdaptiveIntegrator(.dopri5, relativeTolerance: tolerance, absoluteTolerance: tolerance)
        let learned = try integrator.run(BatchedField(model: model, count: initialStates.count), from: initialStates.flatMap { $0 }, times: times)
        return try compare(learned: { k in Array(learned.state(k)) }, truth: truth, energy: energy, initialStates: initialStates, times: times,
                           tolerance: tolerance, invariants: invariants)
    }

    /// The comparison of a step map (a SympNet) iterated from each initial state, every start as
    /// one batch, against the true field: sampled at `samples` multiples of its step spread over
    /// [0, horizon] (the horizon rounded to whole steps).
    public static func run(map: any MapModel, truth: HamiltonianVectorField, initialStates: [[Double]], horizon: Double, samples: Int,
                           tolerance: Double = 1e-9, invariants: (([Double]) -> [Double])? = nil) throws -> RolloutComparison {
        try check(dimension: map.dimension, truth: truth, initialStates: initialStates)
        let h = map.stepSize, d = map.dimension, count = initialStates.count
        let steps = max(1, Int((horizon / h).rounded()))
        let picks = (0..<max(2, samples)).map { Int((Double($0) * Double(steps) / Double(max(2, samples) - 1)).rounded()) }
        var kept: [[Double]] = [], x = Tensor(shape: [count, d], storage: initialStates.flatMap { $0 })
        var next = 0
        for k in 0...steps {
            if k > 0 {
                if k & 255 == 0 { try Interrupt.check() }
                x = Recording.with(false) { map.next(x, at: nil, createGraph: false) }.value
                guard x.storage.allSatisfy({ $0.isFinite && abs($0) <= 1e100 }) else {
                    throw TrainingError(message: "the iterated map's state became NaN or exceeded 1e100 at t = \(TextPrinter.format(Double(k) * h, significantDigits: 6))")
                }
            }
            while next < picks.count && picks[next] == k { kept.append(x.storage); next += 1 }
        }
        return try compare(learned: { kept[$0] }, truth: truth, energy: { truth.energy($0) }, initialStates: initialStates,
                           times: picks.map { Double($0) * h }, tolerance: tolerance, invariants: invariants)
    }

    static func check(dimension d: Int, truth: any VectorField, initialStates: [[Double]]) throws {
        guard truth.dimension == d, initialStates.allSatisfy({ $0.count == d }) else {
            throw TrainingError(message: "the true system has dimension \(truth.dimension), the model \(d)\(initialStates.contains { $0.count != d } ? ", and an initial state has another" : ""): they cannot be compared")
        }
        guard !initialStates.isEmpty else { throw TrainingError(message: "no initial states to roll out from") }
    }

    /// The metrics of learned states (`learned(k)`: every start's state at times[k], one after
    /// another) against the true field integrated by dopri5 from each start.
    static func compare(learned: (Int) -> [Double], truth: any VectorField, energy: ([Double]) -> Double, initialStates: [[Double]],
                        times: [Double], tolerance: Double, invariants: (([Double]) -> [Double])?) throws -> RolloutComparison {
        let d = truth.dimension
        let integrator = AdaptiveIntegrator(.dopri5, relativeTolerance: tolerance, absoluteTolerance: tolerance)
        var trajectorySum = 0.0, energySum = 0.0, worst = 0.0, invariantSums: [Double] = []
        for (n, x0) in initialStates.enumerated() {
            let exact = try integrator.run(truth, from: x0, times: times)
            let e0 = energy(x0)
            var largest = 0.0
            for k in 0..<times.count {
                let predicted = Array(learned(k)[(n * d)..<((n + 1) * d)])
                let reference = exact.state(k)
                for (a, b) in zip(predicted, reference) { trajectorySum += (a - b) * (a - b) }
                let e = energy(predicted)
                energySum += (e - e0) * (e - e0)
                largest = max(largest, abs(e - e0) / max(abs(e0), 1e-300))
                if let invariants {
                    let deviations = zip(invariants(predicted), invariants(Array(reference))).map { ($0 - $1) * ($0 - $1) }
                    if invariantSums.isEmpty { invariantSums = deviations } else { for k in deviations.indices { invariantSums[k] += deviations[k] } }
                }
            }
            worst += largest
        }
        let samples = Double(initialStates.count * times.count)
        return RolloutComparison(trajectoryMSE: trajectorySum / (samples * Double(d)), energyMSE: energySum / samples,
                                 trajectories: initialStates.count, horizon: times.last ?? 0,
                                 worstRelativeEnergyError: worst / Double(initialStates.count),
                                 invariantMSE: invariantSums.map { $0 / samples })
    }
}

/// `count` independent copies of a model's field as one system, evaluated as one batch.
final class BatchedField: VectorField {
    let model: any FieldModel
    let count: Int
    var dimension: Int { model.dimension * count }

    init(model: any FieldModel, count: Int) { self.model = model; self.count = count }

    func evaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>) {
        let states = Tensor(shape: [count, model.dimension], storage: Array(UnsafeBufferPointer(start: x, count: dimension)))
        let f = model.predict(states, createGraph: false).value
        for i in 0..<dimension { derivative[i] = f.storage[i] }
    }
}
