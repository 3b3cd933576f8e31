import Foundation

/// What an integration did.
public struct IntegrationStatistics: Sendable, Equatable {
    public var steps = 0
    public var rejectedSteps = 0
    /// Evaluations of the full vector field (a velocity plus a force evaluation counts as one).
    public var functionEvaluations = 0
    /// Fixed-point iterations of implicit methods, summed over steps.
    public var implicitIterations = 0

    public init() {}

    public var summary: String {
        var s = "\(steps) steps, \(functionEvaluations) evaluations"
        if rejectedSteps > 0 { s += ", \(rejectedSteps) rejected" }
        if implicitIterations > 0 { s += ", \(implicitIterations) implicit iterations" }
        return s
    }
}

/// Samples of a solution: `times[k]` and the state `states[k*dimension ..< (k+1)*dimension]`.
public struct Trajectory: Sendable {
    public var dimension: Int
    public var times: [Double]
    public var states: [Double]
    public var statistics: IntegrationStatistics

    public init(dimension: Int, times: [Double] = [], states: [Double] = [], statistics: IntegrationStatistics = .init()) {
        self.dimension = dimension; self.times = times; self.states = states; self.statistics = statistics
    }

    public var count: Int { times.count }
    public func state(_ k: Int) -> ArraySlice<Double> { states[(k * dimension)..<((k + 1) * dimension)] }
    public var last: [Double] { Array(state(count - 1)) }

    /// Drops the samples after the first `count`.
    mutating func keepFirst(_ count: Int) {
        guard count < times.count else { return }
        times.removeLast(times.count - count)
        states.removeLast(states.count - count * dimension)
    }

    mutating func append(_ t: Double, _ x: UnsafePointer<Double>) {
        times.append(t)
        states.append(contentsOf: UnsafeBufferPointer(start: x, count: dimension))
    }
}

/// An integration that had to stop: a singularity (NaN, |x| → ∞), step-size underflow or an
/// implicit solve that did not converge. Says at which time and state.
public struct IntegrationError: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public var time: Double
    public var state: [Double]
    /// What was computed before the failure.
    public var partial: Trajectory?

    public var description: String {
        let shown = state.prefix(8).map { TextFormat.number($0) }.joined(separator: ", ")
        return "integration stopped at t = \(TextFormat.number(time)): \(reason); state [\(shown)\(state.count > 8 ? ", ..." : "")]"
    }
}

enum TextFormat {
    static func number(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        var s = String(format: "%.6g", x)
        if s == "-0" { s = "0" }
        return s
    }
}

/// Stops on a state that is not finite or has blown up (|x_i| > 1e100).
@inline(__always)
func checkState(_ x: UnsafeMutablePointer<Double>, _ n: Int, time: Double) throws {
    for i in 0..<n where !(abs(x[i]) <= 1e100) {
        let reason = x[i].isNaN ? "the state became NaN (a singularity, e.g. r -> 0)"
            : "the state diverged (|x| > 1e100)"
        throw IntegrationError(reason: reason, time: time, state: Array(UnsafeBufferPointer(start: x, count: n)))
    }
}
