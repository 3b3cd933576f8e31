import Symbolic

/// The fixed-step methods. The symplectic ones (leapfrog, Yoshida, implicit midpoint,
/// Gauss–Legendre) preserve the symplectic form exactly, so energy errors stay bounded over
/// long times; Euler and RK4 do not, and drift.
public enum FixedStepMethod: String, CaseIterable, Sendable {
    case euler
    case rk4
    /// Kick-drift-kick velocity Verlet; needs a separable H = T(p) + V(q).
    case leapfrog
    /// Yoshida's 4th-order composition of three leapfrog steps; separable H.
    case yoshida4
    /// Gauss–Legendre with one stage; symplectic for any H.
    case midpoint
    /// Gauss–Legendre with two stages, order 4.
    case gl4
    /// Gauss–Legendre with three stages, order 6.
    case gl6

    public var order: Int {
        switch self {
        case .euler: return 1
        case .leapfrog, .midpoint: return 2
        case .rk4, .yoshida4, .gl4: return 4
        case .gl6: return 6
        }
    }

    public var isSymplectic: Bool { self != .euler && self != .rk4 }
    public var needsSeparable: Bool { self == .leapfrog || self == .yoshida4 }

    /// Butcher tableau (A row-major, b) of the implicit Gauss–Legendre methods.
    var gaussLegendre: (a: [Double], b: [Double])? {
        switch self {
        case .midpoint: return ([0.5], [1])
        case .gl4:
            let r = 3.0.squareRoot() / 6
            return ([0.25, 0.25 - r, 0.25 + r, 0.25], [0.5, 0.5])
        case .gl6:
            let r = 15.0.squareRoot()
            return ([5.0 / 36, 2.0 / 9 - r / 15, 5.0 / 36 - r / 30,
                     5.0 / 36 + r / 24, 2.0 / 9, 5.0 / 36 - r / 24,
                     5.0 / 36 + r / 30, 2.0 / 9 + r / 15, 5.0 / 36], [5.0 / 18, 4.0 / 9, 5.0 / 18])
        default: return nil
        }
    }
}

/// Integrates with a fixed step h, recording every `sampleEvery`-th state.
public struct FixedStepIntegrator {
    public var method: FixedStepMethod
    public var step: Double
    /// Relative tolerance of the implicit methods' fixed-point iteration.
    public var implicitTolerance = 1e-15
    public var maximumImplicitIterations = 100

    public init(_ method: FixedStepMethod, step: Double) {
        self.method = method
        self.step = step
    }

    /// `steps` steps from `x0` at `startTime`; samples at t0 and every `sampleEvery` steps.
    public func run(_ field: VectorField, from x0: [Double], steps: Int, sampleEvery: Int = 1,
                    startTime: Double = 0) throws -> Trajectory {
        let n = field.dimension
        guard x0.count == n else {
            throw IntegrationError(reason: "the initial state has \(x0.count) components, the system \(n)", time: startTime, state: x0)
        }
        guard step.isFinite, step != 0 else { throw IntegrationError(reason: "the step must be finite and non-zero", time: startTime, state: x0) }
        // Resolved once: a dynamic cast per step costs as much as the step itself.
        let resolved = ResolvedField(field)
        if method.needsSeparable && resolved.separable == nil {
            throw IntegrationError(reason: "\(method.rawValue) needs a separable Hamiltonian H = T(p) + V(q); use gl4 or midpoint",
                                   time: startTime, state: x0)
        }
        var workspace = Workspace(dimension: n, stages: method.gaussLegendre?.b.count ?? 4)
        defer { workspace.release() }
        var trajectory = Trajectory(dimension: n)
        let x = workspace.x
        for i in 0..<n { x[i] = x0[i] }
        trajectory.append(startTime, x)
        var stats = IntegrationStatistics()
        let every = max(1, sampleEvery)
        var untilSample = every  // a countdown: an integer % per step costs as much as a leapfrog step
        var monitor = FixedStepMonitor(field: field, from: x, startTime: startTime, step: step)
        defer { monitor.release() }
        /// The error with what was computed up to the last good step.
        func stopped(_ error: IntegrationError, goodSteps: Int) -> IntegrationError {
            var e = error
            trajectory.keepFirst(1 + goodSteps / every)
            trajectory.statistics = stats
            e.partial = trajectory
            return e
        }
        for k in 1...max(1, steps) where steps > 0 {
            if k & 255 == 0 { try Interrupt.check() }  // Ctrl-C or --timeout, every 256 steps
            let t = startTime + Double(k) * step
            do {
                try advance(resolved, &workspace, &stats, time: t - step)
                try checkState(x, n, time: t)
            } catch let e as IntegrationError {
                throw stopped(e, goodSteps: k - 1)
            }
            if let problem = monitor.record(x, afterStep: k) { throw stopped(problem.error, goodSteps: problem.goodSteps) }
            stats.steps += 1
            untilSample -= 1
            if untilSample == 0 || k == steps { trajectory.append(t, x); untilSample = every }
        }
        if let problem = monitor.finish() { throw stopped(problem.error, goodSteps: problem.goodSteps) }
        trajectory.statistics = stats
        return trajectory
    }

    /// One step in place (for maps and tests).
    public func step(_ field: VectorField, _ state: inout [Double]) throws {
        var workspace = Workspace(dimension: field.dimension, stages: method.gaussLegendre?.b.count ?? 4)
        defer { workspace.release() }
        for i in 0..<state.count { workspace.x[i] = state[i] }
        var stats = IntegrationStatistics()
        let resolved = ResolvedField(field)
        guard !method.needsSeparable || resolved.separable != nil else {
            throw IntegrationError(reason: "\(method.rawValue) needs a separable Hamiltonian H = T(p) + V(q)", time: 0, state: state)
        }
        try advance(resolved, &workspace, &stats, time: 0)
        for i in 0..<state.count { state[i] = workspace.x[i] }
    }

    struct Workspace {
        let x: UnsafeMutablePointer<Double>
        let scratch: UnsafeMutablePointer<Double>
        let stages: UnsafeMutablePointer<Double>
        let dimension: Int
        /// Whether `scratch[0..<n/2]` holds the force at the current q (leapfrog reuse).
        var forceIsCurrent = false

        init(dimension n: Int, stages s: Int) {
            dimension = n
            x = .allocate(capacity: n)
            scratch = .allocate(capacity: 4 * n)
            stages = .allocate(capacity: (s + 1) * n)
        }

        func release() { x.deallocate(); scratch.deallocate(); stages.deallocate() }
    }

    /// What the steps need of a field, asked once per run: a protocol cast or a property read
    /// per step costs as much as a small step.
    struct ResolvedField {
        let field: VectorField
        /// The split q̇ = T'(p), ṗ = −V'(q), when the field has one (`SeparableField.isSeparable`).
        let separable: SeparableField?
        let rk4Kernel: RK4StepKernel?
        let leapfrogKernel: LeapfrogStepKernel?

        init(_ field: VectorField) {
            self.field = field
            if let split = field as? SeparableField, split.isSeparable { separable = split } else { separable = nil }
            rk4Kernel = field.nativeRK4Step
            leapfrogKernel = separable?.nativeLeapfrogStep
        }
    }

    @inline(__always)
    func advance(_ resolved: ResolvedField, _ w: inout Workspace,
                 _ stats: inout IntegrationStatistics, time: Double) throws {
        let n = w.dimension, h = step, x = w.x, field = resolved.field
        switch method {
        case .euler:
            let k = w.scratch
            field.evaluate(x, into: k)
            for i in 0..<n { x[i] += h * k[i] }
            stats.functionEvaluations += 1
        case .rk4:
            stats.functionEvaluations += 4
            if let kernel = resolved.rk4Kernel { kernel(x, h); return }
            let k1 = w.scratch, k2 = w.stages, k3 = w.stages + n, k4 = w.stages + 2 * n, y = w.stages + 3 * n
            field.evaluate(x, into: k1)
            for i in 0..<n { y[i] = x[i] + 0.5 * h * k1[i] }
            field.evaluate(y, into: k2)
            for i in 0..<n { y[i] = x[i] + 0.5 * h * k2[i] }
            field.evaluate(y, into: k3)
            for i in 0..<n { y[i] = x[i] + h * k3[i] }
            field.evaluate(y, into: k4)
            for i in 0..<n { x[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) }
        case .leapfrog:
            guard let f = resolved.separable else { return }
            leapfrog(f, resolved.leapfrogKernel, &w, h)
            stats.functionEvaluations += 1
        case .yoshida4:
            guard let f = resolved.separable else { return }
            let c = Foundation_cbrt2
            let w1 = 1 / (2 - c), w0 = -c / (2 - c)
            leapfrog(f, resolved.leapfrogKernel, &w, w1 * h)
            leapfrog(f, resolved.leapfrogKernel, &w, w0 * h)
            leapfrog(f, resolved.leapfrogKernel, &w, w1 * h)
            stats.functionEvaluations += 3
        case .midpoint, .gl4, .gl6:
            try gaussLegendreStep(field, &w, &stats, time: time)
        }
    }

    /// Kick-drift-kick: p += h/2 F(q); q += h v(p); p += h/2 F(q). The force at the end of a
    /// step is the force at the start of the next, so it is computed once per step.
    @inline(__always)
    func leapfrog(_ f: SeparableField, _ kernel: LeapfrogStepKernel?, _ w: inout Workspace, _ h: Double) {
        let m = w.dimension / 2
        let q = w.x, p = w.x + m, force = w.scratch, velocity = w.scratch + m
        if !w.forceIsCurrent { f.force(q, into: force) }
        w.forceIsCurrent = true
        if let kernel { kernel(w.x, force, h); return }
        for i in 0..<m { p[i] += 0.5 * h * force[i] }
        f.velocity(p, into: velocity)
        for i in 0..<m { q[i] += h * velocity[i] }
        f.force(q, into: force)
        for i in 0..<m { p[i] += 0.5 * h * force[i] }
    }

    /// Solves K_i = f(x + h Σ_j a_ij K_j) by fixed-point iteration to `implicitTolerance`,
    /// then x += h Σ b_i K_i.
    func gaussLegendreStep(_ field: VectorField, _ w: inout Workspace, _ stats: inout IntegrationStatistics, time: Double) throws {
        guard let (a, b) = method.gaussLegendre else { return }
        let n = w.dimension, s = b.count, h = step, x = w.x
        let K = w.stages, y = w.stages + s * n, f0 = w.scratch
        field.evaluate(x, into: f0)
        stats.functionEvaluations += 1
        for i in 0..<s { for j in 0..<n { K[i * n + j] = f0[j] } }
        var previousChange = Double.infinity
        var iteration = 0
        while true {
            iteration += 1
            var change = 0.0, scale = 0.0
            for i in 0..<s {
                for j in 0..<n {
                    var sum = 0.0
                    for l in 0..<s { sum += a[i * s + l] * K[l * n + j] }
                    y[j] = x[j] + h * sum
                }
                let Ki = w.scratch + n
                field.evaluate(y, into: Ki)
                for j in 0..<n {
                    change = max(change, abs(Ki[j] - K[i * n + j]))
                    scale = max(scale, abs(Ki[j]))
                    K[i * n + j] = Ki[j]
                }
            }
            stats.functionEvaluations += s
            // Converged, or stalled at round-off after a few iterations.
            if change <= implicitTolerance * max(1, scale) || (iteration > 3 && change >= previousChange && change <= 1e-12 * max(1, scale)) { break }
            if iteration >= maximumImplicitIterations || !change.isFinite {
                throw IntegrationError(reason: "the implicit \(method.rawValue) solve did not converge in \(iteration) iterations (the step is too large for fixed-point iteration; reduce it)",
                                       time: time, state: Array(UnsafeBufferPointer(start: x, count: n)))
            }
            previousChange = change
        }
        stats.implicitIterations += iteration
        for j in 0..<n {
            var sum = 0.0
            for i in 0..<s { sum += b[i] * K[i * n + j] }
            x[j] += h * sum
        }
    }
}

let Foundation_cbrt2 = 1.2599210498948731647672106
