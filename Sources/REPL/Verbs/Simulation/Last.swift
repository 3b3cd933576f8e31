import Symbolic

/// `last(trajectory)`: the final state.
enum Last: Verb {
    static let signature = Signature(
        name: "last", family: .simulation, usage: "last(trajectory)", summary: "the final state of a trajectory, as a list",
        example: "last(simulate(x0: [1, 0, 0, 0, 1, 0], t: 3.14, step: 0.01, method: gl4))",
        positional: [.required("trajectory", "a trajectory (from simulate)")])

    static func run(_ call: BoundCall) throws -> Value {
        .list(try call.object(0, TrajectoryValue.self).trajectory.last.map { .expr(.float($0)) })
    }
}
