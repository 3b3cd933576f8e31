import Symbolic

/// A verb of the language (`bracket`, `simulate`, `train`, …): its signature, declared once,
/// and what it does with a call that the binder has checked against that signature.
///
/// The declaration is the single source of the verb's usage line, `help NAME` (summary,
/// example, the options with their kinds, ranges and defaults), the arity check, and every
/// error about labels (an unknown label with did-you-mean, a label given twice, a label on a
/// verb without options). Adding a verb is one file holding one type that conforms, and its
/// line in `Verbs.all`.
protocol Verb: Sendable {
    static var signature: Signature { get }
    /// Runs a call whose arity and labels already match the signature. Option values are read
    /// through `call`, which checks each against its declared kind and range when it is read.
    static func run(_ call: BoundCall) throws -> Value
}

/// The families verbs are grouped in (their folders under `Sources/REPL/Verbs`, and `help`).
enum VerbFamily: String, CaseIterable, Sendable {
    case algebra, simulation, data, learning, fitting
}

/// What a verb takes: positional arguments, then labelled options.
struct Signature: Sendable {
    var name: String
    var family: VerbFamily
    /// How it is called, with alternatives (`subs(e, x, v)   or   subs(e, x: v, y: w)`).
    var usage: String
    var summary: String
    /// A call that works as written after `load kepler3d` (a test runs every one).
    var example: String
    /// The positional arguments in order; the trailing ones may be optional.
    var positional: [Positional] = []
    var options: [OptionDeclaration] = []
    /// When labels other than the options are meaningful, what they are (`subs`: symbols to
    /// substitute; `simulate`: parameters of H). The verb reads them with `call.otherLabels`.
    var otherLabels: String?
    /// Labels the verb refuses with a reason (`resume` keeps the architecture: `hidden:` is
    /// `train`'s), so that the error says why instead of listing the options.
    var refusedLabels: [String: String] = [:]

    /// The least and most positional arguments.
    var arity: ClosedRange<Int> {
        let required = positional.filter { !$0.isOptional }.count
        return required...(positional.contains(where: \.isVariadic) ? Signature.variadicLimit : positional.count)
    }

    /// How many values a variadic argument (`conserved(f, g, ...)`) may take.
    static let variadicLimit = 32

    var optionLabels: [String] { options.map(\.label) }

    func option(_ label: String) -> OptionDeclaration? { options.first { $0.label == label } }
}

/// A positional argument: its name in the usage line and what it must be.
struct Positional: Sendable {
    var name: String
    /// What the argument is, as errors say it ("a dataset (from dataset or read)").
    var what: String
    var isOptional = false
    /// Takes the remaining arguments too (at most `Signature.variadicLimit` in all).
    var isVariadic = false

    static func required(_ name: String, _ what: String) -> Positional { Positional(name: name, what: what) }
    static func optional(_ name: String, _ what: String) -> Positional { Positional(name: name, what: what, isOptional: true) }
    static func variadic(_ name: String, _ what: String) -> Positional { Positional(name: name, what: what, isVariadic: true) }
}

/// A labelled option: its kind (which fixes how its value is read and checked), its default,
/// and one line of help.
struct OptionDeclaration: Sendable {
    enum Kind: Sendable {
        /// A finite number (`k: 1.5`, `t: 2*pi`).
        case number
        /// A number greater than zero (step sizes, durations, tolerances).
        case positive
        /// A whole number in a range (counts and seeds).
        case whole(ClosedRange<Int>)
        /// A number strictly between the bounds (`plateau: 0.5`).
        case between(Double, Double)
        /// One word of a list (`method: rk4`), with did-you-mean.
        case word([String])
        /// A file name in quotes.
        case file
        /// A list of numbers (`x0: [1, 0]`).
        case numbers
        /// A list of expressions (`vars: [x, y]`).
        case expressions
        /// Read by the verb itself; `description` says what it takes.
        case custom(String)

        /// What the kind takes, as `help` prints it.
        var description: String {
            switch self {
            case .number: return "a number"
            case .positive: return "a number > 0"
            case .whole(let r): return "a whole number " + OptionText.range(r)
            case .between(let a, let b): return "a number between \(OptionText.number(a)) and \(OptionText.number(b)), exclusive"
            case .word(let words): return "one of " + words.joined(separator: ", ")
            case .file: return "a file name in quotes"
            case .numbers: return "a list of numbers"
            case .expressions: return "a list of expressions"
            case .custom(let text): return text
            }
        }
    }

    var label: String
    var kind: Kind
    /// The value when the option is not given, as help prints it ("200", "the data's span");
    /// nil when the option is required or absent means "not used".
    var defaultText: String?
    /// The default as a number, for the readers that return one when the option is absent.
    var defaultNumber: Double?
    var help: String

    init(_ label: String, _ kind: Kind, default defaultValue: Double? = nil, defaultText: String? = nil, _ help: String) {
        self.label = label
        self.kind = kind
        self.defaultNumber = defaultValue
        self.defaultText = defaultText ?? defaultValue.map(OptionText.number)
        self.help = help
    }

    /// The option's line in `help NAME`.
    var helpLine: String {
        "\(label): \(kind.description)" + (defaultText.map { " (default \($0))" } ?? "") + "; \(help)"
    }
}
