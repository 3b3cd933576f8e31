import Dynamics
import Symbolic

/// A simulated trajectory held by the session, with what produced it.
struct TrajectoryValue: ObjectValue {
    var trajectory: Trajectory
    /// State component names, in order (q's then p's).
    var names: [String]
    var parameters: [String: Double]
    var method: String

    var kindName: String { "a trajectory" }

    var display: String {
        let t = trajectory
        let span = t.times.isEmpty ? "" : ", t from \(TextPrinter.format(t.times[0], significantDigits: 6)) to \(TextPrinter.format(t.times[t.count - 1], significantDigits: 6))"
        return "trajectory: \(t.count) samples of (\(names.joined(separator: ", ")))\(span); \(method): \(t.statistics.summary)"
    }

    /// Values of `f` at every sample (compiled once over the state and the parameters).
    func values(of f: Expr) throws -> [Double] {
        try SampleEvaluator([f], variables: names, parameters: parameters).values(along: trajectory)[0]
    }
}
