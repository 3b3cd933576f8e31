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
    case member(Syntax, String, SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .number(_, let l), .name(_, let l), .string(_, let l), .negate(_, let l),
             .binary(_, _, _, let l), .call(_, _, let l), .list(_, let l), .member(_, _, let l):
            return l
        }
    }
}
