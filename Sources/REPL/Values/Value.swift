import Symbolic
import Dynamics

/// What a statement of the language evaluates to: the language's own kinds (expressions,
/// decisions, lists, text), or an object made by a verb (a trajectory, dataset, model, fit),
/// which says for itself how it prints, what it is called in errors and which members it has.
enum Value {
    case expr(Expr)
    /// A decision, with how it was reached (`true (numeric, 8 points)`).
    case decision(ZeroDecision)
    case bool(Bool)
    case list([Value])
    case text(String)
    /// LaTeX source (`latex(e)`): printed as text, rendered as math in Jupyter.
    case latex(String)
    /// A table a verb prints (`compare`, `f.table`): aligned text, an HTML table in Jupyter.
    case table(TextTable)
    case object(any ObjectValue)
    case none

    /// The most nodes an expression may have to be printed whole.
    static let largestPrintedSize = 1_000_000

    /// The REPL's output convention: zero prints `0`, booleans `true`/`false`, exact rationals
    /// `3/2`, floats with up to 6 significant digits.
    var display: String {
        switch self {
        case .expr(let e):
            // Shared subtrees print each time: a 40-level definition chain can be 2^40 characters.
            guard e.size <= Value.largestPrintedSize else {
                return "(an expression of \(e.size == Int.max ? "more than 10^18" : String(e.size)) nodes, too large to print; it is kept, and verbs such as eval, conserved and diff use it)"
            }
            return TextPrinter(floatDigits: 6).print(e)
        case .decision(let d): return d.verdict
        case .bool(let b): return b ? "true" : "false"
        case .list(let vs): return "[" + vs.map(\.display).joined(separator: ", ") + "]"
        case .text(let s), .latex(let s): return s
        case .table(let t): return t.text
        case .object(let o): return o.display
        case .none: return ""
        }
    }

    var kindName: String {
        switch self {
        case .expr: return "an expression"
        case .decision, .bool: return "a boolean"
        case .list: return "a list"
        case .text, .latex, .table: return "text"
        case .object(let o): return o.kindName
        case .none: return "nothing"
        }
    }

    /// Whether `NAME = value` may keep it (text and decisions are printed, not kept).
    var isAssignable: Bool {
        switch self {
        case .expr, .list, .object: return true
        case .decision, .bool, .text, .latex, .table, .none: return false
        }
    }

    /// The object of kind `T` this value holds, if it is one.
    func object<T: ObjectValue>(_ type: T.Type) -> T? {
        if case .object(let o) = self { return o as? T }
        return nil
    }
}

/// A value made by a verb. A new kind is one type conforming to this protocol: the `Value`
/// enum, assignment and member access need no change.
protocol ObjectValue {
    /// How errors name it: "a trajectory".
    var kindName: String { get }
    /// How the REPL prints it.
    var display: String { get }
    /// The same as an HTML fragment (a table), for Jupyter; nil to show the text.
    var html: String? { get }
    /// What `NAME = value` prints (nothing, usually).
    var assignmentNote: String? { get }
    /// `value.name` or `value.name(arguments)`; `arguments` is nil when not called.
    func member(_ name: String, _ arguments: [Syntax.Argument]?, at location: SourceLocation, in evaluation: Evaluation) throws -> Value
}

extension ObjectValue {
    var assignmentNote: String? { nil }
    var html: String? { nil }

    func member(_ name: String, _ arguments: [Syntax.Argument]?, at location: SourceLocation, in evaluation: Evaluation) throws -> Value {
        throw evaluation.fail("\(kindName.prefix(1).uppercased() + kindName.dropFirst()) has no member '.\(name)'", at: location, width: name.count)
    }
}

/// An object whose members are functions of the state that can be sampled at the rows of a
/// dataset (a model's learned H, a latent model's coordinates): fit targets, as in
/// `fit(m.H, data)`.
protocol SampledMembers: ObjectValue {
    /// The member `name` at every sample of `data` and the name a fit calls it by, or nil when
    /// `name` is no such member (`at` is the member's place, `dataAt` the data's).
    func samples(of name: String, on data: Dataset, at: SourceLocation, dataAt: SourceLocation, in evaluation: Evaluation) throws -> (values: [Double], name: String)?
}

/// What a verb returns when its statement changes the session rather than making a value
/// (verbs see the session read-only): the interpreter applies it, journalled like every change
/// of the statement, and prints what it returns. It cannot be assigned.
protocol SessionEffect: ObjectValue {
    func apply(to session: inout Session) -> Value
}

/// An object `save` can write to a file: it says what it wrote.
protocol SavableValue: ObjectValue {
    func save(to path: String) throws -> String
}
