import Symbolic

/// `latex(e)`: the expression as LaTeX.
enum Latex: Verb {
    static let signature = Signature(
        name: "latex", family: .algebra, usage: "latex(e)", summary: "the expression as LaTeX", example: "latex(H)",
        positional: [.required("e", "an expression")])

    static func run(_ call: BoundCall) throws -> Value {
        let e = try call.expression(0)
        // Shared subtrees print each time, as in the REPL's own output.
        guard e.size <= Value.largestPrintedSize else {
            throw call.fail("the expression has \(e.size == Int.max ? "more than 10^18" : String(e.size)) nodes as a tree, too many to print (the limit is \(Value.largestPrintedSize))")
        }
        return .latex(LaTeXPrinter().print(e))
    }
}
