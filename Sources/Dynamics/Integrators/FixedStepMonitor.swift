// What a fixed step cannot integrate, and the two tests that see it.
//
// An adaptive method meets a singularity (Kepler's r → 0) as a step size that underflows. A
// fixed step has no such signal: it steps across r = 0 and carries on with a state whose energy
// has changed by orders of magnitude. Two tests stop it, with the time and the last good state:
//
// - Energy jump (fields that report their energy, `EnergyField`). Write H = Σ_i t_i over the terms of its canonical form and
//   S = Σ_i |t_i| (never below |H|; for Kepler S = |p|²/2 + k/r). A step from x to x′ is a jump
//   when |H(x′) − H(x)| > 0.01 · max(S(x), S(x′)). An integration error of 1 % of the energy's
//   own terms in a single step is far beyond a resolved run: the notebooks' runs stay below
//   3.2e-4 per step (the largest: leapfrog on the e = 0.5 Kepler orbit at 100 steps per period;
//   RK4 there, 1e-6), while the steps into and across r = 0 change H by 1.2 % (Euler) to 53 %
//   (RK4) of S. Measuring against S and not |H| keeps the test meaningful where H is near zero
//   (a parabolic orbit) but its terms are not, and lets a resolved close pericenter pass
//   (leapfrog at h = 1e-4 on the e = 0.99 orbit changes H at pericenter by up to 3.5 % of |H|
//   in a step, but only 1.1e-4 of S, and its energy error returns after the passage).
//   H is compared every `window` steps (one evaluation of the terms per 16 steps); when it has
//   moved by more than the threshold, the window's states (kept in a ring) are examined step
//   by step, and the first jump found stops the run. A jump that later steps undo within the
//   same window is not seen.
// - Singular field (every field). With Δ_k = max_i |x_k,i − x_(k−1),i|, the step map Φ gives
//   Δ_(k+1) = |Φ(x_k) − Φ(x_(k−1))| ≤ Lip(Φ) Δ_k, with L the field's Lipschitz constant along
//   the step: Lip(Φ) ≤ e^(hL) for Euler and RK4 (their stability functions are truncations of
//   the exponential series), ≤ e^(2hL) for leapfrog (kick, drift, kick). Δ_(k+1) > 1000 Δ_k
//   therefore needs hL > 6.9 (RK4, Euler) or 3.4 (leapfrog): a field whose time scale is far
//   below the step, beyond these methods' stability bounds; an implicit step's fixed-point
//   iteration fails even earlier (it needs hL below about 1). It catches a step that lands
//   close to a singularity or a finite-time blow-up; a step that jumps over r = 0 at a
//   moderate distance is the energy test's. (Below 1e-12 of the state's size the displacement
//   is rounding, not motion.)
//
// Both tests read the states only: they change no step's arithmetic, and a run they do not stop
// is bit for bit the run without them.

/// Watches a fixed-step run for an energy jump or a singular field.
struct FixedStepMonitor {
    /// Relative change of H, per step, against the magnitude of its terms.
    static let energyJump = 1e-2
    /// Growth of the step's displacement from one step to the next.
    static let displacementGrowth = 1e3
    /// Steps between two comparisons of H.
    static let window = 16

    let dimension: Int
    /// The field's energy, when it reports one.
    let field: EnergyField?
    let startTime: Double, step: Double
    /// States of the current window: slot 0 holds the state after step `windowStart`, slot j
    /// the state after step `windowStart + j`, up to slot `filled`.
    let states: UnsafeMutablePointer<Double>
    var windowStart = 0, filled = 0
    /// H and its scale at slot 0 (nil: no Hamiltonian, or its terms could not be compiled).
    var startEnergy: (energy: Double, scale: Double)?
    /// Δ of the last step (nil before the first).
    var displacement: Double?

    init(field: VectorField, from x0: UnsafePointer<Double>, startTime: Double, step: Double) {
        dimension = field.dimension
        self.field = field as? EnergyField
        self.startTime = startTime; self.step = step
        states = .allocate(capacity: (Self.window + 1) * dimension)
        states.update(from: x0, count: dimension)
        startEnergy = self.field?.energyAndScale(x0)
    }

    func release() { states.deallocate() }

    func time(afterStep k: Int) -> Double { startTime + Double(k) * step }

    /// Records the state after step `k`; a failed test returns the error and the number of
    /// steps whose states are good (samples after them are to be dropped).
    @inline(__always)
    mutating func record(_ x: UnsafePointer<Double>, afterStep k: Int) -> (error: IntegrationError, goodSteps: Int)? {
        let n = dimension, previous = states + filled * n
        var moved = 0.0, size = 0.0
        for i in 0..<n {
            moved = max(moved, abs(x[i] - previous[i]))
            size = max(size, abs(previous[i]))
        }
        if let last = displacement, moved > Self.displacementGrowth * max(last, 1e-12 * size) {
            let reason = "singular field: the step to t = \(TextFormat.number(time(afterStep: k))) moved the state "
                + "\(TextFormat.number(moved / max(last, 1e-300))) times farther than the step before (the test stops above "
                + "\(TextFormat.number(Self.displacementGrowth))): the field grows by orders of magnitude within one step "
                + "(a singularity, e.g. r -> 0, or a step far too large)"
            if let jump = energyJump() { return jump }
            return (IntegrationError(reason: reason, time: time(afterStep: k - 1), state: Array(UnsafeBufferPointer(start: previous, count: n))), k - 1)
        }
        displacement = moved
        filled += 1
        (states + filled * n).update(from: x, count: n)
        if filled == Self.window { return endWindow() }
        return nil
    }

    /// Checks the window recorded so far, at the end of the run or when another test stopped it.
    mutating func finish() -> (error: IntegrationError, goodSteps: Int)? { filled > 0 ? endWindow() : nil }

    /// The first energy jump among the recorded steps of the window, if any.
    /// `end` is H and its scale at the window's last state, when already computed.
    func energyJump(end known: (energy: Double, scale: Double)? = nil) -> (error: IntegrationError, goodSteps: Int)? {
        guard let field, filled > 0, var before = startEnergy, let end = known ?? field.energyAndScale(states + filled * dimension) else { return nil }
        guard abs(end.energy - before.energy) > Self.energyJump * max(before.scale, end.scale) else { return nil }
        for j in 1...filled {
            guard let after = field.energyAndScale(states + j * dimension) else { return nil }
            let change = abs(after.energy - before.energy), scale = max(before.scale, after.scale)
            if change > Self.energyJump * scale {
                let k = windowStart + j
                let reason = "energy jump: in the step to t = \(TextFormat.number(time(afterStep: k))), H went from "
                    + "\(TextFormat.number(before.energy)) to \(TextFormat.number(after.energy)), \(TextFormat.number(change / scale)) of the "
                    + "size of its terms (the test stops above \(TextFormat.number(Self.energyJump)) per step): the step crosses a "
                    + "singularity (e.g. r -> 0) or is far too large for the motion"
                let state = Array(UnsafeBufferPointer(start: states + (j - 1) * dimension, count: dimension))
                return (IntegrationError(reason: reason, time: time(afterStep: k - 1), state: state), k - 1)
            }
            before = after
        }
        return nil
    }

    /// Tests the window, then starts the next one from its last state.
    private mutating func endWindow() -> (error: IntegrationError, goodSteps: Int)? {
        let end = field?.energyAndScale(states + filled * dimension)
        if let jump = energyJump(end: end) { return jump }
        states.update(from: states + filled * dimension, count: dimension)
        windowStart += filled
        filled = 0
        startEnergy = end
        return nil
    }
}
