/// The statements, verbs and functions of the language. Each verb is a type in its own file
/// under `Sources/REPL/Verbs/FAMILY/`, and is listed here once; everything else about it (its
/// usage, help, options, arity and label errors) comes from its `signature`.
enum Verbs {
    /// Every verb, in the order `help` lists them.
    static let all: [any Verb.Type] = [
        // algebra
        Bracket.self, Conserved.self, Diff.self, Simplify.self, Expand.self, Subs.self, Eval.self, VectorFieldVerb.self, Latex.self,
        // simulation
        Simulate.self, DriftVerb.self, PlotVerb.self, Liouville.self, Poincare.self, HistogramVerb.self, LyapunovVerb.self, MolecularDynamics.self, RadialDistribution.self, Last.self,
        // data
        DatasetVerb.self, Save.self, Read.self, Record.self, ScanVerb.self, ResultsVerb.self,
        // learning
        Train.self, Resume.self, MetaTrain.self, Adapt.self, Curve.self, Evaluate.self, Compare.self, Rollout.self, Latent.self, Sample.self, Correlate.self, Classify.self, Jacobian.self,
        // fitting
        FitVerb.self, Identify.self, Discover.self, FitPair.self,
    ]

    private static let byName: [String: any Verb.Type] = Dictionary(uniqueKeysWithValues: all.map { verb in (verb.signature.name, verb) })

    static func named(_ name: String) -> (any Verb.Type)? { byName[name] }

    static var names: [String] { all.map { verb in verb.signature.name } }

    /// The statement forms, which are not calls (`help` prints them first).
    static let statements: [StatementHelp] = [
        .init(name: "canonical", usage: "canonical (q1, p1), (q2, p2), ...",
              summary: "declares the canonical pairs {q_i, p_j} = delta_ij that brackets and vector fields use",
              example: "canonical (x, px), (y, py)"),
        .init(name: "load", usage: "load NAME   or   load NAME(n: 4)",
              summary: "loads a catalog system: its canonical pairs, H and invariants (parameters stay symbols)",
              example: "load kepler3d"),
        .init(name: "show", usage: "show   or   show NAME",
              summary: "lists the session (pairs and definitions), a definition, or a catalog system's names",
              example: "show kepler3d"),
        .init(name: "help", usage: "help   or   help NAME", summary: "explains a verb or statement with an example", example: "help bracket"),
        .init(name: "=", usage: "NAME = EXPRESSION", summary: "defines NAME; later uses of NAME stand for the expression",
              example: "L = x*py - y*px"),
        .init(name: "==", usage: "A == B   or   A != B",
              summary: "mathematical equality decided by the exact zero test (or numerically, and then it says so)",
              example: "bracket(A1, A2) == -2*H*L3"),
    ]

    static let functions = ["sqrt", "exp", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "abs", "atan"]

    static var reserved: Set<String> { Set(names + functions + ["I", "pi", "true", "false", "canonical", "load", "show", "help"]) }

    /// `help NAME` for a verb: usage, summary, the options (from the declaration) and the example.
    static func help(_ s: Signature) -> String {
        var lines = [s.usage, "  " + s.summary]
        if !s.options.isEmpty {
            lines.append("  options:")
            lines += s.options.map { "    " + $0.helpLine }
        }
        if let other = s.otherLabels { lines.append("  other labels: \(other)") }
        lines.append("  example: \(s.example)")
        return lines.joined(separator: "\n")
    }
}

/// A statement form's help (statements are parsed, not called, so they have no signature).
struct StatementHelp {
    var name: String
    var usage: String
    var summary: String
    var example: String
}
