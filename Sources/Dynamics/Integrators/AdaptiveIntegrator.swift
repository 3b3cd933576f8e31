@preconcurrency import CGSL
import Symbolic

/// Adaptive embedded Runge–Kutta methods from GSL's odeiv2.
public enum AdaptiveMethod: String, CaseIterable, Sendable {
    /// Prince–Dormand 8(9) (`gsl_odeiv2_step_rk8pd`): the high-accuracy workhorse.
    case rk8pd
    /// Runge–Kutta–Fehlberg 4(5) (`gsl_odeiv2_step_rkf45`).
    case rkf45
    /// Dormand–Prince 5(4), Noether's own, with dense output at the requested times.
    case dopri5
}

/// Integrates to each requested time with error control |err_i| ≤ atol + rtol |y_i|. With
/// GSL's steppers the driver ends a step exactly on every requested time (no interpolation);
/// `dopri5` steps freely and samples from its dense output. A step size that underflows, a NaN, or |y| → ∞ stops it with
/// the time and state.
public struct AdaptiveIntegrator {
    public var method: AdaptiveMethod
    public var relativeTolerance: Double
    public var absoluteTolerance: Double
    public var initialStep: Double
    public var maximumSteps: Int

    public init(_ method: AdaptiveMethod = .rk8pd, relativeTolerance: Double = 1e-10, absoluteTolerance: Double = 1e-10,
                initialStep: Double = 1e-3, maximumSteps: Int = 10_000_000) {
        self.method = method
        self.relativeTolerance = relativeTolerance
        self.absoluteTolerance = absoluteTolerance
        self.initialStep = initialStep
        self.maximumSteps = maximumSteps
    }

    final class Context {
        let field: VectorField
        var evaluations = 0
        init(_ field: VectorField) { self.field = field }
    }

    /// Samples at `times` (ascending or descending from the first, which is the start time).
    public func run(_ field: VectorField, from x0: [Double], times: [Double]) throws -> Trajectory {
        let n = field.dimension
        guard let t0 = times.first else { throw IntegrationError(reason: "no sample times", time: 0, state: x0) }
        guard x0.count == n else {
            throw IntegrationError(reason: "the initial state has \(x0.count) components, the system \(n)", time: t0, state: x0)
        }
        guard relativeTolerance > 0 || absoluteTolerance > 0, relativeTolerance >= 0, absoluteTolerance >= 0 else {
            throw IntegrationError(reason: "tolerances must be non-negative and not both zero", time: t0, state: x0)
        }
        if method == .dopri5 {
            return try DormandPrince(relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
                                     initialStep: initialStep, maximumSteps: maximumSteps).run(field, from: x0, times: times)
        }
        gsl_set_error_handler_off()
        let context = Context(field)
        let unmanaged = Unmanaged.passRetained(context)
        defer { unmanaged.release() }
        var system = gsl_odeiv2_system(function: { _, y, dydt, params in
            let context = Unmanaged<Context>.fromOpaque(params!).takeUnretainedValue()
            let n = context.field.dimension
            context.field.evaluate(y!, into: dydt!)
            context.evaluations += 1
            // Ctrl-C or --timeout: GSL stops on a failing function; run() then throws Interrupted.
            if context.evaluations & 1023 == 0 && Interrupt.isRequested { return Int32(GSL_EBADFUNC) }
            for i in 0..<n where !dydt![i].isFinite { return Int32(GSL_EBADFUNC) }
            return Int32(GSL_SUCCESS)
        }, jacobian: nil, dimension: n, params: unmanaged.toOpaque())
        let stepType = method == .rk8pd ? gsl_odeiv2_step_rk8pd : gsl_odeiv2_step_rkf45
        let direction = times.count > 1 && times[1] < t0 ? -1.0 : 1.0
        guard let driver = gsl_odeiv2_driver_alloc_y_new(&system, stepType, direction * abs(initialStep), absoluteTolerance, relativeTolerance) else {
            throw IntegrationError(reason: "GSL could not allocate the integrator", time: t0, state: x0)
        }
        defer { gsl_odeiv2_driver_free(driver) }
        gsl_odeiv2_driver_set_nmax(driver, UInt(maximumSteps))
        var y = x0
        var t = t0
        var trajectory = Trajectory(dimension: n)
        y.withUnsafeBufferPointer { trajectory.append(t, $0.baseAddress!) }
        // The evolve object counts every attempted step and the rejected ones, across calls.
        func statistics() -> IntegrationStatistics {
            var s = IntegrationStatistics()
            if let e = driver.pointee.e {
                s.rejectedSteps = Int(e.pointee.failed_steps)
                s.steps = Int(e.pointee.count) - s.rejectedSteps
            }
            s.functionEvaluations = context.evaluations
            return s
        }
        for target in times.dropFirst() {
            let status = gsl_odeiv2_driver_apply(driver, &t, target, &y)
            if status != Int32(GSL_SUCCESS) {
                try Interrupt.check()
                var partial = trajectory
                partial.statistics = statistics()
                let reason: String
                switch Int(status) {
                case GSL_EBADFUNC: reason = "the vector field became NaN or infinite (a singularity, e.g. r -> 0)"
                case GSL_ENOPROG, GSL_EFAILED, GSL_FAILURE: reason = "the step size underflowed (a singularity, or tolerances too tight)"
                case GSL_EMAXITER: reason = "more than \(maximumSteps) steps were needed"
                default: reason = "GSL reported: \(String(cString: gsl_strerror(status)))"
                }
                throw IntegrationError(reason: reason, time: t, state: y, partial: partial)
            }
            do {
                try y.withUnsafeMutableBufferPointer { try checkState($0.baseAddress!, n, time: t) }
            } catch var e as IntegrationError {
                e.partial = trajectory
                throw e
            }
            y.withUnsafeBufferPointer { trajectory.append(t, $0.baseAddress!) }
        }
        trajectory.statistics = statistics()
        return trajectory
    }
}
