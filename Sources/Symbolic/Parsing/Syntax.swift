/// A parsed expression of the Noether language, before evaluation. Every node keeps the
/// location of the token that names it, so evaluation errors can point at the place.
public indirect enum Syntax: Sendable {
    public enum BinaryOperator: String, Sendable { case add = "+", subtract = "-", multiply = "*", divide = "/", power = "^", equal = "==", notEqual = "!=" }

    public struct Argument: Sendable {
        public var label: String?
        public var value: Syntax
    }

    case number(String, SourceLocation)
    case name(String, SourceLocation)
    case string(String, SourceLocation)
    case negate(Syntax, SourceLocation)
    case binary(BinaryOperator, Syntax, Syntax, SourceLocation)
    /// `a op b op c …` at one precedence level (+ − or * /), flat: a sum of 100,000 terms is
    /// one node with 100,000 steps, not a tree 100,000 deep (whose release alone overflowed
    /// the stack). Each step is (operator, operand, the operator's location).
    case chain(Syntax, [Step])

    public typealias Step = (BinaryOperator, Syntax, SourceLocation)
    case call(String, [Argument], SourceLocation)
    case list([Syntax], SourceLocation)
    /// `[name: value, …]`: a labelled list, which verbs that take named values read (a scan's
    /// `grid: [alpha1: [1e-3, 1e-2], seed: [0, 1]]`); it is not a value by itself.
    case record([Argument], SourceLocation)
    /// `base.name`, or `base.name(arguments)` when called.
    case member(Syntax, String, [Argument]?, SourceLocation)

    /// The first operand and the (operator, operand, location) steps of a chain of + − or * /.
    public var chain: (head: Syntax, steps: [Step])? {
        guard case .chain(let head, let steps) = self else { return nil }
        return (head, steps)
    }

    public var isName: Bool { if case .name = self { return true }; return false }
    /// The name when the syntax is a plain name, else "".
    public var nameText: String { if case .name(let n, _) = self { return n }; return "" }

    public var location: SourceLocation {
        switch self {
        case .number(_, let l), .name(_, let l), .string(_, let l), .negate(_, let l),
             .binary(_, _, _, let l), .call(_, _, let l), .list(_, let l), .record(_, let l), .member(_, _, _, let l):
            return l
        case .chain(let head, let steps):
            return steps.last?.2 ?? head.location
        }
    }
}
