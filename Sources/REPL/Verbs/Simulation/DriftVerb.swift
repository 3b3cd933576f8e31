import Symbolic
import Dynamics

/// `drift(f, trajectory)`: how far f strays from its initial value along a trajectory.
enum DriftVerb: Verb {
    static let signature = Signature(
        name: "drift", family: .simulation, usage: "drift(f, trajectory)",
        summary: "max and rms deviation of f along a trajectory, relative to |f(0)| (absolute when f(0) = 0), and a sparkline of it over time",
        example: "drift(H, simulate(x0: [1, 0, 0, 0, 1, 0], t: 10, step: 0.01, method: rk4))",
        positional: [.required("f", "an expression"), .required("trajectory", "a trajectory (from simulate)")])

    static func run(_ call: BoundCall) throws -> Value {
        let f = try call.expression(0)
        let t = try call.object(1, TrajectoryValue.self)
        do {
            return .text(Drift(try t.values(of: f)).report)
        } catch let e as CompilationError {
            throw call.fail(e.message, at: call.positional[0].location)
        }
    }
}
