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
    case call(String, [Argument], SourceLocation)
    case list([Syntax], SourceLocation)
    /// `base.name`, or `base.name(arguments)` when called.
    case member(Syntax, String, [Argument]?, SourceLocation)

    /// A left-deep chain `a op b op c …` of operators of one precedence level (+ − or * /) as
    /// its first operand and the (operator, operand, location) steps, found without recursion,
    /// so long flat sums never nest evaluation deeply.
    public var chain: (head: Syntax, steps: [(BinaryOperator, Syntax, SourceLocation)])? {
        guard case .binary(let op, _, _, _) = self else { return nil }
        let level: Set<BinaryOperator> = op == .add || op == .subtract ? [.add, .subtract]
            : op == .multiply || op == .divide ? [.multiply, .divide] : []
        guard !level.isEmpty else { return nil }
        var steps: [(BinaryOperator, Syntax, SourceLocation)] = []
        var node = self
        while case .binary(let o, let l, let r, let at) = node, level.contains(o) {
            steps.append((o, r, at))
            node = l
        }
        return (node, steps.reversed())
    }

    public var isName: Bool { if case .name = self { return true }; return false }
    /// The name when the syntax is a plain name, else "".
    public var nameText: String { if case .name(let n, _) = self { return n }; return "" }

    public var location: SourceLocation {
        switch self {
        case .number(_, let l), .name(_, let l), .string(_, let l), .negate(_, let l),
             .binary(_, _, _, let l), .call(_, _, let l), .list(_, let l), .member(_, _, _, let l):
            return l
        }
    }
}
