import Symbolic

/// `eval(e, x: 1.0, ...)`: the numeric value, with the loaded system's parameter defaults.
enum Eval: Verb {
    static let signature = Signature(
        name: "eval", family: .algebra, usage: "eval(e, x: 1.0, ...)",
        summary: "the numeric value; unset parameters of the loaded system take their default values",
        example: "eval(H, q1: 1, q2: 0, q3: 0, p1: 0, p2: 1, p3: 0)",
        positional: [.required("e", "an expression")],
        otherLabels: "each label is a symbol, its value a number")

    static func run(_ call: BoundCall) throws -> Value {
        var given: [String: Double] = [:]
        for l in call.labelled { given[l.label!] = try call.evaluation.numberOption(l.value, l.label!) }
        let bindings = call.session.system?.parameterValues(overriding: given) ?? given
        do {
            return .expr(.float(try call.expression(0).evaluate(bindings)))
        } catch let e as EvaluationError {
            throw call.fail(e.message)
        }
    }
}
