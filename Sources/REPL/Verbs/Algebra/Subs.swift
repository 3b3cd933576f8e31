import Symbolic

/// `subs(e, x, v)` or `subs(e, x: v, y: w)`: simultaneous substitution.
enum Subs: Verb {
    static let signature = Signature(
        name: "subs", family: .algebra, usage: "subs(e, x, v)   or   subs(e, x: v, y: w)",
        summary: "substitutes values or expressions for symbols, simultaneously",
        example: "subs(H, k: 1)",
        positional: [.required("e", "an expression"), .optional("x", "a symbol"), .optional("v", "an expression")],
        otherLabels: "each label is a symbol, its value what replaces it")

    static func run(_ call: BoundCall) throws -> Value {
        var map: [Expr: Expr] = [:]
        if call.labelled.isEmpty {
            guard call.count == 3 else {
                throw call.fail("subs takes 3 arguments, got \(call.count) (usage: \(signature.usage))")
            }
            map[.symbol(try call.symbol(1))] = try call.expression(2)
        } else {
            guard call.count == 1 else {
                throw call.fail("subs takes 1 argument, got \(call.count) (usage: \(signature.usage))")
            }
            for l in call.labelled { map[.symbol(l.label!)] = try call.evaluation.expr(l.value, call.name, call.location) }
        }
        let e = try call.expression(0)
        let result = e.substitute(map)
        if result.isUndefined { throw call.fail(SubstitutionFailure.explain(e, map)) }
        return .expr(result)
    }
}
