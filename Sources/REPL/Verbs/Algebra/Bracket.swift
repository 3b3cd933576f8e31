import Symbolic

/// `bracket(f, g)`: the Poisson bracket over the session's canonical pairs.
enum Bracket: Verb {
    static let signature = Signature(
        name: "bracket", family: .algebra, usage: "bracket(f, g)",
        summary: "the Poisson bracket {f, g} over the declared canonical pairs, simplified",
        example: "bracket(L1, L2)",
        positional: [.required("f", "an expression"), .required("g", "an expression")])

    static func run(_ call: BoundCall) throws -> Value {
        try call.evaluation.needPairs(call.location, call.name)
        let (f, g, pb) = (try call.expression(0), try call.expression(1), call.session.bracket)
        // A bracket proven zero in factored form (Calogero-Moser, Neumann) is 0 without its
        // normal form, whose common denominator can be the largest object in the computation.
        if Simplifier.bracketIsZeroByPartialFractions(f, g, pb) == true { return .expr(.zero) }
        return .expr(Simplifier.simplify(pb(f, g)))
    }
}
