/// An autonomous first-order system ẋ = f(x). Compiled Hamiltonians satisfy it, and so will
/// learned models. Implementations may keep scratch space, so one instance serves one thread.
public protocol VectorField: AnyObject {
    var dimension: Int { get }
    /// Writes f(x) into `derivative`.
    func evaluate(_ x: UnsafePointer<Double>, into derivative: UnsafeMutablePointer<Double>)
    /// Writes the Jacobian ∂f_i/∂x_j row-major into `jacobian` and returns true, or returns
    /// false when the field has none.
    func jacobian(_ x: UnsafePointer<Double>, into jacobian: UnsafeMutablePointer<Double>) -> Bool
}

extension VectorField {
    public func jacobian(_ x: UnsafePointer<Double>, into jacobian: UnsafeMutablePointer<Double>) -> Bool { false }

    /// f(x) for an array (allocates; for tests and the REPL).
    public func callAsFunction(_ x: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: dimension)
        x.withUnsafeBufferPointer { xs in out.withUnsafeMutableBufferPointer { evaluate(xs.baseAddress!, into: $0.baseAddress!) } }
        return out
    }
}

/// A field ẋ = f(x) split as q̇ = T'(p), ṗ = −V'(q) for a separable Hamiltonian H = T(p) + V(q),
/// which is what explicit symplectic splitting methods (leapfrog, Yoshida) need.
public protocol SeparableField: VectorField {
    var degreesOfFreedom: Int { get }
    /// q̇ = ∂H/∂p, which depends on p only.
    func velocity(_ p: UnsafePointer<Double>, into qdot: UnsafeMutablePointer<Double>)
    /// ṗ = −∂H/∂q, which depends on q only.
    func force(_ q: UnsafePointer<Double>, into pdot: UnsafeMutablePointer<Double>)
}
