import Dynamics
import Symbolic

/// The architecture of a model built on one MLP of the state: d inputs, `layers` hidden layers of
/// `hidden` units with `activation`, and `outputs` outputs (1 for a learned H, d for a field).
/// Its spec is `dimension=d hidden=h layers=l activation=a`; its parameter shapes follow from it
/// without building anything, so a checkpoint's length is checked before any allocation.
public struct MLPArchitecture: Sendable, Equatable {
    public var dimension: Int, hidden: Int, layers: Int, outputs: Int
    public var activation: Activation

    /// The largest width a spec may ask for (a damaged file must not allocate terabytes).
    public static let maximumWidth = 1 << 16

    public var sizes: [Int] { [dimension] + Array(repeating: hidden, count: layers) + [outputs] }

    public var spec: ModelSpec {
        ModelSpec([.init("dimension", String(dimension)), .init("hidden", String(hidden)), .init("layers", String(layers)),
                   .init("activation", activation.rawValue)])
    }

    /// `layer1.weight` [s₀, s₁], `layer1.bias` [s₁], … for sizes s.
    public var parameterShapes: [(name: String, shape: [Int])] {
        let s = sizes
        return (1..<s.count).flatMap { [("layer\($0).weight", [s[$0 - 1], s[$0]]), ("layer\($0).bias", [s[$0]])] }
    }

    public init(dimension: Int, hidden: Int, layers: Int, outputs: Int, activation: Activation) {
        self.dimension = dimension; self.hidden = hidden; self.layers = layers; self.outputs = outputs; self.activation = activation
    }

    /// Reads a spec, every number in range: an even dimension, widths up to `maximumWidth`, at
    /// most 32 layers (the REPL's bound is 32 too).
    public init(_ spec: ModelSpec, kind: String, outputs: (Int) -> Int) throws {
        func whole(_ key: String, _ range: ClosedRange<Int>) throws -> Int {
            guard let text = spec[key] else { throw ModelError(message: "the \(kind) spec '\(spec)' has no \(key)") }
            guard let v = Int(text), range.contains(v) else {
                throw ModelError(message: "the \(kind) spec '\(spec)' has \(key)=\(FileError.quoted(text)), out of range (\(range.lowerBound) to \(range.upperBound))")
            }
            return v
        }
        let d = try whole("dimension", 2...Self.maximumWidth)
        guard d % 2 == 0 else { throw ModelError(message: "the \(kind) spec '\(spec)' has an odd dimension; a phase space has pairs (q, p)") }
        let hidden = try whole("hidden", 1...Self.maximumWidth), layers = try whole("layers", 1...32)
        guard let a = spec["activation"].flatMap(Activation.init(rawValue:)) else {
            throw ModelError(message: "the \(kind) spec '\(spec)' has no known activation (\(Activation.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let known: Set = ["dimension", "hidden", "layers", "activation"]
        if let extra = spec.entries.first(where: { !known.contains($0.key) }) {
            throw ModelError(message: "the \(kind) spec '\(spec)' has an unknown key '\(FileError.quoted(extra.key))'")
        }
        self.init(dimension: d, hidden: hidden, layers: layers, outputs: outputs(d), activation: a)
    }

    /// The parameters of the training cost estimate: the larger of 1 and d outputs counted.
    public func cost(rows: Int) -> TrainingCost { TrainingCost(dimension: dimension, hidden: hidden, layers: layers, rows: rows) }

    /// Why an MLP's output may not be finite: a parameter that is not finite, or an output that
    /// can overflow (the shared check of `outputProblem`; `name` names the output in messages).
    /// With a bounded activation the check holds for every input, by the output layer's bound
    /// (`MLP.outputBound`, a few hundred additions); otherwise it evaluates the network on the
    /// rows of `x`. A finite loss says the predicted ẋ is finite on its batch, but not H_θ:
    /// saturated tanh units give ∇H_θ = 0 while output weights of 1e309 make H_θ infinite.
    static func outputProblem(_ network: MLP, name: String, on x: Tensor?) -> String? {
        for p in network.parameters where !p.value.storage.allSatisfy(\.isFinite) { return "a parameter is not finite" }
        if let bound = network.outputBound {
            guard bound <= outputLimit else {
                return "\(name) can overflow (its bound over all states, \(TextPrinter.format(bound, significantDigits: 3)), is above 1e300)"
            }
            return nil
        }
        guard let x else { return nil }
        let output = Recording.with(false) { network(Variable(x)) }.value.storage
        guard let worst = output.first(where: { !(abs($0) <= outputLimit) }) else { return nil }
        return "\(name) overflows on the training states (\(TextPrinter.format(worst, significantDigits: 3)))"
    }

    /// Outputs beyond this are treated as overflowing: a margin below Double's 1.8e308, so that
    /// the rounding of a sum whose bound is finite cannot itself overflow.
    static let outputLimit = 1e300
}
