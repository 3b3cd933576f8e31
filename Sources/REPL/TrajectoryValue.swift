import Dynamics
import Symbolic

/// A simulated trajectory held by the session, with what produced it.
public struct TrajectoryValue {
    public var trajectory: Trajectory
    /// State component names, in order (q's then p's).
    public var names: [String]
    public var parameters: [String: Double]
    public var method: String

    var summary: String {
        let t = trajectory
        let span = t.times.isEmpty ? "" : ", t from \(TextPrinter.format(t.times[0], significantDigits: 6)) to \(TextPrinter.format(t.times[t.count - 1], significantDigits: 6))"
        return "trajectory: \(t.count) samples of (\(names.joined(separator: ", ")))\(span); \(method): \(t.statistics.summary)"
    }

    /// Values of `f` at every sample (compiled once over the state and the parameters).
    func values(of f: Expr) throws -> [Double] {
        let compiled = try CompiledFunction([f], inputs: names, constants: parameters)
        let evaluator = CompiledEvaluator(compiled)
        var out = [Double](repeating: 0, count: trajectory.count)
        trajectory.states.withUnsafeBufferPointer { states in
            for k in 0..<trajectory.count {
                var v = 0.0
                evaluator.evaluate(states.baseAddress! + k * names.count, into: &v)
                out[k] = v
            }
        }
        return out
    }
}

/// Deviation of a quantity along a trajectory, as `drift` reports it.
struct Drift {
    var initial: Double
    var deviations: [Double]
    var relative: Bool

    init(_ values: [Double]) {
        initial = values.first ?? 0
        relative = initial != 0
        let scale = relative ? abs(initial) : 1
        deviations = values.map { abs($0 - (values.first ?? 0)) / scale }
    }

    var maximum: Double { deviations.max() ?? 0 }
    var rms: Double { deviations.isEmpty ? 0 : (deviations.reduce(0) { $0 + $1 * $1 } / Double(deviations.count)).squareRoot() }

    /// The deviation over time in `width` block characters (the maximum of each bucket).
    func sparkline(width: Int = 48) -> String {
        let blocks = Array("▁▂▃▄▅▆▇█")
        guard deviations.count > 1, maximum > 0 else { return String(repeating: "▁", count: min(width, max(1, deviations.count))) }
        let buckets = min(width, deviations.count)
        var out = ""
        for b in 0..<buckets {
            let lo = b * deviations.count / buckets, hi = max(lo + 1, (b + 1) * deviations.count / buckets)
            let m = deviations[lo..<hi].max() ?? 0
            out.append(blocks[min(blocks.count - 1, Int((m / maximum) * Double(blocks.count - 1) + 0.5))])
        }
        return out
    }

    var report: String {
        let kind = relative ? "relative to |f(0)| = \(TextPrinter.format(abs(initial), significantDigits: 6))" : "absolute, f(0) = 0"
        return "max \(TextPrinter.format(maximum, significantDigits: 3)), rms \(TextPrinter.format(rms, significantDigits: 3)) (\(kind))\n\(sparkline())"
    }
}
