import Symbolic

/// Hamilton's equations of an exact Hamiltonian, compiled: state x = (q_1…q_n, p_1…p_n),
/// ẋ = Ω∇H with q̇ = ∂H/∂p, ṗ = −∂H/∂q. Parameters take given values (defaults: the system's).
/// H, the field and its Jacobian share one compiled program each; when ∂²H/∂q∂p is exactly
/// zero the split velocity and force are compiled too (`isSeparable`).
public final class HamiltonianVectorField: SeparableField {
    public let pairs: [CanonicalPair]
    public let hamiltonian: Expr
    public let parameterValues: [String: Double]
    public var dimension: Int { 2 * pairs.count }
    public var degreesOfFreedom: Int { pairs.count }
    /// Whether H = T(p) + V(q), decided exactly.
    public let isSeparable: Bool
    /// The names of the state's components, in order.
    public var stateNames: [String] { pairs.map(\.q) + pairs.map(\.p) }

    let energyFunction: CompiledEvaluator
    let field: CompiledEvaluator
    let jacobianFunction: CompiledEvaluator
    let velocityFunction: CompiledEvaluator?
    let forceFunction: CompiledEvaluator?

    public init(hamiltonian: Expr, pairs: [CanonicalPair], parameters: [String: Double] = [:]) throws {
        self.pairs = pairs
        self.hamiltonian = hamiltonian
        self.parameterValues = parameters
        let names = pairs.map(\.q) + pairs.map(\.p)
        let dHdq = pairs.map { hamiltonian.diff($0.q) }, dHdp = pairs.map { hamiltonian.diff($0.p) }
        let f = dHdp + dHdq.map { -$0 }
        energyFunction = CompiledEvaluator(try CompiledFunction([hamiltonian], inputs: names, constants: parameters))
        field = CompiledEvaluator(try CompiledFunction(f, inputs: names, constants: parameters))
        jacobianFunction = CompiledEvaluator(try CompiledFunction(f.flatMap { fi in names.map { fi.diff($0) } }, inputs: names, constants: parameters))
        // Separable when no ∂H/∂p depends on q (equivalently no ∂H/∂q on p).
        let mixedFree = dHdp.allSatisfy { g in pairs.allSatisfy { g.diff($0.q).isZero || Simplifier.isZero(g.diff($0.q)) == .zero } }
        isSeparable = mixedFree
        if mixedFree {
            velocityFunction = CompiledEvaluator(try CompiledFunction(dHdp, inputs: pairs.map(\.p), constants: parameters))
            forceFunction = CompiledEvaluator(try CompiledFunction(dHdq.map { -$0 }, inputs: pairs.map(\.q), constants: parameters))
        } else {
            velocityFunction = nil; forceFunction = nil
        }
    }

    /// The field of a catalog system with its default parameters, overridden by `parameters`.
    public convenience init(system: HamiltonianSystem, parameters: [String: Double] = [:]) throws {
        var values: [String: Double] = [:]
        for p in system.parameters { values[p.name] = p.defaultValue.doubleValue }
        for (k, v) in parameters { values[k] = v }
        try self.init(hamiltonian: system.hamiltonian, pairs: system.pairs, parameters: values)
    }

    public func evaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>) {
        field.evaluate(x, into: derivative)
    }

    public func jacobian(_ x: UnsafePointer<Double>, into jacobian: UnsafeMutablePointer<Double>) -> Bool {
        jacobianFunction.evaluate(x, into: jacobian)
        return true
    }

    public func velocity(_ p: UnsafePointer<Double>, into qdot: UnsafeMutablePointer<Double>) {
        guard let v = velocityFunction else { preconditionFailure("velocity of a non-separable Hamiltonian") }
        v.evaluate(p, into: qdot)
    }

    public func force(_ q: UnsafePointer<Double>, into pdot: UnsafeMutablePointer<Double>) {
        guard let f = forceFunction else { preconditionFailure("force of a non-separable Hamiltonian") }
        f.evaluate(q, into: pdot)
    }

    /// H(x).
    public func energy(_ x: UnsafePointer<Double>) -> Double {
        var out = 0.0
        energyFunction.evaluate(x, into: &out)
        return out
    }

    public func energy(_ x: [Double]) -> Double { x.withUnsafeBufferPointer { energy($0.baseAddress!) } }
}
