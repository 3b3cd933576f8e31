import Dynamics
import Symbolic

/// The model kinds `train` can build, shaped like the catalog's entries: each has a name, a
/// one-line summary, its declared options, `build` (a fresh model from options, the data's
/// dimension and a seed) and `decode` (the model a checkpoint's spec describes). Help text and
/// did-you-mean derive from the entries; adding a kind is one file and one line in `entries`.
public enum ModelRegistry {
    /// An option a kind declares: its name, kind and range, default and one line of help.
    public struct Option: Sendable {
        public enum Kind: Sendable {
            case whole(ClosedRange<Int>)
            case number(ClosedRange<Double>)
            case word([String])
            /// A list of numbers, each in the range (a flow's torus actions).
            case numbers(ClosedRange<Double>)
            /// Expressions of the data's coordinates (an SCNN's known conserved quantities).
            case invariants
        }
        public var name: String
        public var kind: Kind
        public var defaultValue: Value
        public var help: String
        public init(_ name: String, _ kind: Kind, default defaultValue: Value, help: String) {
            self.name = name; self.kind = kind; self.defaultValue = defaultValue; self.help = help
        }
    }

    /// An option's value.
    public enum Value: Sendable, Equatable {
        case whole(Int), number(Double), word(String)
        case numbers([Double])
        /// Expressions of `coordinates`, the data's state names in column order.
        case invariants([Expr], coordinates: [String])
    }

    public struct Entry: Sendable {
        public var name: String
        public var summary: String
        public var options: [Option]
        /// The parameter names and shapes a spec describes, computed without building anything
        /// (checkpoints check their length against it before allocating).
        public var parameterShapes: @Sendable (ModelSpec) throws -> [(name: String, shape: [Int])]
        /// The work of one training step on `rows` rows of the model `build` would make, known
        /// before anything is allocated (so an absurd size is refused, not built).
        public var cost: @Sendable (_ options: [String: Value], _ dimension: Int, _ rows: Int) throws -> TrainingCost
        /// A fresh model: options (every declared one, defaults filled in and checked), the
        /// data's dimension, the seed of the initial weights.
        public var build: @Sendable (_ options: [String: Value], _ dimension: Int, _ seed: UInt64) throws -> any Model
        /// The architecture a spec describes, with placeholder weights (a checkpoint then sets
        /// them).
        public var decode: @Sendable (ModelSpec) throws -> any Model
        /// The data rows one item of a batch brings (a flow's item is `points` points of one
        /// trajectory); nil: one row an item.
        public var rowsPerItem: (@Sendable (_ options: [String: Value]) -> Int)? = nil
        /// Whether the kind trains on a Hamiltonian alone (`train(nct, H, ...)`): its models are
        /// `VariationalModel`s.
        public var variational = false
        /// A fresh model that needs more of the data than its dimension (an lnn takes the data's
        /// H as its kinematics); nil: `build`.
        public var buildOnData: (@Sendable (_ options: [String: Value], _ data: Dataset, _ seed: UInt64) throws -> any Model)? = nil
    }

    public static let entries: [Entry] = [hamiltonianNeuralNetwork, baseline, separableHamiltonianNetwork, symmetryControlNetwork, momentumControlNetwork, symplecticFlow, neuralCanonicalTransformation, sympNet, lagrangianNeuralNetwork]

    public static var names: [String] { entries.map(\.name) }

    /// The options of the MLP models: the REPL's bounds, hidden 200 and 2 layers by default.
    static let mlpOptions: [Option] = [
        Option("hidden", .whole(1...4096), default: .whole(200), help: "units in each hidden layer"),
        Option("layers", .whole(1...32), default: .whole(2), help: "hidden layers"),
    ]

    /// The entry of a kind built from MLPs of the state with the `hidden` and `layers` options:
    /// its spec is `MLPArchitecture`'s (with `outputs` outputs), and `make` builds it from
    /// (dimension, hidden, layers, activation, initializer, seed). `shapes` and `cost` default
    /// to one MLP's.
    static func mlpEntry(name: String, summary: String, outputs: @escaping @Sendable (Int) -> Int,
                         shapes: @escaping @Sendable (MLPArchitecture) -> [(name: String, shape: [Int])] = { $0.parameterShapes },
                         cost: @escaping @Sendable (_ dimension: Int, _ hidden: Int, _ layers: Int, _ rows: Int) -> TrainingCost = {
                             TrainingCost(dimension: $0, hidden: $1, layers: $2, rows: $3)
                         },
                         make: @escaping @Sendable (Int, Int, Int, Activation, Initializer, UInt64) -> any Model) -> Entry {
        Entry(
            name: name, summary: summary, options: mlpOptions,
            parameterShapes: { shapes(try MLPArchitecture($0, kind: name, outputs: outputs)) },
            cost: { options, dimension, rows in
                let (hidden, layers) = try mlpSize(options, dimension: dimension, kind: name)
                return cost(dimension, hidden, layers, rows)
            },
            build: { options, dimension, seed in
                let (hidden, layers) = try mlpSize(options, dimension: dimension, kind: name)
                return make(dimension, hidden, layers, .tanh, .orthogonal, seed)
            },
            decode: { spec in
                let a = try MLPArchitecture(spec, kind: name, outputs: outputs)
                return make(a.dimension, a.hidden, a.layers, a.activation, .xavier, 0)
            })
    }

    static let hamiltonianNeuralNetwork = Entry(
        name: "hnn", summary: "Hamiltonian neural network (Greydanus et al.): an MLP H_theta(q, p), dx/dt = Omega grad H_theta; with constraints, the SCNN paper's SCNN-constraint",
        options: mlpOptions + constraintOptions,
        parameterShapes: { spec in try hnnArchitecture(spec).parameterShapes },
        cost: { options, dimension, rows in
            let (hidden, layers) = try mlpSize(options, dimension: dimension, kind: "hnn")
            return TrainingCost(dimension: dimension, hidden: hidden, layers: layers, rows: rows)
        },
        build: { options, dimension, seed in
            let (hidden, layers) = try mlpSize(options, dimension: dimension, kind: "hnn")
            return HamiltonianNeuralNetwork(dimension: dimension, hidden: hidden, layers: layers,
                                            constraints: try constraintTerm(options, dimension: dimension, kind: "hnn"), initializer: .orthogonal, seed: seed)
        },
        decode: { spec in
            let a = try hnnArchitecture(spec)
            return HamiltonianNeuralNetwork(dimension: a.dimension, hidden: a.hidden, layers: a.layers,
                                            constraints: try ConstraintTerm(spec: spec, dimension: a.dimension), activation: a.activation, seed: 0)
        })

    /// An hnn spec's MLP part (its constraint entries aside).
    static func hnnArchitecture(_ spec: ModelSpec) throws -> MLPArchitecture {
        try MLPArchitecture(ModelSpec(spec.entries.filter { !ConstraintTerm.specKeys.contains($0.key) }), kind: "hnn", outputs: { _ in 1 })
    }

    /// Known conserved quantities and their weight, for the kinds with a learned H.
    static let constraintOptions: [Option] = [
        Option("constraints", .invariants, default: .invariants([], coordinates: []),
               help: "known conserved quantities C of the data's coordinates (SCNN-constraint): adds the term mean sum_c {C_c, H}^2"),
        Option("alpha3", .number(0...1e6), default: .number(1), help: "weight of the constraint loss (needs constraints)"),
    ]

    /// The constraint term of resolved options: none without constraints; with them, they
    /// must be of `dimension` coordinates.
    static func constraintTerm(_ options: [String: Value], dimension: Int, kind: String) throws -> ConstraintTerm {
        guard case .invariants(let expressions, let coordinates)? = options["constraints"], case .number(let weight)? = options["alpha3"] else {
            throw ModelError(message: "a \(kind) model needs constraints and alpha3")
        }
        guard !expressions.isEmpty else { return .none }
        guard coordinates.count == dimension else {
            throw ModelError(message: "the constraints are of \(coordinates.count) coordinates; the model has dimension \(dimension)")
        }
        return try ConstraintTerm(expressions, coordinates: coordinates, weight: weight)
    }

    static let baseline = mlpEntry(
        name: "baseline", summary: "an MLP predicting dx/dt directly (the baseline of Greydanus et al.)",
        outputs: { $0 }) {
            BaselineModel(dimension: $0, hidden: $1, layers: $2, activation: $3, initializer: $4, seed: $5)
        }

    static func mlpSize(_ options: [String: Value], dimension: Int, kind: String) throws -> (hidden: Int, layers: Int) {
        guard dimension > 0, dimension % 2 == 0 else {
            throw ModelError(message: "a \(kind) model needs a phase space of pairs (q, p): an even dimension, not \(dimension)")
        }
        guard case .whole(let hidden)? = options["hidden"], case .whole(let layers)? = options["layers"] else {
            throw ModelError(message: "a \(kind) model needs whole numbers hidden and layers")
        }
        return (hidden, layers)
    }

    /// The entry named `name`, or an error listing the kinds, with a did-you-mean.
    public static func entry(_ name: String) throws -> Entry {
        if let e = entries.first(where: { $0.name == name }) { return e }
        var message = "no model kind '\(name)' (kinds: \(names.joined(separator: ", ")))"
        if let s = ExprBuilder.suggestion(for: name, among: names) { message += "; did you mean '\(s)'?" }
        throw ModelError(message: message)
    }

    /// The options with every declared one filled in (defaults for those not given), each
    /// checked against its declaration; an undeclared option is an error with a did-you-mean.
    public static func resolve(_ options: [String: Value], for entry: Entry) throws -> [String: Value] {
        let declared = entry.options.map(\.name)
        for name in options.keys.sorted() where !declared.contains(name) {
            var message = "\(entry.name) has no option '\(name)' (options: \(declared.joined(separator: ", ")))"
            if let s = ExprBuilder.suggestion(for: name, among: declared) { message += "; did you mean '\(s)'?" }
            throw ModelError(message: message)
        }
        var out: [String: Value] = [:]
        for option in entry.options {
            let value = options[option.name] ?? option.defaultValue
            switch (option.kind, value) {
            case (.whole(let range), .whole(let v)) where range.contains(v): break
            case (.number(let range), .number(let v)) where range.contains(v): break
            case (.word(let allowed), .word(let v)) where allowed.contains(v): break
            case (.numbers(let range), .numbers(let v)) where !v.isEmpty && v.allSatisfy(range.contains): break
            case (.invariants, .invariants): break
            default:
                let expected: String
                switch option.kind {
                case .whole(let r): expected = "a whole number from \(r.lowerBound) to \(r.upperBound)"
                case .number(let r): expected = "a number from \(r.lowerBound) to \(r.upperBound)"
                case .word(let w): expected = "one of \(w.joined(separator: ", "))"
                case .numbers(let r): expected = "a list of numbers, each from \(r.lowerBound) to \(r.upperBound)"
                case .invariants: expected = "a list of expressions of the data's coordinates"
                }
                throw ModelError(message: "\(entry.name)'s option '\(option.name)' is \(expected)")
            }
            out[option.name] = value
        }
        return out
    }

    /// The work of one training step of the model `build` would make from these options.
    public static func trainingCost(_ kind: String, options: [String: Value] = [:], dimension: Int, rows: Int) throws -> TrainingCost {
        let e = try entry(kind)
        return try e.cost(try resolve(options, for: e), dimension, rows)
    }

    /// The rows one training step of `kind` works on: the whole data for `batch` 0, else `batch`
    /// items of the rows each brings, at most the data's.
    public static func stepRows(_ kind: String, options: [String: Value] = [:], batch: Int, dataRows: Int) throws -> Int {
        let e = try entry(kind)
        guard batch > 0 else { return dataRows }
        let perItem = e.rowsPerItem?(try resolve(options, for: e)) ?? 1
        return e.rowsPerItem == nil ? min(batch, dataRows) : batch.multipliedReportingOverflow(by: perItem).overflow ? Int.max : batch * perItem
    }

    /// A fresh model of kind `kind`, its options checked and defaulted.
    public static func build(_ kind: String, options: [String: Value] = [:], dimension: Int, seed: UInt64) throws -> any Model {
        let e = try entry(kind)
        return try e.build(try resolve(options, for: e), dimension, seed)
    }

    /// The kinds whose models satisfy `predicate` (have a learned H, are separable, ...), asked
    /// of a model of each kind built at its defaults on one degree of freedom: for messages
    /// that point to the kinds that can do what was asked.
    public static func kinds(where predicate: (any Model) -> Bool) -> [String] {
        entries.filter { e in (try? e.build(try resolve([:], for: e), 2, 0)).map(predicate) ?? false }.map(\.name)
    }

    /// A fresh model of kind `kind` for training on `data`, its options checked and defaulted.
    public static func build(_ kind: String, options: [String: Value] = [:], data: Dataset, seed: UInt64) throws -> any Model {
        let e = try entry(kind)
        let resolved = try resolve(options, for: e)
        if let onData = e.buildOnData { return try onData(resolved, data, seed) }
        return try e.build(resolved, data.phaseSpaceDimension, seed)
    }

    /// The model a checkpoint's kind and spec describe, with placeholder parameters.
    public static func decode(kind: String, spec: ModelSpec) throws -> any Model {
        try entry(kind).decode(spec)
    }
}
