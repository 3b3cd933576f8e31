import Symbolic

/// `record(name, value)`: declares a metric of the notebook. A scan's run writes every recorded
/// metric to its configuration's metrics.json, and `results` tabulates them; outside a scan it
/// prints what was recorded.
enum Record: Verb {
    static let signature = Signature(
        name: "record", family: .data, usage: "record(name, value)",
        summary: "declares a metric (a finite number) for scans: each configuration's metrics.json keeps it, results() tabulates it; recording a name again replaces its value",
        example: "record(energy, eval(H, q1: 1, q2: 0, q3: 0, p1: 0, p2: 1, p3: 0))",
        positional: [.required("name", "a metric name (a plain name, as in record(trajectory_mse, ...))"), .required("value", "a number")])

    static func run(_ call: BoundCall) throws -> Value {
        let nameSyntax = call.positional[0]
        guard nameSyntax.isName else {
            throw call.fail("record's first argument is the metric's name, written plainly: record(trajectory_mse, value)", at: nameSyntax.location)
        }
        let valueSyntax = call.positional[1]
        let v = try call.value(1)
        guard case .expr(let e) = v else {
            throw call.fail("record's value is a number, not \(v.kindName)", at: valueSyntax.location)
        }
        guard let value = try? e.evaluate([:]) else {
            throw call.fail("record's value is a number, but \(Diagnostic.escaped(TextPrinter().print(e))) has no numeric value", at: valueSyntax.location)
        }
        guard value.isFinite else { throw call.fail("record's value is \(value): a metric is a finite number", at: valueSyntax.location) }
        return .object(RecordedMetric(name: nameSyntax.nameText, value: value))
    }
}

/// What `record` returns: a statement effect, which the interpreter applies to the session.
struct RecordedMetric: SessionEffect {
    var name: String
    var value: Double
    var kindName: String { "a recorded metric" }
    var display: String { "recorded \(name) = \(TextPrinter.format(value, significantDigits: 6))" }
    func apply(to session: inout Session) -> Value {
        session.record(name, value)
        return .text(display)
    }
}
