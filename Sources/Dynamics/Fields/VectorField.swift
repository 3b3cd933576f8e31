/// An autonomous first-order system ẋ = f(x). Compiled Hamiltonians satisfy it, and so will
/// learned models. Implementations may keep scratch space, so one instance serves one thread.
public protocol VectorField: AnyObject {
    var dimension: Int { get }
    /// Writes f(x) into `derivative`.
    func evaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>)
    /// Writes the Jacobian ∂f_i/∂x_j row-major into `jacobian` and returns true, or returns
    /// false when the field has none.
    func jacobian(_ x: UnsafePointer<Double>, into jacobian: UnsafeMutablePointer<Double>) -> Bool
    /// One whole classical RK4 step x ← x + h/6 (k1 + 2k2 + 2k3 + k4) in machine code, when the
    /// field has one (nil: the integrator composes four `evaluate` calls). It must do the same
    /// arithmetic as the composed step, so results do not depend on which one runs.
    var nativeRK4Step: RK4StepKernel? { get }
}

/// A fused RK4 step on the state x (n values) with step h.
public typealias RK4StepKernel = @convention(c) (UnsafeMutablePointer<Double>, Double) -> Void
/// A fused kick-drift-kick step on x = (q, p) with step h; `force` holds −V′(q) at the current q
/// on entry and at the new q on exit (first same as last).
public typealias LeapfrogStepKernel = @convention(c) (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, Double) -> Void

extension VectorField {
    public func jacobian(_ x: UnsafePointer<Double>, into jacobian: UnsafeMutablePointer<Double>) -> Bool { false }

    public var nativeRK4Step: RK4StepKernel? { nil }

    /// f(x) for an array (allocates; for tests and the REPL).
    public func callAsFunction(_ x: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: dimension)
        x.withUnsafeBufferPointer { xs in out.withUnsafeMutableBufferPointer { evaluate(xs.baseAddress!, into: $0.baseAddress!) } }
        return out
    }
}

/// A field ẋ = f(x) split as q̇ = T'(p), ṗ = −V'(q) for a separable Hamiltonian H = T(p) + V(q),
/// which is what explicit symplectic splitting methods (leapfrog, Yoshida) need. The state is
/// x = (q_1…q_n, p_1…p_n). Integrators ask this protocol, never a concrete type, so any field
/// with such a split (an exact H, a learned separable H_θ = T_θ(p) + V_θ(q)) can use them.
public protocol SeparableField: VectorField {
    var degreesOfFreedom: Int { get }
    /// Whether this instance has the split. A type may conform and still hold a field without
    /// one (a compiled Hamiltonian whose H mixes q and p); `velocity` and `force` are valid
    /// only when this is true. Defaults to true.
    var isSeparable: Bool { get }
    /// q̇ = ∂H/∂p, which depends on p only.
    func velocity(_ p: UnsafePointer<Double>, into qdot: UnsafeMutablePointer<Double>)
    /// ṗ = −∂H/∂q, which depends on q only.
    func force(_ q: UnsafePointer<Double>, into pdot: UnsafeMutablePointer<Double>)
    /// One whole kick-drift-kick step in machine code, when the field has one (nil: the
    /// integrator composes `velocity` and `force`, with the same arithmetic).
    var nativeLeapfrogStep: LeapfrogStepKernel? { get }
}

extension SeparableField {
    public var isSeparable: Bool { true }
    public var nativeLeapfrogStep: LeapfrogStepKernel? { nil }
}
