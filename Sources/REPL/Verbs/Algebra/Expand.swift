import Symbolic

/// `expand(e, limit: N)`: products and powers of sums multiplied out, refused past N terms.
enum Expand: Verb {
    static let signature = Signature(
        name: "expand", family: .algebra, usage: "expand(e)   or   expand(e, limit: N)",
        summary: "products and positive integer powers of sums multiplied out (refused past N terms, 10^6 unless given)",
        example: "expand((q1 + p1)^2)",
        positional: [.required("e", "an expression")],
        options: [.init("limit", .whole(1...1_000_000_000_000), default: Double(Expr.defaultExpansionLimit),
                        "the most terms the result may have; a larger expansion is refused before it is built")])

    static func run(_ call: BoundCall) throws -> Value {
        let limit = try call.whole("limit")!
        do { return .expr(try call.expression(0).expand(maximumTerms: limit)) } catch let refused as SizeLimitExceeded {
            throw call.fail(refused.description)
        }
    }
}
