import Symbolic
import Dynamics

/// `known: [Px, Py, L]` of `evaluate` and `compare`: conserved quantities of the data's system
/// whose deviation along the rollouts is reported, each with its label (the name written, or
/// the expression's text).
struct KnownInvariants {
    var expressions: [Expr]
    var labels: [String]

    static let option = OptionDeclaration("known", .expressions,
                                          "known conserved quantities of the data's coordinates: for each, the mean squared deviation along the rollouts of its value on the model's trajectory from its value on the true one")

    /// The option's quantities, or nil when it is not given; an empty list, or a symbol that is
    /// neither a coordinate nor a parameter of the data, is an error at the list.
    static func read(_ call: BoundCall, data: Dataset) throws -> KnownInvariants? {
        guard let syntax = call.option("known") else { return nil }
        let expressions = try call.evaluation.expressions(syntax, "'known:'")
        guard !expressions.isEmpty else { throw call.fail("known: needs at least one quantity", at: syntax.location) }
        if let unknown = SampleEvaluator.unknownSymbol(in: expressions, variables: data.names, parameters: data.parameters) {
            throw call.fail("known: names '\(Diagnostic.escaped(unknown))', which is not a coordinate of the data (coordinates: \(data.names.joined(separator: ", "))"
                            + (data.parameters.isEmpty ? ")" : "; parameters: \(data.parameters.keys.sorted().joined(separator: ", ")))"), at: syntax.location)
        }
        let labels: [String] = {
            if case .list(let items, _) = syntax, items.count == expressions.count { return zip(items, expressions).map { $0.isName ? $0.nameText : Discover.label($1) } }
            return expressions.map(Discover.label)
        }()
        return KnownInvariants(expressions: expressions, labels: labels)
    }
}
