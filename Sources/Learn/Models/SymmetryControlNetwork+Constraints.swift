import Dynamics
import Symbolic

/// SCNN-constraint (SCNN paper, section 3.2.1): known conserved quantities C_1…C_k, typed as
/// expressions of the state's coordinates, add the term
///
///   `constraint`  L_C = mean_b Σ_c {C_c, H_θ}(x_b)²,   {C, H_θ} = ∇C · Ω∇H_θ = ∇C · f(x),
///
/// with H_θ = H_φ(T_ψ(x)) and f = Ω Jᵀ g the model's field (the one L_HNN compares with ẋ).
/// ∇C is the symbolic module's compiled gradient evaluated on the batch: a constant in the
/// parameters, so the term's gradient flows through f only. L_C is zero exactly when the
/// learned H Poisson-commutes with every C_c on the batch, which the true H does; it does not
/// make T canonical nor any P_i equal to a C_c.
///
/// The weight (`alpha3`, default 1): the paper adds these terms to the HNN loss ("beyond the
/// HNN-loss, we only impose the loss components ensuring {H, P_i} = 0 and {H, L} = 0") and
/// states no weight for them, while it does state α1, α2 for the others; an unweighted sum is
/// the reading of that sentence, so the default is 1. Note the paper's SCNN-constraint
/// computes H from (q, p) with the standard two hidden layers; here H_θ = H_φ ∘ T_ψ, which
/// with α1 = α2 = 0 is again an unconstrained network of (q, p).
///
/// The expressions travel in the model's spec (`constraints=` the texts without spaces,
/// separated by `;`, and `coordinates=` the state's names in order), so a checkpoint carries
/// them; a batch's columns must be those coordinates in that order.
public struct ConstraintTerm: Sendable, Equatable {
    /// C_1…C_k, each an expression of `coordinates` only.
    public let expressions: [Expr]
    /// The state's names, in the order of a batch's columns.
    public let coordinates: [String]
    /// The term's weight in the objective.
    public let weight: Double
    /// ∂C_c/∂x_i, c-major: output c·d + i.
    let gradient: CompiledFunction?

    /// No constraints: the plain SCNN.
    public static let none = ConstraintTerm()

    private init() { self.init(expressions: [], coordinates: [], weight: 1, gradient: nil) }

    private init(expressions: [Expr], coordinates: [String], weight: Double, gradient: CompiledFunction?) {
        self.expressions = expressions; self.coordinates = coordinates; self.weight = weight; self.gradient = gradient
    }

    /// Refuses a symbol that is not a coordinate (naming it and the coordinates), an expression
    /// without any coordinate (its bracket with every H is 0), a weight that is not finite and
    /// non-negative, and an expression whose text would not read back to itself from a
    /// checkpoint.
    public init(_ expressions: [Expr], coordinates: [String], weight: Double = 1) throws {
        guard !expressions.isEmpty else { self.init(); return }
        guard weight.isFinite, weight >= 0 else { throw ModelError(message: "the constraint weight must be a finite number ≥ 0, not \(weight)") }
        let known = Set(coordinates)
        for e in expressions {
            let symbols = e.freeSymbols.sorted()
            if let unknown = symbols.first(where: { !known.contains($0) }) {
                throw ModelError(message: "the constraint \(TextPrinter().print(e)) names '\(unknown)', which is not a coordinate of the data (coordinates: \(coordinates.joined(separator: ", ")))")
            }
            guard !symbols.isEmpty else {
                throw ModelError(message: "the constraint \(TextPrinter().print(e)) is a constant: its bracket with any H is 0; give a conserved quantity of (\(coordinates.joined(separator: ", ")))")
            }
            guard let text = Self.text(e), (try? Expr.parse(text)) == e else {
                throw ModelError(message: "the constraint \(TextPrinter().print(e)) cannot be written to a checkpoint so that it reads back the same")
            }
        }
        let partials = expressions.flatMap { c in coordinates.map { c.diff($0) } }
        let gradient: CompiledFunction
        do { gradient = try CompiledFunction(partials, inputs: coordinates) } catch {
            throw ModelError(message: "the constraints' gradients cannot be compiled: \(error)")
        }
        self.init(expressions: expressions, coordinates: coordinates, weight: weight, gradient: gradient)
    }

    public var isEmpty: Bool { expressions.isEmpty }

    /// `, 3 constraints (alpha3 1)` for a model's description; empty without constraints.
    var summary: String {
        isEmpty ? "" : ", \(expressions.count) constraint\(expressions.count == 1 ? "" : "s") (alpha3 \(weight == weight.rounded() && weight < 1e15 ? String(Int(weight)) : TextPrinter.format(weight, significantDigits: 3)))"
    }

    public static func == (a: ConstraintTerm, b: ConstraintTerm) -> Bool {
        a.expressions == b.expressions && a.coordinates == b.coordinates && a.weight == b.weight
    }

    /// ∇C_c(x_b) for every row of x [rows, d]: [rows, k, d].
    public func gradients(at x: Tensor) -> Tensor {
        guard let gradient else { return Tensor.zeros([x.shape[0], 0, x.shape[1]]) }
        let rows = x.shape[0], d = coordinates.count, k = expressions.count
        precondition(x.shape.count == 2 && x.shape[1] == d, "the constraints are of \(d) coordinates; the batch has shape \(x.shape)")
        var out = [Double](repeating: 0, count: rows * k * d)
        // Registers of our own: a model may be evaluated from several threads.
        let registers = UnsafeMutablePointer<Double>.allocate(capacity: max(1, gradient.registerCount))
        defer { registers.deallocate() }
        gradient.prepare(registers)
        x.storage.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for b in 0..<rows { gradient.evaluate(input.baseAddress! + b * d, into: output.baseAddress! + b * k * d, registers: registers) }
            }
        }
        return Tensor(shape: [rows, k, d], storage: out)
    }

    /// L_C = mean over the batch of Σ_c (∇C_c · f)², for ∇C [batch, k, d] and the field f
    /// [batch, d]: the squared brackets {C_c, H} when f = Ω∇H.
    public static func loss(gradients G: Variable, field f: Variable) -> Variable {
        SymmetryControlNetwork.apply(G, f).square().sum() * (1 / Double(max(1, f.shape[0])))
    }

    // MARK: The spec

    /// An expression's text without spaces (spec values are words), or nil if it holds a `;`
    /// (the separator).
    static func text(_ e: Expr) -> String? {
        let text = TextPrinter().print(e).filter { $0 != " " }
        return text.contains(";") ? nil : text
    }

    /// `alpha3=… constraints=C1;C2;… coordinates=x1,x2,…`, nothing when there are none.
    var specEntries: [ModelSpec.Entry] {
        guard !isEmpty else { return [] }
        return [.init("alpha3", String(weight)), .init("constraints", expressions.compactMap(Self.text).joined(separator: ";")),
                .init("coordinates", coordinates.joined(separator: ","))]
    }

    static let specKeys = ["alpha3", "constraints", "coordinates"]

    /// The term a spec describes (none when it has no `constraints`), every part checked.
    init(spec: ModelSpec, dimension: Int) throws {
        guard let list = spec["constraints"] else {
            if let key = Self.specKeys.first(where: { spec[$0] != nil }) {
                throw ModelError(message: "the spec '\(spec)' has \(key) but no constraints")
            }
            self.init()
            return
        }
        guard let coordinates = spec["coordinates"]?.split(separator: ",").map(String.init), coordinates.count == dimension,
              Set(coordinates).count == dimension else {
            throw ModelError(message: "the spec '\(spec)' has constraints without the \(dimension) distinct coordinates they are of")
        }
        guard let weight = spec["alpha3"].flatMap(Double.init), weight.isFinite, weight >= 0 else {
            throw ModelError(message: "the spec '\(spec)' has constraints without a weight alpha3 ≥ 0")
        }
        var expressions: [Expr] = []
        for text in list.split(separator: ";", omittingEmptySubsequences: false) {
            do { expressions.append(try Expr.parse(String(text))) } catch {
                throw ModelError(message: "the spec's constraint '\(text)' does not read as an expression: \(error)")
            }
        }
        try self.init(expressions, coordinates: coordinates, weight: weight)
    }
}

/// A model that may carry known conserved quantities (`hnn` and `scnn` with `constraints:`):
/// their gradients read a batch's columns in `constraints.coordinates`' order, so a checkpoint
/// must name its state in that order (`Checkpoint` checks it).
public protocol ConstrainedModel: Model {
    var constraints: ConstraintTerm { get }
}

extension HamiltonianNeuralNetwork: ConstrainedModel {}
extension SymmetryControlNetwork: ConstrainedModel {}
