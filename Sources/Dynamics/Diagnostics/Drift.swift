import Symbolic

/// How far a quantity f moves from its initial value along a trajectory, sample by sample:
/// d_k = |f_k − f_0| / |f_0| (relative) when f_0 ≠ 0, else d_k = |f_k − f_0| (absolute).
///
/// For an invariant of the exact flow every d_k is zero; along a computed trajectory it measures
/// the method's error in that invariant. A symplectic method keeps the energy's drift bounded
/// (of order h^p) over long times, Euler and RK4 let it grow, and a symplectic map conserves
/// its own modified energy exactly while the true H oscillates. d_0 = 0, and it counts in
/// `rms`: both summaries depend on how densely the trajectory is sampled, so compare them
/// only between trajectories sampled alike. The relative form divides by |f_0|, so it is not
/// meaningful for an f_0 that is zero up to rounding.
public struct Drift: Sendable {
    /// f_0 (0 for no samples).
    public var initial: Double
    /// d_k for every sample, d_0 = 0.
    public var deviations: [Double]
    /// Whether the deviations are relative to |f_0| (f_0 ≠ 0) or absolute.
    public var isRelative: Bool

    /// The drift of the values f_0, f_1, … of a quantity at consecutive samples.
    public init(_ values: [Double]) {
        initial = values.first ?? 0
        isRelative = initial != 0
        let scale = isRelative ? abs(initial) : 1
        deviations = values.map { abs($0 - (values.first ?? 0)) / scale }
    }

    /// The drift of f along a trajectory whose state components are named `variables`, with the
    /// given parameter values (`SampleEvaluator`; throws its `CompilationError`).
    public init(of f: Expr, along trajectory: Trajectory, variables: [String], parameters: [String: Double] = [:]) throws {
        self.init(try SampleEvaluator([f], variables: variables, parameters: parameters).values(along: trajectory)[0])
    }

    /// max_k d_k.
    public var maximum: Double { deviations.max() ?? 0 }
    /// (Σ_k d_k² / N)^½ over the N samples, d_0 included.
    public var rms: Double { deviations.isEmpty ? 0 : (deviations.reduce(0) { $0 + $1 * $1 } / Double(deviations.count)).squareRoot() }
}
