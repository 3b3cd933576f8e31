import Symbolic

/// `simplify(e)`: one fraction with side relations applied and common factors cancelled.
enum Simplify: Verb {
    static let signature = Signature(
        name: "simplify", family: .algebra, usage: "simplify(e)",
        summary: "one fraction, side relations applied (sqrt(P)^2 = P, sin^2 + cos^2 = 1, ...), common factors cancelled",
        example: "simplify((q1^2 - 1)/(q1 - 1))",
        positional: [.required("e", "an expression")])

    static func run(_ call: BoundCall) throws -> Value {
        .expr(Simplifier.simplify(try call.expression(0)))
    }
}
