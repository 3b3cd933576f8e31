import Symbolic

/// Hamilton's equations of an exact Hamiltonian, compiled: state x = (q_1…q_n, p_1…p_n),
/// ẋ = Ω∇H with q̇ = ∂H/∂p, ṗ = −∂H/∂q. Parameters take given values (defaults: the system's).
/// H, the field and its Jacobian share one compiled program each; when ∂²H/∂q∂p is exactly
/// zero the split velocity and force are compiled too (`isSeparable`). It reports H and the
/// scale of its terms (`EnergyField`) for the fixed-step integrators' energy test.
public final class HamiltonianVectorField: SeparableField, EnergyField {
    public let pairs: [CanonicalPair]
    public let hamiltonian: Expr
    public let parameterValues: [String: Double]
    public var dimension: Int { 2 * pairs.count }
    public var degreesOfFreedom: Int { pairs.count }
    /// Whether H = T(p) + V(q), decided exactly.
    public let isSeparable: Bool
    /// The names of the state's components, in order.
    public var stateNames: [String] { pairs.map(\.q) + pairs.map(\.p) }

    /// "native" when the functions run as machine code built at run time, otherwise
    /// "interpreter" (with the reason native compilation was not used).
    public private(set) var backend = "interpreter"
    private var native: NativeLibrary?
    private var nativeField, nativeVelocity, nativeForce, nativeEnergy: NativeFunction?
    /// One whole RK4 step x ← x + h/6 (k1 + 2k2 + 2k3 + k4), in machine code.
    public private(set) var nativeRK4Step: RK4StepKernel?
    /// One kick-drift-kick step on x = (q, p), the force at q carried in `force` (FSAL).
    public private(set) var nativeLeapfrogStep: LeapfrogStepKernel?

    let energyFunction: CompiledEvaluator
    let field: CompiledEvaluator
    let jacobianFunction: CompiledEvaluator
    let velocityFunction: CompiledEvaluator?
    let forceFunction: CompiledEvaluator?

    /// With `native`, the field, split field and energy are also compiled to machine code by
    /// the system C compiler (about 0.1 s once); results are bit-identical to the interpreter.
    public init(hamiltonian: Expr, pairs: [CanonicalPair], parameters: [String: Double] = [:], native: Bool = false) throws {
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
        let mixedFree = dHdp.allSatisfy { g in pairs.allSatisfy { g.diff($0.q).isZero || Simplifier.isProvenZero(g.diff($0.q)) } }
        isSeparable = mixedFree
        if mixedFree {
            velocityFunction = CompiledEvaluator(try CompiledFunction(dHdp, inputs: pairs.map(\.p), constants: parameters))
            forceFunction = CompiledEvaluator(try CompiledFunction(dHdq.map { -$0 }, inputs: pairs.map(\.q), constants: parameters))
        } else {
            velocityFunction = nil; forceFunction = nil
        }
        if native { compileNative() }
    }

    /// Builds the machine-code versions; on failure keeps the interpreter and says why in `backend`.
    public func compileNative() {
        guard self.native == nil else { return }
        var programs = [field.function, energyFunction.function]
        let (n, m) = (dimension, degreesOfFreedom)
        // Whole steps in C, with the same arithmetic as FixedStepIntegrator's Swift loops.
        var kernels = [NativeLibrary.Kernel(source: """
            void noether_rk4_step(double *restrict x, double h) {
              double k1[\(n)], k2[\(n)], k3[\(n)], k4[\(n)], y[\(n)];
              noether_f0(x, k1);
              for (int i = 0; i < \(n); i++) y[i] = x[i] + 0.5 * h * k1[i];
              noether_f0(y, k2);
              for (int i = 0; i < \(n); i++) y[i] = x[i] + 0.5 * h * k2[i];
              noether_f0(y, k3);
              for (int i = 0; i < \(n); i++) y[i] = x[i] + h * k3[i];
              noether_f0(y, k4);
              for (int i = 0; i < \(n); i++) x[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
            }
            """, symbols: ["noether_rk4_step"])]
        if let v = velocityFunction, let f = forceFunction {
            programs += [v.function, f.function]
            kernels.append(.init(source: """
            void noether_leapfrog_step(double *restrict x, double *restrict force, double h) {
              double v[\(m)];
              for (int i = 0; i < \(m); i++) x[\(m) + i] += 0.5 * h * force[i];
              noether_f2(x + \(m), v);
              for (int i = 0; i < \(m); i++) x[i] += h * v[i];
              noether_f3(x, force);
              for (int i = 0; i < \(m); i++) x[\(m) + i] += 0.5 * h * force[i];
            }
            """, symbols: ["noether_leapfrog_step"]))
        }
        do {
            let library = try NativeLibrary(programs, kernels: kernels)
            self.native = library
            nativeField = library.functions[0]
            nativeEnergy = library.functions[1]
            nativeRK4Step = unsafeBitCast(library.kernelSymbols[0], to: RK4StepKernel.self)
            if library.functions.count == 4 {
                nativeVelocity = library.functions[2]; nativeForce = library.functions[3]
                nativeLeapfrogStep = unsafeBitCast(library.kernelSymbols[1], to: LeapfrogStepKernel.self)
            }
            backend = "native"
        } catch {
            backend = "interpreter (native compilation unavailable: \(error))"
        }
    }

    /// The field of a catalog system with its default parameters, overridden by `parameters`.
    public convenience init(system: HamiltonianSystem, parameters: [String: Double] = [:], native: Bool = false) throws {
        try self.init(hamiltonian: system.hamiltonian, pairs: system.pairs, parameters: system.parameterValues(overriding: parameters), native: native)
    }

    public func evaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>) {
        if let f = nativeField { f(x, derivative); return }
        field.evaluate(x, into: derivative)
    }

    public func jacobian(_ x: UnsafePointer<Double>, into jacobian: UnsafeMutablePointer<Double>) -> Bool {
        jacobianFunction.evaluate(x, into: jacobian)
        return true
    }

    // The native function pointers are checked first: they are not reference counted, while
    // binding an evaluator object costs a retain and a release per call.

    public func velocity(_ p: UnsafePointer<Double>, into qdot: UnsafeMutablePointer<Double>) {
        if let f = nativeVelocity { f(p, qdot); return }
        guard let v = velocityFunction else { preconditionFailure("velocity of a non-separable Hamiltonian") }
        v.evaluate(p, into: qdot)
    }

    public func force(_ q: UnsafePointer<Double>, into pdot: UnsafeMutablePointer<Double>) {
        if let native = nativeForce { native(q, pdot); return }
        guard let f = forceFunction else { preconditionFailure("force of a non-separable Hamiltonian") }
        f.evaluate(q, into: pdot)
    }

    /// H(x).
    public func energy(_ x: UnsafePointer<Double>) -> Double {
        var out = 0.0
        if let f = nativeEnergy { f(x, &out) } else { energyFunction.evaluate(x, into: &out) }
        return out
    }

    public func energy(_ x: [Double]) -> Double { x.withUnsafeBufferPointer { energy($0.baseAddress!) } }

    /// H's terms: the summands of its canonical form (H itself when it is not a sum), compiled
    /// on first use. Their sum is H; the sum of their magnitudes is the size of what cancels in
    /// H, the scale against which a change of H is small or not (it is never below |H|).
    private lazy var terms: EnergyTerms? = {
        var list = [hamiltonian]
        if case .sum(let summands) = hamiltonian.kind { list = summands }
        guard let function = try? CompiledFunction(list, inputs: stateNames, constants: parameterValues) else { return nil }
        return EnergyTerms(function)
    }()

    /// H(x) as the sum of its terms, and the sum of their magnitudes (nil when the terms cannot
    /// be compiled). For Kepler, H = |p|²/2 − k/r gives the scale |p|²/2 + k/r.
    public func energyAndScale(_ x: UnsafePointer<Double>) -> (energy: Double, scale: Double)? {
        guard let terms else { return nil }
        terms.evaluator.evaluate(x, into: terms.values)
        var energy = 0.0, scale = 0.0
        for i in 0..<terms.count { energy += terms.values[i]; scale += abs(terms.values[i]) }
        return (energy, scale)
    }
}

/// A compiled list of H's terms with room for their values.
private final class EnergyTerms {
    let evaluator: CompiledEvaluator
    let values: UnsafeMutablePointer<Double>
    let count: Int

    init(_ function: CompiledFunction) {
        evaluator = CompiledEvaluator(function)
        count = function.outputCount
        values = .allocate(capacity: max(1, count))
    }

    deinit { values.deallocate() }
}
