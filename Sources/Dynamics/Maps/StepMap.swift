import Symbolic

/// A map x ↦ φ(x) of the state that advances it by one step of size h: one step of an
/// integrator (`FixedStepMap`), an exact flow map φ_h, or a learned map (a SympNet).
///
/// Iterating it gives the orbit x_k = φ^k(x_0) at the times t_0 + k h (`iterate`), a `Trajectory`
/// like an integrated field's, so the diagnostics (`Drift`, `SampleEvaluator`,
/// `PhaseSpaceDiagnostics`) take either. A map carries no derivative: it is not a `VectorField`,
/// and h is a property of the map, not a choice of the caller. Whether φ is symplectic
/// (Dφᵀ Ω Dφ = Ω, so phase-space area is preserved exactly) is a property of the map, not
/// something this protocol guarantees. Implementations may keep scratch space, so one instance
/// serves one thread.
public protocol StepMap: AnyObject {
    var dimension: Int { get }
    /// h: the time one application advances (negative runs backwards).
    var stepSize: Double { get }
    /// Replaces x (`dimension` values) by φ(x). Throws an `IntegrationError` where φ is not
    /// defined (an implicit step whose solve does not converge); its time is filled in by the
    /// caller that knows it.
    func apply(_ x: UnsafeMutablePointer<Double>) throws
}

extension StepMap {
    /// φ(x) for an array (allocates; for tests and the REPL).
    public func callAsFunction(_ x: [Double]) throws -> [Double] {
        var out = x
        try out.withUnsafeMutableBufferPointer { try apply($0.baseAddress!) }
        return out
    }

    /// The orbit x_k = φ^k(x_0) for k = 0…`steps`, sampled at t_0 and every `sampleEvery`-th
    /// step, and at the last, with t_k = `startTime` + k h: the sampling and times of
    /// `FixedStepIntegrator.run`, so the orbit of `FixedStepMap` is that run, bit for bit.
    ///
    /// Stops with an `IntegrationError` (its `partial` holds the samples before the failing step)
    /// when φ fails or the state becomes NaN or exceeds 1e100. Unlike an integrator run it has no
    /// energy test: a map need not know an energy. The statistics count steps only.
    public func iterate(from x0: [Double], steps: Int, sampleEvery: Int = 1, startTime: Double = 0) throws -> Trajectory {
        let n = dimension, h = stepSize
        guard x0.count == n else {
            throw IntegrationError(reason: "the initial state has \(x0.count) components, the map \(n)", time: startTime, state: x0)
        }
        guard h.isFinite, h != 0 else { throw IntegrationError(reason: "the step must be finite and non-zero", time: startTime, state: x0) }
        let x = UnsafeMutablePointer<Double>.allocate(capacity: max(1, n))
        defer { x.deallocate() }
        x.update(from: x0, count: n)
        var trajectory = Trajectory(dimension: n)
        trajectory.append(startTime, x)
        let every = max(1, sampleEvery)
        var untilSample = every
        for k in 1...max(1, steps) where steps > 0 {
            if k & 255 == 0 { try Interrupt.check() }
            let t = startTime + Double(k) * h
            do {
                do { try apply(x) } catch var e as IntegrationError {
                    e.time = t - h
                    throw e
                }
                try checkState(x, n, time: t)
            } catch var e as IntegrationError {
                trajectory.keepFirst(1 + (k - 1) / every)
                e.partial = trajectory
                throw e
            }
            trajectory.statistics.steps += 1
            untilSample -= 1
            if untilSample == 0 || k == steps { trajectory.append(t, x); untilSample = every }
        }
        return trajectory
    }
}
