import Symbolic

/// `vectorfield()` or `vectorfield(H)`: Hamilton's equations as a list.
enum VectorFieldVerb: Verb {
    static let signature = Signature(
        name: "vectorfield", family: .algebra, usage: "vectorfield()   or   vectorfield(H)",
        summary: "Hamilton's equations: the list [dq1/dt, dp1/dt, ...] = [{q1, H}, {p1, H}, ...]",
        example: "vectorfield()",
        positional: [.optional("H", "an expression")])

    static func run(_ call: BoundCall) throws -> Value {
        try call.evaluation.needPairs(call.location, call.name)
        let h = call.count == 0 ? try call.evaluation.hamiltonian(call.location, "vectorfield()", "define H or pass one, vectorfield(H)") : try call.expression(0)
        return .list(call.session.bracket.vectorField(h).map { .expr(Simplifier.simplify($0)) })
    }
}
