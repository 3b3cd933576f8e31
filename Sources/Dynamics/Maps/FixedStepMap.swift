/// One step of a fixed-step method on a vector field, as a map: φ_h(x) = the method's step
/// from x with step h. Symplectic exactly when the method is (`FixedStepMethod.isSymplectic`)
/// and the field is Hamiltonian. Its orbit (`iterate`) is `FixedStepIntegrator.run` bit for
/// bit, without the run's energy and singular-field tests.
public final class FixedStepMap: StepMap {
    public let field: VectorField
    public let integrator: FixedStepIntegrator
    public var dimension: Int { field.dimension }
    public var stepSize: Double { integrator.step }
    private let resolved: FixedStepIntegrator.ResolvedField
    private var workspace: FixedStepIntegrator.Workspace

    /// Refuses a method that needs a separable field (leapfrog, Yoshida) on a field without the split.
    public init(_ field: VectorField, integrator: FixedStepIntegrator) throws {
        resolved = FixedStepIntegrator.ResolvedField(field)
        if integrator.method.needsSeparable && resolved.separable == nil {
            throw IntegrationError(reason: "\(integrator.method.rawValue) needs a separable Hamiltonian H = T(p) + V(q); use gl4 or midpoint",
                                   time: 0, state: [])
        }
        self.field = field
        self.integrator = integrator
        workspace = FixedStepIntegrator.Workspace(dimension: field.dimension, stages: integrator.method.gaussLegendre?.b.count ?? 4)
    }

    deinit { workspace.release() }

    public func apply(_ x: UnsafeMutablePointer<Double>) throws {
        let n = field.dimension
        workspace.x.update(from: x, count: n)
        // The caller may have changed x: the force at q is computed afresh (the same numbers
        // the run's first-same-as-last reuse carries over).
        workspace.forceIsCurrent = false
        var statistics = IntegrationStatistics()
        try integrator.advance(resolved, &workspace, &statistics, time: 0)
        x.update(from: workspace.x, count: n)
    }
}
