import Symbolic

/// `conserved(f, ...)`: whether {f, H} is proven zero, for one or several quantities.
enum Conserved: Verb {
    static let signature = Signature(
        name: "conserved", family: .algebra, usage: "conserved(f)   or   conserved(f, g, ...)",
        summary: "true when {f, H} is proven zero (H is the session's H); several quantities give a list, decided together",
        example: "conserved(A1)",
        positional: [.variadic("f", "an expression")])

    static func run(_ call: BoundCall) throws -> Value {
        try call.evaluation.needPairs(call.location, call.name)
        let h = try call.evaluation.hamiltonian(call.location, call.name, "define H (H = ...) or load a system")
        // Several quantities are decided in one context (H's gradient and conversions shared).
        let bracket = call.session.bracket
        let decisions = Simplifier.areBracketsZero(try (0..<call.count).map { try call.expression($0) }, h, bracket)
        return decisions.count == 1 ? .decision(decisions[0]) : .list(decisions.map(Value.decision))
    }
}
