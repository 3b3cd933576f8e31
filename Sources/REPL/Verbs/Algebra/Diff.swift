import Symbolic

/// `diff(e, x)` and `diff(e, x, n)`: partial derivatives, refused past a size limit.
enum Diff: Verb {
    static let signature = Signature(
        name: "diff", family: .algebra, usage: "diff(e, x)   or   diff(e, x, n)",
        summary: "the (n-th) partial derivative of e with respect to the symbol x",
        example: "diff(H, p1)",
        positional: [.required("e", "an expression"), .required("x", "a symbol"), .optional("n", "the order, a whole number")])

    /// The most nodes a derivative may grow to (repeated differentiation grows exponentially).
    static let maximumSize = 2_000_000

    static func run(_ call: BoundCall) throws -> Value {
        let e = try call.expression(0)
        let x = try call.symbol(1)
        var times = 1
        if call.count == 3 {
            guard let n = try call.expression(2).rationalValue?.intValue, n >= 0 else {
                throw call.fail("the order of the derivative must be a non-negative integer", at: call.positional[2].location)
            }
            times = n
        }
        do { return .expr(try e.diff(x, times: times, maximumSize: maximumSize)) } catch let limit as SizeLimitExceeded {
            throw call.fail(limit.description)
        }
    }
}
